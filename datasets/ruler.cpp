// RULER (spec §2): all 13 synthetic tasks at any target length, the haystack size
// fitted with the model's own tokenizer by binary search as RULER HEAD does,
// deterministic per seed. Samples are RULER-equivalent, not identical (see
// ruler_tasks.h); to run the official samples, use the `ruler_jsonl` dataset.
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <map>
#include <mutex>
#include <tuple>

#include "datasets/dataset.h"
#include "datasets/dataset_options.h"
#include "datasets/haystack.h"
#include "datasets/prompt_builder.h"
#include "datasets/ruler_tasks.h"
#include "model/tokenizer/tokenizer.h"
#include "util/error.h"

namespace kvb {
namespace {

Strings AllTaskNames() {
  Strings names;
  for (const auto& task : RulerTaskConfigs()) names.push_back(task.name);
  return names;
}

Strings LowerCaseWords(const Strings& words) {
  Strings out;
  for (const auto& w : words)
    if (std::all_of(w.begin(), w.end(), [](char c) { return c >= 'a' && c <= 'z'; }) && w.size() >= 3)
      out.push_back(w);
  return out;
}

class Ruler : public Dataset {
 public:
  explicit Ruler(const DatasetOptions& options) {
    for (const auto& name : options.StringList("tasks", AllTaskNames())) {
      try {
        tasks_.push_back(&FindRulerTask(name));
      } catch (const ConfigError&) {
        std::string all;
        for (const auto& n : AllTaskNames()) all += " " + n;
        options.Fail("tasks", StrCat("unknown task '", name, "'; tasks:", all));
      }
    }
    lengths_ = options.IntRange("lengths", {4096});
    for (auto length : lengths_)
      if (length < 256) options.Fail("lengths", "RULER lengths must be >= 256 tokens");
    num_samples_ = options.Int("num_samples", 100);
    if (num_samples_ < 1) options.Fail("num_samples", "must be >= 1");
    seed_ = static_cast<std::uint64_t>(options.Int("seed", 42));
    wrapper_ = options.String("wrapper", "chat");
    if (wrapper_ != "chat" && wrapper_ != "none") options.Fail("wrapper", "expected chat or none");
    if (auto file = options.OptionalString("templates")) {
      templates_ = LoadRulerTemplates(*file);
    } else {
      templates_ = OwnRulerTemplates();
    }
    bool needs_essay = false, needs_words = false;
    for (const auto* task : tasks_) {
      needs_essay |= task->haystack == "essay";
      needs_words |= task->key_type == "words" || task->generator == "common_words_extraction";
      if (task->qa_source == "squad" && resources_.squad.empty()) {
        const auto path = options.OptionalString("squad");
        if (!path) options.Fail("squad", "RULER qa_1 needs SQuAD v2.0 dev (dev-v2.0.json): set `squad: <path>` or drop qa_1 from `tasks`");
        LoadSquad(*path, resources_);
      }
      if (task->qa_source == "hotpotqa" && resources_.hotpotqa.empty()) {
        const auto path = options.OptionalString("hotpotqa");
        if (!path) options.Fail("hotpotqa", "RULER qa_2 needs HotpotQA dev distractor (hotpot_dev_distractor_v1.json): set `hotpotqa: <path>` or drop qa_2 from `tasks`");
        LoadHotpotQa(*path, resources_);
      }
    }
    if (needs_essay) {
      const HaystackCorpus corpus = LoadHaystack(options.String("haystack", "builtin"));
      resources_.essay_words = SplitWords(corpus.text);
    }
    if (needs_words) {
      resources_.words = LowerCaseWords(LoadWordList(options.String("words", kDefaultWordList)));
      KVB_REQUIRE(resources_.words.size() >= 100, "RULER: the word list has too few lower-case words");
    }
  }

  SampleIndex size() const override { return lengths_.size() * tasks_.size() * num_samples_; }

  void CheckFits(const PromptContext& context) const override {
    RequireUsableContext(context, "ruler");
    const TokenCount longest = *std::max_element(lengths_.begin(), lengths_.end());
    KVB_REQUIRE(longest <= context.context_limit, "ruler: length ", longest,
                " (prompt + answer) exceeds the model's context of ", context.context_limit, " tokens");
  }

  Sample Build(SampleIndex index, const PromptContext& context) const override {
    RequireUsableContext(context, "ruler");
    KVB_CHECK(index < size());
    const auto per_length = tasks_.size() * num_samples_;
    const TokenCount length = lengths_[index / per_length];
    const RulerTaskConfig& task = *tasks_[(index % per_length) / num_samples_];
    const std::size_t sample_index = index % num_samples_;
    const TokenCount to_generate = templates_.tasks.at(task.generator).tokens_to_generate;
    KVB_REQUIRE(length <= context.context_limit, "ruler ", task.name, ": length ", length,
                " exceeds the model's context of ", context.context_limit);

    Sample sample;
    sample.id = StrCat("ruler/", task.name, "/", length, "/", sample_index);
    const std::uint64_t seed = SampleSeed(seed_, sample.id);
    // The fitted size came from a probe draw; this sample's own draw (other keys,
    // values, positions) may be a few tokens longer. Then, as RULER does, step down by
    // its increment until the draw fits, and bisect back up inside the last step.
    auto draw = [&](std::int64_t haystack) {
      Rng rng(seed);
      RulerDraft draft = GenerateRulerDraft(task, templates_, resources_, haystack, length, sample_index, rng);
      Rendered rendered = Render(draft, context);
      const bool fits = static_cast<TokenCount>(rendered.ids.size()) + to_generate <= length;
      return std::make_tuple(fits, std::move(draft), std::move(rendered));
    };
    std::int64_t hi = FittedSize(task, length, context);
    auto [fits, draft, rendered] = draw(hi);
    if (!fits) {
      const std::int64_t step = RulerIncrement(task, length);
      std::int64_t lo = hi;
      do {
        hi = lo;
        lo = std::max<std::int64_t>(0, lo - step);
        std::tie(fits, draft, rendered) = draw(lo);
      } while (!fits && lo > 0);
      while (fits && lo + 1 < hi) {  // largest size in (lo, hi) that fits
        const std::int64_t mid = lo + (hi - lo) / 2;
        auto [mid_fits, mid_draft, mid_rendered] = draw(mid);
        if (mid_fits) {
          lo = mid;
          draft = std::move(mid_draft);
          rendered = std::move(mid_rendered);
        } else {
          hi = mid;
        }
      }
    }
    sample.prompt = std::move(rendered.text);
    sample.prompt_ids = std::move(rendered.ids);
    sample.scoring.references = draft.outputs;
    RequireFits(context, static_cast<TokenCount>(sample.prompt_ids.size()), to_generate, sample.id);
    sample.scoring.metric = task.generator == "qa" ? "string_match_part" : "string_match_all";
    sample.scoring.postprocess = PostProcess::kRuler;
    sample.generation.max_new_tokens = to_generate;
    sample.metadata.dataset = "ruler";
    sample.metadata.task = task.name;
    sample.metadata.length = length;
    sample.metadata.template_set = templates_.version + "+kvbench-ruler-generator-1(equivalent,not-identical)";
    sample.metadata.profile = wrapper_;
    sample.metadata.seed = seed_;
    return sample;
  }

 private:
  struct Rendered {
    std::string text;
    TokenIds ids;
  };

  // RULER: model wrapper around the task text, then the answer prefix after it.
  Rendered Render(const RulerDraft& draft, const PromptContext& context) const {
    const bool wrap = wrapper_ == "chat" && static_cast<bool>(context.chat);
    Rendered out;
    out.text = (wrap ? WrapInChat(context, draft.user_text) : draft.user_text) + draft.answer_prefix;
    out.ids = EncodePrompt(context, out.text, wrap);
    return out;
  }

  // The largest haystack size whose prompt + tokens_to_generate fits `length`
  // (RULER HEAD: estimate from a probe of `incremental` units, bound at 3x the
  // estimate, then bisect). Probes use a fixed seed; cached per (task, length).
  std::int64_t FittedSize(const RulerTaskConfig& task, TokenCount length, const PromptContext& context) const {
    std::lock_guard<std::mutex> lock(fit_mutex_);
    if (fit_tokenizer_ != context.tokenizer) {
      fitted_.clear();
      fit_tokenizer_ = context.tokenizer;
    }
    const auto key = std::make_pair(task.name, length);
    if (auto it = fitted_.find(key); it != fitted_.end()) return it->second;
    const TokenCount to_generate = templates_.tasks.at(task.generator).tokens_to_generate;
    auto tokens_at = [&](std::int64_t size) {
      Rng rng(SampleSeed(seed_, StrCat("fit/", task.name, "/", length)));
      const RulerDraft draft = GenerateRulerDraft(task, templates_, resources_, size, length, 0, rng);
      return static_cast<TokenCount>(Render(draft, context).ids.size()) + to_generate;
    };
    const std::int64_t step = RulerIncrement(task, length);
    const TokenCount probe = tokens_at(step);
    const TokenCount empty = tokens_at(0);
    KVB_REQUIRE(empty <= length, "ruler ", task.name, ": even an empty haystack needs ", empty,
                " tokens, more than the target length ", length);
    const double per_unit = std::max(1e-3, static_cast<double>(probe - empty) / static_cast<double>(step));
    std::int64_t hi = std::max<std::int64_t>(step, static_cast<std::int64_t>(3.0 * length / per_unit));
    // cwe draws distinct words: never more than the word list holds.
    const std::int64_t cap = task.generator == "common_words_extraction"
                                 ? static_cast<std::int64_t>(resources_.words.size())
                                 : std::int64_t{1} << 40;
    hi = std::min(hi, cap);
    std::int64_t lo = 0;
    // Grow until hi does not fit; stop if the prompt stops growing (a qa pool used up).
    for (TokenCount previous = -1, now = tokens_at(hi); now <= length; previous = now, now = tokens_at(hi)) {
      if (hi == cap || now == previous) {
        fitted_[key] = hi;
        return hi;
      }
      lo = hi;
      hi = std::min(hi * 2, cap);
    }
    while (lo + 1 < hi) {
      const std::int64_t mid = lo + (hi - lo) / 2;
      (tokens_at(mid) <= length ? lo : hi) = mid;
    }
    fitted_[key] = lo;
    return lo;
  }

  std::vector<const RulerTaskConfig*> tasks_;
  std::vector<std::int64_t> lengths_;
  SampleIndex num_samples_ = 100;
  std::uint64_t seed_ = 42;
  std::string wrapper_;
  RulerTemplateSet templates_;
  RulerResources resources_;
  mutable std::mutex fit_mutex_;
  mutable const Tokenizer* fit_tokenizer_ = nullptr;
  mutable std::map<std::pair<std::string, TokenCount>, std::int64_t> fitted_;
};

KVB_REGISTER_DATASET(DatasetSpec{
    "ruler",
    "RULER's 13 synthetic tasks at any length, fitted with the model's tokenizer (RULER-equivalent samples)",
    {
        {"tasks", "list<string>", "all 13", "niah_single_1..3, niah_multikey_1..3, niah_multivalue, niah_multiquery, vt, cwe, fwe, qa_1, qa_2"},
        {"lengths", "list<int> | {from,to,step}", "[4096]", "target lengths: prompt + tokens to generate"},
        {"num_samples", "int", "100", "samples per task and length"},
        {"seed", "int", "42", "random seed; sample i depends only on (seed, task, length, i)"},
        {"templates", "path", "kvbench's own", "RULER's task templates in the spec's ruler-templates.json layout"},
        {"wrapper", "string", "chat", "chat (the model's chat template, when it has one) | none"},
        {"haystack", "path", "builtin", "essay haystack: a directory of .txt files (e.g. Paul Graham essays)"},
        {"words", "path", kDefaultWordList, "word list for word keys and cwe (one word per line)"},
        {"squad", "path", "(none)", "SQuAD v2.0 dev JSON, needed by qa_1"},
        {"hotpotqa", "path", "(none)", "HotpotQA dev distractor JSON, needed by qa_2"},
    },
    [](const DatasetOptions& options) -> std::unique_ptr<Dataset> { return std::make_unique<Ruler>(options); }});

}  // namespace
}  // namespace kvb
