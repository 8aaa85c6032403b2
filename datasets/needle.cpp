// Needle in a haystack (spec §3): a grid of context lengths x depth percents, the
// PyramidKV (KVCache-Factory) and HeadKV construction rules, scored per cell.
//
// The needle, question and prompt are kvbench's own text by default (template set
// "kvbench-needle-1"); to run the papers' exact protocol, give their needle,
// retrieval question and prompt template as options (the repo holds no copy).
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cmath>
#include <mutex>
#include <set>

#include "datasets/dataset.h"
#include "datasets/dataset_options.h"
#include "datasets/haystack.h"
#include "datasets/prompt_builder.h"
#include "model/tokenizer/tokenizer.h"
#include "util/error.h"

namespace kvb {
namespace {

// kvbench's own needle texts (written for kvbench).
constexpr const char* kOwnNeedle =
    "\nThe secret ingredient in Grandma Rosa's famous lemon cake is a spoonful of lavender honey.\n";
constexpr const char* kOwnQuestion = "What is the secret ingredient in Grandma Rosa's famous lemon cake?";
constexpr const char* kOwnAnswer = "a spoonful of lavender honey.";
constexpr const char* kOwnTemplate =
    "Below is a long document. Somewhere in it is a sentence that answers the question after it.\n"
    "<document>\n{context}\n</document>\n"
    "Using only the document, answer in one sentence. Question: {question}\nAnswer:";
constexpr const char* kOwnTemplateSet = "kvbench-needle-1";

// Depths: `depths: N` gives np.round(np.linspace(0, 100, N)) (round half to even).
std::vector<double> EvenDepths(std::int64_t count) {
  std::vector<double> depths;
  if (count == 1) return {0.0};
  const double step = 100.0 / static_cast<double>(count - 1);
  for (std::int64_t i = 0; i < count; ++i) {
    depths.push_back(i == count - 1 ? 100.0 : std::nearbyint(static_cast<double>(i) * step));
  }
  return depths;
}

struct Protocol {
  std::string name;
  // KVCache-Factory encodes the haystack without special tokens and decodes skipping
  // them; HeadKV encodes with them and decodes without skipping (literal BOS text
  // ends up in the context, spec §3).
  bool encode_special = false;
  bool decode_skip_special = true;
};

Protocol ParseProtocol(const DatasetOptions& options) {
  const std::string name = options.String("profile", "pyramidkv");
  if (name == "pyramidkv") return {name, false, true};
  if (name == "headkv") return {name, true, false};
  options.Fail("profile", StrCat("unknown profile '", name, "' (expected pyramidkv or headkv)"));
}

class Needle : public Dataset {
 public:
  explicit Needle(const DatasetOptions& options) : protocol_(ParseProtocol(options)) {
    lengths_ = options.IntRange("lengths", {1000, 2000, 3000, 4000, 5000, 6000, 7000, 8000});
    if (lengths_.empty()) options.Fail("lengths", "no lengths");
    for (auto length : lengths_)
      if (length <= 0) options.Fail("lengths", "lengths must be positive");
    if (options.IsScalar("depths")) {
      const std::int64_t count = options.Int("depths", 10);
      if (count < 1) options.Fail("depths", "a count of depths must be >= 1");
      depths_ = EvenDepths(count);
    } else if (options.Has("depths")) {
      depths_ = options.DoubleList("depths", {});
    } else {
      depths_ = EvenDepths(10);
    }
    for (double d : depths_)
      if (d < 0 || d > 100) options.Fail("depths", "depths are percents in [0, 100]");
    needle_ = options.String("needle", kOwnNeedle);
    question_ = options.String("question", kOwnQuestion);
    answer_ = options.String("answer", kOwnAnswer);
    template_ = options.String("template", kOwnTemplate);
    const bool own = !options.Has("needle") && !options.Has("question") && !options.Has("template");
    template_set_ = own ? kOwnTemplateSet
                        : TemplateSetVersion("user-needle", needle_ + "\x1f" + question_ + "\x1f" + template_);
    PyFormat(template_, {{"context", ""}, {"question", ""}}, "needle option 'template'");  // fail early
    haystack_spec_ = options.String("haystack", "builtin");
    buffer_ = options.Int("buffer", 200);
    max_new_tokens_ = options.Int("max_new_tokens", 30);
    period_ids_option_ = options.IntList("period_ids", {});
    corpus_ = LoadHaystack(haystack_spec_);
  }

  SampleIndex size() const override { return lengths_.size() * depths_.size(); }

  void CheckFits(const PromptContext& context) const override {
    RequireUsableContext(context, "needle");
    const TokenCount longest = *std::max_element(lengths_.begin(), lengths_.end());
    // The built context is at most `length - buffer` tokens plus the prompt template.
    RequireFits(context, longest, max_new_tokens_, StrCat("needle length ", longest));
  }

  Sample Build(SampleIndex index, const PromptContext& context) const override {
    RequireUsableContext(context, "needle");
    KVB_CHECK(index < size());
    const TokenCount length = lengths_[index / depths_.size()];
    const double depth = depths_[index % depths_.size()];
    const Tokenizer& tokenizer = *context.tokenizer;

    const std::string context_text = BuildContext(tokenizer, length, depth);
    std::string prompt = PyFormat(template_, {{"context", context_text}, {"question", question_}}, "needle template");
    Sample sample;
    sample.id = StrCat("needle/len_", length, "_depth_", static_cast<std::int64_t>(depth * 100));
    sample.prompt_ids = tokenizer.Encode(prompt, /*add_special_tokens=*/true);
    sample.prompt = std::move(prompt);
    RequireFits(context, static_cast<TokenCount>(sample.prompt_ids.size()), max_new_tokens_, sample.id);
    // Both scores of spec §3: the heatmap's answer-word recall against the answer
    // words (the main metric, what the papers plot and average), and the ROUGE-1 F
    // (Google rouge_score, stemmed) against the whole needle sentence, which is what
    // KVCache-Factory stores per test (its `score` is 10 x needle_rouge1_f).
    sample.scoring.metric = "needle_answer_recall";
    sample.scoring.references = {answer_};
    sample.scoring.extra_metrics = {"needle_rouge1_f"};
    sample.scoring.metric_references["needle_rouge1_f"] = {needle_};
    sample.scoring.postprocess = PostProcess::kStrip;
    sample.generation.max_new_tokens = max_new_tokens_;
    sample.generation.stop_strings = {"\n"};
    sample.metadata.dataset = "needle";
    sample.metadata.task = "needle";
    sample.metadata.length = length;
    sample.metadata.depth = depth;
    sample.metadata.template_set = template_set_;
    sample.metadata.profile = protocol_.name;
    return sample;
  }

 private:
  // Spec §3 "Context construction" for (length, depth).
  std::string BuildContext(const Tokenizer& tokenizer, TokenCount length, double depth) const {
    const TokenIds& haystack = HaystackIds(tokenizer, length);
    const TokenIds head(haystack.begin(), haystack.begin() + std::min<std::size_t>(length, haystack.size()));
    TokenIds ctx = tokenizer.Encode(tokenizer.Decode(head, protocol_.decode_skip_special), protocol_.encode_special);
    const TokenIds needle = tokenizer.Encode(needle_, protocol_.encode_special);
    const auto needle_len = static_cast<TokenCount>(needle.size());
    if (static_cast<TokenCount>(ctx.size()) + needle_len > length - buffer_) {
      const TokenCount keep = std::max<TokenCount>(0, length - buffer_ - needle_len);
      ctx.resize(std::min<std::size_t>(ctx.size(), keep));
    }
    TokenIds with_needle;
    if (depth >= 100.0) {
      with_needle = ctx;
      with_needle.insert(with_needle.end(), needle.begin(), needle.end());
    } else {
      auto p = static_cast<std::size_t>(static_cast<double>(ctx.size()) * depth / 100.0);
      const std::set<TokenId> periods = PeriodIds(tokenizer);
      // Move left to just after a sentence end, so the needle starts a sentence.
      while (p > 0 && !periods.count(ctx[p - 1])) --p;
      with_needle.assign(ctx.begin(), ctx.begin() + p);
      with_needle.insert(with_needle.end(), needle.begin(), needle.end());
      with_needle.insert(with_needle.end(), ctx.begin() + p, ctx.end());
    }
    return tokenizer.Decode(with_needle, protocol_.decode_skip_special);
  }

  // Ids of a period: the last id of encode(".") and of encode("a.") (Mistral has a
  // word-initial and an in-word period token; Llama-3 one), or `period_ids:`.
  std::set<TokenId> PeriodIds(const Tokenizer& tokenizer) const {
    std::set<TokenId> ids;
    for (auto id : period_ids_option_) ids.insert(static_cast<TokenId>(id));
    if (!ids.empty()) return ids;
    for (const char* text : {".", "a."}) {
      const TokenIds encoded = tokenizer.Encode(text, false);
      if (!encoded.empty()) ids.insert(encoded.back());
    }
    return ids;
  }

  // The corpus repeated until it holds `length` tokens, encoded once per tokenizer.
  const TokenIds& HaystackIds(const Tokenizer& tokenizer, TokenCount length) const {
    std::lock_guard<std::mutex> lock(cache_mutex_);
    if (cache_tokenizer_ != &tokenizer || static_cast<TokenCount>(cached_ids_.size()) < length) {
      const TokenCount longest = std::max(length, *std::max_element(lengths_.begin(), lengths_.end()));
      std::string text = corpus_.text;
      TokenIds ids = tokenizer.Encode(text, protocol_.encode_special);
      KVB_REQUIRE(!ids.empty(), corpus_.source, ": the haystack is empty");
      const std::size_t per_copy = ids.size();
      if (static_cast<TokenCount>(ids.size()) < longest) {
        const auto copies = static_cast<std::size_t>(longest / static_cast<TokenCount>(per_copy)) + 1;
        for (std::size_t i = 1; i <= copies; ++i) text += corpus_.text;
        ids = tokenizer.Encode(text, protocol_.encode_special);
      }
      cached_ids_ = std::move(ids);
      cache_tokenizer_ = &tokenizer;
    }
    return cached_ids_;
  }

  Protocol protocol_;
  std::vector<std::int64_t> lengths_;
  std::vector<double> depths_;
  std::string needle_, question_, answer_, template_, template_set_, haystack_spec_;
  TokenCount buffer_ = 200;
  TokenCount max_new_tokens_ = 30;
  std::vector<std::int64_t> period_ids_option_;
  HaystackCorpus corpus_;
  mutable std::mutex cache_mutex_;
  mutable const Tokenizer* cache_tokenizer_ = nullptr;
  mutable TokenIds cached_ids_;
};

KVB_REGISTER_DATASET(DatasetSpec{
    "needle",
    "Needle in a haystack: context lengths x depth percents, PyramidKV / HeadKV construction",
    {
        {"lengths", "list<int> | {from,to,step}", "{from: 1000, to: 8000, step: 1000}", "context lengths in tokens"},
        {"depths", "int | list<number>", "10", "N evenly spaced depth percents (np.round(linspace(0,100,N))) or a list"},
        {"profile", "string", "pyramidkv", "pyramidkv | headkv: special-token handling of the haystack (spec 3)"},
        {"haystack", "path", "builtin", "directory of .txt files, or builtin (/usr/share/common-licenses)"},
        {"needle", "string", "kvbench's own", "the inserted sentence"},
        {"question", "string", "kvbench's own", "the retrieval question ({question} in the template)"},
        {"answer", "string", "kvbench's own", "the words the recall score counts"},
        {"template", "string", "kvbench's own", "prompt template with {context} and {question}"},
        {"buffer", "int", "200", "tokens kept free below each length"},
        {"max_new_tokens", "int", "30", "generation length; stops at a newline"},
        {"period_ids", "list<int>", "ids of '.' and 'a.'[-1]", "token ids that end a sentence"},
    },
    [](const DatasetOptions& options) -> std::unique_ptr<Dataset> { return std::make_unique<Needle>(options); }});

}  // namespace
}  // namespace kvb
