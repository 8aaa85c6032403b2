// RULER's own generated samples (spec §2.2 "Output record"): the official
// `{task}/validation.jsonl` files (or KVCache-Factory's `{task}.jsonl` copies), so
// a user can run the exact official samples rather than kvbench's equivalent ones.
#include <yaml-cpp/yaml.h>

#include <algorithm>

#include "datasets/dataset.h"
#include "datasets/dataset_options.h"
#include "datasets/jsonl.h"
#include "datasets/prompt_builder.h"
#include "datasets/ruler_tasks.h"
#include "model/tokenizer/tokenizer.h"
#include "util/error.h"

namespace kvb {
namespace {

namespace fs = std::filesystem;

struct Record {
  std::string task, id, prompt;
  Strings outputs;
  std::int64_t length = 0;
};

class RulerJsonl : public Dataset {
 public:
  explicit RulerJsonl(const DatasetOptions& options) {
    const fs::path dir = options.String("data_dir", "");
    if (dir.empty()) options.Fail("data_dir", "required: RULER's .../data directory ({task}/validation.jsonl)");
    if (!fs::is_directory(dir)) options.Fail("data_dir", StrCat(dir.string(), ": not a directory"));
    profile_ = options.String("profile", "ruler");
    if (profile_ != "ruler" && profile_ != "pyramidkv") options.Fail("profile", "expected ruler or pyramidkv");
    max_length_ = options.Int("max_length", 0);
    // RULER's layout is .../synthetic/{seq_len}/data: take the length from the path.
    std::int64_t default_length = 0;
    try {
      default_length = std::stoll(fs::absolute(dir).lexically_normal().parent_path().filename().string());
    } catch (const std::exception&) {
    }
    const std::int64_t length = options.Int("length", default_length);
    Strings tasks = options.StringList("tasks", {});
    if (tasks.empty()) {
      for (const auto& task : RulerTaskConfigs())
        if (FindFile(dir, task.name)) tasks.push_back(task.name);
      if (tasks.empty()) options.Fail("data_dir", StrCat(dir.string(), ": no {task}/validation.jsonl or {task}.jsonl files"));
    }
    const std::int64_t limit = options.Int("limit", 0);
    for (const auto& task : tasks) {
      FindRulerTask(task);  // unknown name -> ConfigError
      const auto file = FindFile(dir, task);
      KVB_REQUIRE(file, (dir / task / "validation.jsonl").string(), ": RULER file not found (nor ",
                  (dir / (task + ".jsonl")).string(), ")");
      std::int64_t taken = 0;
      for (const auto& line : ReadJsonl(*file)) {
        if (limit > 0 && taken >= limit) break;
        Record record;
        record.task = task;
        // HEAD records keep the answer prefix apart; late-2024 ones have it inside input.
        record.prompt = RequireStringField(line, "input");
        if (line.value.contains("answer_prefix")) record.prompt += RequireStringField(line, "answer_prefix");
        record.outputs = RequireStringListField(line, "outputs");
        record.length = length;
        record.id = StrCat("ruler_jsonl/", task, "/", OptionalIntField(line, "index", taken));
        records_.push_back(std::move(record));
        ++taken;
      }
    }
  }

  SampleIndex size() const override { return records_.size(); }

  void CheckFits(const PromptContext& context) const override {
    RequireUsableContext(context, "ruler_jsonl");
    if (max_length_ > 0)
      KVB_REQUIRE(max_length_ + 128 <= context.context_limit, "ruler_jsonl: max_length ", max_length_,
                  " leaves no room to generate in the model's context of ", context.context_limit);
  }

  Sample Build(SampleIndex index, const PromptContext& context) const override {
    RequireUsableContext(context, "ruler_jsonl");
    KVB_CHECK(index < records_.size());
    const Record& record = records_[index];
    const RulerTaskConfig& task = FindRulerTask(record.task);
    const bool pyramid = profile_ == "pyramidkv";
    // RULER's tokens_to_generate per generator (constants.py); KVCache-Factory uses 64.
    const TokenCount max_new = pyramid                                     ? 64
                               : task.generator == "niah"                  ? 128
                               : task.generator == "variable_tracking"     ? 30
                               : task.generator == "common_words_extraction" ? 120
                               : task.generator == "freq_words_extraction" ? 50
                                                                           : 32;
    std::string prompt = record.prompt;
    if (pyramid) {
      const TokenCount limit = max_length_ > 0 ? max_length_ : context.context_limit - max_new;
      prompt = MiddleTruncate(*context.tokenizer, prompt, limit, true, true);
    }
    Sample sample;
    sample.id = record.id;
    sample.prompt_ids = context.tokenizer->Encode(prompt, /*add_special_tokens=*/true);
    sample.prompt = std::move(prompt);
    RequireFits(context, static_cast<TokenCount>(sample.prompt_ids.size()), max_new, sample.id);
    sample.scoring.metric = !pyramid && task.generator == "qa" ? "string_match_part" : "string_match_all";
    sample.scoring.references = record.outputs;
    sample.scoring.postprocess = pyramid ? PostProcess::kNone : PostProcess::kRuler;
    sample.generation.max_new_tokens = max_new;
    sample.generation.min_new_tokens = pyramid ? 1 : 0;
    sample.metadata.dataset = "ruler_jsonl";
    sample.metadata.task = record.task;
    sample.metadata.length = record.length;
    sample.metadata.template_set = "ruler-official-jsonl";
    sample.metadata.profile = profile_;
    return sample;
  }

 private:
  static std::optional<fs::path> FindFile(const fs::path& dir, const std::string& task) {
    for (const fs::path& candidate : {dir / task / "validation.jsonl", dir / (task + ".jsonl")})
      if (fs::is_regular_file(candidate)) return candidate;
    return std::nullopt;
  }

  std::string profile_;
  TokenCount max_length_ = 0;
  std::vector<Record> records_;
};

KVB_REGISTER_DATASET(DatasetSpec{
    "ruler_jsonl",
    "RULER's own generated samples: {task}/validation.jsonl (HEAD) or {task}.jsonl (KVCache-Factory copies)",
    {
        {"data_dir", "path", "(required)", "RULER's .../synthetic/{seq_len}/data directory"},
        {"tasks", "list<string>", "all found", "RULER task names"},
        {"length", "int", "the {seq_len} directory name", "target length recorded in metadata"},
        {"profile", "string", "ruler", "ruler (tokens_to_generate per task) | pyramidkv (64 tokens, truncation)"},
        {"max_length", "int", "0 (= context - max_new_tokens)", "pyramidkv: middle-truncation limit"},
        {"limit", "int", "0 (all)", "at most this many records per task"},
    },
    [](const DatasetOptions& options) -> std::unique_ptr<Dataset> { return std::make_unique<RulerJsonl>(options); }});

}  // namespace
}  // namespace kvb
