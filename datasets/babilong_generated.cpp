// Reason in a haystack with nothing downloaded: bAbI qa1-qa5 stories from kvbench's
// generator (babi_story.h), their facts spread through haystack sentences up to a
// target length as BABILong builds its samples (spec §4.6), deterministic per seed.
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <mutex>

#include "datasets/babi_story.h"
#include "datasets/babilong_prompt.h"
#include "datasets/dataset.h"
#include "datasets/dataset_options.h"
#include "datasets/haystack.h"
#include "datasets/prompt_builder.h"
#include "model/tokenizer/tokenizer.h"
#include "util/error.h"

namespace kvb {
namespace {

// BABILong reserves 300 tokens of each nominal length for the prompt around the
// story (sample_size = nominal - 300).
constexpr TokenCount kPromptReserve = 300;

class BabilongGenerated : public Dataset {
 public:
  explicit BabilongGenerated(const DatasetOptions& options) {
    tasks_ = options.StringList("tasks", {"qa1", "qa2", "qa3", "qa4", "qa5"});
    lengths_ = options.IntRange("lengths", {0, 1000, 2000, 4000});
    for (auto length : lengths_)
      if (length < 0) options.Fail("lengths", "lengths must be >= 0");
    num_samples_ = options.Int("num_samples", 100);
    if (num_samples_ < 1) options.Fail("num_samples", "must be >= 1");
    seed_ = static_cast<std::uint64_t>(options.Int("seed", 42));
    prompts_ = options.Has("prompts") ? LoadBabilongPrompts(options.String("prompts", "")) : OwnBabilongPrompts();
    for (const auto& task : tasks_) {
      if (task != "qa1" && task != "qa2" && task != "qa3" && task != "qa4" && task != "qa5")
        options.Fail("tasks", StrCat("unknown task '", task, "' (the generator makes qa1..qa5)"));
    }
    build_.max_length = options.Int("max_length", 0);
    build_.max_new_tokens = options.Int("max_new_tokens", 15);
    const HaystackCorpus corpus = LoadHaystack(options.String("haystack", "builtin"));
    haystack_source_ = corpus.source;
    sentences_ = SplitSentences(corpus.text);
    KVB_REQUIRE(!sentences_.empty(), corpus.source, ": no sentences in the haystack");
  }

  SampleIndex size() const override { return lengths_.size() * tasks_.size() * num_samples_; }

  void CheckFits(const PromptContext& context) const override {
    RequireUsableContext(context, "babilong_generated");
    const TokenCount longest = *std::max_element(lengths_.begin(), lengths_.end());
    KVB_REQUIRE(longest + build_.max_new_tokens <= context.context_limit, "babilong_generated: length ", longest,
                " + max_new_tokens exceeds the model's context of ", context.context_limit, " tokens");
  }

  Sample Build(SampleIndex index, const PromptContext& context) const override {
    RequireUsableContext(context, "babilong_generated");
    KVB_CHECK(index < size());
    const auto per_length = tasks_.size() * num_samples_;
    const TokenCount length = lengths_[index / per_length];
    const std::string& task = tasks_[(index % per_length) / num_samples_];
    const SampleIndex sample_index = index % num_samples_;

    Sample sample;
    sample.id = StrCat("babilong_generated/", task, "/", length, "/", sample_index);
    Rng rng(SampleSeed(seed_, sample.id));
    const BabiStory story = GenerateBabiStory(task, rng);
    const std::string input = length == 0 ? JoinSpaced(story.facts) : SpreadFacts(story.facts, length, context, rng);
    BuildBabilongSample(prompts_, task, input, story.question, story.answer, build_, context, sample);
    sample.metadata.dataset = "babilong_generated";
    sample.metadata.task = task;
    sample.metadata.length = length;
    sample.metadata.template_set = prompts_.version + "+kvbench-babi-generator-1(BABILong-style synthetic)";
    sample.metadata.profile = "headkv";
    sample.metadata.seed = seed_;
    return sample;
  }

 private:
  static std::string JoinSpaced(const Strings& parts) {
    std::string out;
    for (std::size_t i = 0; i < parts.size(); ++i) out += (i ? " " : "") + parts[i];
    return out;
  }

  // Noise sentences from a random start (wrapping around the corpus) until the
  // budget of `length - 300 - facts` tokens, the last one cut to fit; facts go into
  // gaps drawn uniformly with replacement, kept in story order.
  std::string SpreadFacts(const Strings& facts, TokenCount length, const PromptContext& context, Rng& rng) const {
    const Tokenizer& tokenizer = *context.tokenizer;
    TokenCount facts_tokens = 0;
    for (const auto& fact : facts) facts_tokens += static_cast<TokenCount>(tokenizer.Encode(" " + fact, false).size());
    TokenCount budget = length - kPromptReserve - facts_tokens;
    const std::vector<TokenCount>& counts = SentenceTokens(tokenizer);
    Strings noise;
    std::size_t at = rng.Below(sentences_.size());
    for (std::size_t taken = 0; budget > 0 && taken < 10 * sentences_.size(); ++taken, at = (at + 1) % sentences_.size()) {
      if (counts[at] <= budget) {
        noise.push_back(sentences_[at]);
        budget -= counts[at];
      } else {
        const TokenIds ids = tokenizer.Encode(sentences_[at], false);
        noise.push_back(tokenizer.Decode(TokenIds(ids.begin(), ids.begin() + budget), true));
        budget = 0;
      }
    }
    std::vector<std::size_t> gaps;
    for (std::size_t i = 0; i < facts.size(); ++i) gaps.push_back(rng.Below(noise.size() + 1));
    std::sort(gaps.begin(), gaps.end());
    Strings parts;
    std::size_t fact = 0;
    for (std::size_t gap = 0; gap <= noise.size(); ++gap) {
      while (fact < facts.size() && gaps[fact] == gap) parts.push_back(facts[fact++]);
      if (gap < noise.size()) parts.push_back(noise[gap]);
    }
    return JoinSpaced(parts);
  }

  const std::vector<TokenCount>& SentenceTokens(const Tokenizer& tokenizer) const {
    std::lock_guard<std::mutex> lock(cache_mutex_);
    if (cache_tokenizer_ != &tokenizer) {
      sentence_tokens_.clear();
      for (const auto& s : sentences_)
        sentence_tokens_.push_back(static_cast<TokenCount>(tokenizer.Encode(" " + s, false).size()));
      cache_tokenizer_ = &tokenizer;
    }
    return sentence_tokens_;
  }

  Strings tasks_;
  std::vector<std::int64_t> lengths_;
  SampleIndex num_samples_ = 100;
  std::uint64_t seed_ = 42;
  BabilongPromptSet prompts_;
  BabilongBuildOptions build_;
  std::string haystack_source_;
  Strings sentences_;
  mutable std::mutex cache_mutex_;
  mutable const Tokenizer* cache_tokenizer_ = nullptr;
  mutable std::vector<TokenCount> sentence_tokens_;
};

KVB_REGISTER_DATASET(DatasetSpec{
    "babilong_generated",
    "Reason in a haystack with nothing downloaded: generated bAbI qa1-qa5 facts spread through a haystack",
    {
        {"tasks", "list<string>", "[qa1, qa2, qa3, qa4, qa5]", "bAbI tasks"},
        {"lengths", "list<int> | {from,to,step}", "[0, 1000, 2000, 4000]", "nominal lengths in tokens (0 = facts only)"},
        {"num_samples", "int", "100", "samples per task and length"},
        {"seed", "int", "42", "random seed; sample i depends only on (seed, task, length, i)"},
        {"haystack", "path", "builtin", "directory of .txt files for the noise, or builtin"},
        {"prompts", "path", "kvbench's own", "BABILong's prompts in the spec's babilong-prompts.json layout"},
        {"max_length", "int", "0 (= context - max_new_tokens)", "middle-truncation limit in tokens"},
        {"max_new_tokens", "int", "15", "HeadKV 15, upstream BABILong 20"},
    },
    [](const DatasetOptions& options) -> std::unique_ptr<Dataset> {
      return std::make_unique<BabilongGenerated>(options);
    }});

}  // namespace
}  // namespace kvb
