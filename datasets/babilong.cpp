// Reason in a haystack from BABILong JSONL (spec §4): records with `input`,
// `question`, `target` (and `task` when one file holds several tasks), HeadKV's
// prompt assembly and scorer inputs.
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <map>

#include "datasets/babilong_prompt.h"
#include "datasets/dataset.h"
#include "datasets/dataset_options.h"
#include "datasets/jsonl.h"
#include "datasets/prompt_builder.h"
#include "util/error.h"

namespace kvb {
namespace {

namespace fs = std::filesystem;

// "0k" -> 0, "2k" -> 2000 (tokens, nominal), for metadata.
std::int64_t SplitLength(const std::string& split) {
  if (split.size() >= 2 && split.back() == 'k') {
    try {
      return std::stoll(split.substr(0, split.size() - 1)) * 1000;
    } catch (const std::exception&) {
    }
  }
  return 0;
}

struct Record {
  std::string split, task, input, question, target, id;
};

class Babilong : public Dataset {
 public:
  explicit Babilong(const DatasetOptions& options) {
    const fs::path dir = options.String("data_dir", "");
    if (dir.empty()) options.Fail("data_dir", "required: directory with {split}.jsonl or {split}/{task}.jsonl files");
    if (!fs::is_directory(dir)) options.Fail("data_dir", StrCat(dir.string(), ": not a directory"));
    if (auto file = options.OptionalString("prompts")) {
      prompts_ = LoadBabilongPrompts(*file);
    } else {
      prompts_ = OwnBabilongPrompts();
    }
    build_.max_length = options.Int("max_length", 0);
    build_.max_new_tokens = options.Int("max_new_tokens", 15);
    const Strings tasks = options.StringList("tasks", {"qa1", "qa2", "qa3", "qa4", "qa5"});
    for (const auto& task : tasks)
      if (!prompts_.tasks.count(task)) options.Fail("tasks", StrCat("no prompt for task '", task, "'"));
    Strings splits = options.StringList("splits", {});
    if (splits.empty()) {
      for (const auto& entry : fs::directory_iterator(dir)) {
        if (entry.path().extension() == ".jsonl" || entry.is_directory()) splits.push_back(entry.path().stem().string());
      }
      std::sort(splits.begin(), splits.end(), [](const auto& a, const auto& b) {
        return SplitLength(a) != SplitLength(b) ? SplitLength(a) < SplitLength(b) : a < b;
      });
    }
    if (splits.empty()) options.Fail("data_dir", StrCat(dir.string(), ": no BABILong files"));
    const std::int64_t limit = options.Int("limit", 0);
    for (const auto& split : splits) LoadSplit(dir, split, tasks, limit);
  }

  SampleIndex size() const override { return records_.size(); }

  void CheckFits(const PromptContext& context) const override {
    RequireUsableContext(context, "babilong");
    KVB_REQUIRE(build_.max_length == 0 || build_.max_length + build_.max_new_tokens <= context.context_limit,
                "babilong: max_length ", build_.max_length, " + max_new_tokens exceeds the model's context of ",
                context.context_limit);
  }

  Sample Build(SampleIndex index, const PromptContext& context) const override {
    RequireUsableContext(context, "babilong");
    KVB_CHECK(index < records_.size());
    const Record& record = records_[index];
    Sample sample;
    sample.id = record.id;
    BuildBabilongSample(prompts_, record.task, record.input, record.question, record.target, build_, context, sample);
    sample.metadata.dataset = "babilong";
    sample.metadata.task = record.task;
    sample.metadata.length = SplitLength(record.split);
    sample.metadata.profile = "headkv";
    return sample;
  }

 private:
  void LoadSplit(const fs::path& dir, const std::string& split, const Strings& tasks, std::int64_t limit) {
    std::map<std::string, std::int64_t> taken;
    auto add = [&](const JsonlRecord& line, const std::string& task) {
      if (std::find(tasks.begin(), tasks.end(), task) == tasks.end()) return;
      if (limit > 0 && taken[task] >= limit) return;
      Record record{split, task, RequireStringField(line, "input"), RequireStringField(line, "question"),
                    RequireStringField(line, "target"), ""};
      record.id = StrCat("babilong/", split, "/", task, "/", taken[task]++);
      records_.push_back(std::move(record));
    };
    const fs::path file = dir / (split + ".jsonl");
    if (fs::is_regular_file(file)) {
      for (const auto& line : ReadJsonl(file)) add(line, RequireStringField(line, "task"));
      return;
    }
    KVB_REQUIRE(fs::is_directory(dir / split), file.string(), ": BABILong split file not found (nor a directory ",
                (dir / split).string(), ")");
    for (const auto& task : tasks) {
      for (const auto& line : ReadJsonl(dir / split / (task + ".jsonl"))) add(line, task);
    }
  }

  BabilongPromptSet prompts_;
  BabilongBuildOptions build_;
  std::vector<Record> records_;
};

KVB_REGISTER_DATASET(DatasetSpec{
    "babilong",
    "Reason in a haystack: BABILong qa1-qa5 JSONL with HeadKV's prompt assembly",
    {
        {"data_dir", "path", "(required)", "directory with {split}.jsonl (field task) or {split}/{task}.jsonl"},
        {"splits", "list<string>", "all found, by length", "e.g. [0k, 1k, 2k]"},
        {"tasks", "list<string>", "[qa1, qa2, qa3, qa4, qa5]", "bAbI tasks"},
        {"prompts", "path", "kvbench's own", "BABILong's prompts in the spec's babilong-prompts.json layout"},
        {"max_length", "int", "0 (= context - max_new_tokens)", "middle-truncation limit in tokens"},
        {"max_new_tokens", "int", "15", "HeadKV 15, upstream BABILong 20"},
        {"limit", "int", "0 (all)", "at most this many records per split and task"},
    },
    [](const DatasetOptions& options) -> std::unique_ptr<Dataset> { return std::make_unique<Babilong>(options); }});

}  // namespace
}  // namespace kvb
