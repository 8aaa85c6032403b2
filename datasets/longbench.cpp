// LongBench v1 and LongBench-E (spec §1): the official jsonl records, the official
// templates read at run time from the user's files, and the protocol profiles of the
// KV-cache papers (spec §1.4.2).
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <map>

#include "datasets/dataset.h"
#include "datasets/dataset_options.h"
#include "datasets/jsonl.h"
#include "datasets/prompt_builder.h"
#include "model/tokenizer/tokenizer.h"
#include "util/error.h"

namespace kvb {
namespace {

namespace fs = std::filesystem;

// Facts of the benchmark (spec §1.1 table and HeadKV's eval.py), not template text.
struct TaskInfo {
  const char* metric;
  bool skips_chat;   // few-shot and code sets go in without the chat wrapper
  bool first_line;   // prediction cut to its first line before scoring
};

const std::map<std::string, TaskInfo, std::less<>>& TaskTable() {
  static const std::map<std::string, TaskInfo, std::less<>> table = {
      {"narrativeqa", {"qa_f1_score", false, false}},
      {"qasper", {"qa_f1_score", false, false}},
      {"multifieldqa_en", {"qa_f1_score", false, false}},
      {"multifieldqa_zh", {"qa_f1_zh_score", false, false}},
      {"hotpotqa", {"qa_f1_score", false, false}},
      {"2wikimqa", {"qa_f1_score", false, false}},
      {"musique", {"qa_f1_score", false, false}},
      {"dureader", {"rouge_zh_score", false, false}},
      {"gov_report", {"rouge_score", false, false}},
      {"qmsum", {"rouge_score", false, false}},
      {"multi_news", {"rouge_score", false, false}},
      {"vcsum", {"rouge_zh_score", false, false}},
      {"trec", {"classification_score", true, true}},
      {"triviaqa", {"qa_f1_score", true, true}},
      {"samsum", {"rouge_score", true, true}},
      {"lsht", {"classification_score", true, true}},
      {"passage_count", {"count_score", false, false}},
      {"passage_retrieval_en", {"retrieval_score", false, false}},
      {"passage_retrieval_zh", {"retrieval_zh_score", false, false}},
      {"lcc", {"code_sim_score", true, false}},
      {"repobench-p", {"code_sim_score", true, false}},
      // HeadKV's LooGLE long-dependency QA sets (LongBench schema, one template).
      {"comprehension_and_reasoning", {"qa_f1_score", false, false}},
      {"computation", {"qa_f1_score", false, false}},
      {"multiple_information_retrieval", {"qa_f1_score", false, false}},
      {"timeline_reorder", {"qa_f1_score", false, false}},
  };
  return table;
}

// The 16 datasets of SnapKV / PyramidKV / AdaKV, in KVCache-Factory's order.
const Strings& KvPaperDatasets() {
  static const Strings names = {"narrativeqa", "qasper", "multifieldqa_en", "hotpotqa", "2wikimqa",
                                "musique", "gov_report", "qmsum", "multi_news", "trec", "triviaqa",
                                "samsum", "passage_count", "passage_retrieval_en", "lcc", "repobench-p"};
  return names;
}

const Strings& HeadKvDatasets() {
  static const Strings names = {"narrativeqa", "qasper", "multifieldqa_en", "hotpotqa", "2wikimqa",
                                "musique", "comprehension_and_reasoning", "computation",
                                "multiple_information_retrieval", "timeline_reorder"};
  return names;
}

const Strings& LongBenchEDatasets() {
  static const Strings names = {"qasper", "multifieldqa_en", "hotpotqa", "2wikimqa", "gov_report",
                                "multi_news", "trec", "triviaqa", "samsum", "passage_count",
                                "passage_retrieval_en", "lcc", "repobench-p"};
  return names;
}

// How the published runners build the input (spec §1.4.2).
struct Profile {
  std::string name;
  bool chat = true;                // wrap in the chat template (except the skip list)
  bool min_one_new_token_all = false;  // min_length = input_len + 1 for every dataset
  bool samsum_newline_stop = true;
};

Profile ParseProfile(const DatasetOptions& options) {
  const std::string name = options.String("profile", "longbench");
  if (name == "longbench") return {name, true, false, true};
  if (name == "snapkv") return {name, true, true, true};
  if (name == "adakv") return {name, true, false, true};
  if (name == "pyramidkv" || name == "headkv") return {name, false, true, false};
  options.Fail("profile", StrCat("unknown profile '", name,
                                 "' (expected longbench, snapkv, adakv, pyramidkv or headkv)"));
}

// Templates and max new tokens: LongBench's config/dataset2prompt.json and
// dataset2maxlen.json (a directory holding both, or the prompt file with the max-len
// file beside it), or one combined file with `dataset2prompt` / `dataset2maxlen` keys.
struct PromptConfig {
  std::map<std::string, std::string, std::less<>> templates;
  std::map<std::string, TokenCount, std::less<>> max_new_tokens;
  std::string version;
};

void MergeStringMap(const nlohmann::json& object, const fs::path& file, std::string_view key,
                    std::map<std::string, std::string, std::less<>>& out) {
  KVB_REQUIRE(object.is_object(), file.string(), ": '", key, "' must be an object");
  for (const auto& [name, value] : object.items()) {
    KVB_REQUIRE(value.is_string(), file.string(), ": ", key, "['", name, "'] must be a string");
    out[name] = value.get<std::string>();
  }
}

void MergeIntMap(const nlohmann::json& object, const fs::path& file, std::string_view key,
                 std::map<std::string, TokenCount, std::less<>>& out) {
  KVB_REQUIRE(object.is_object(), file.string(), ": '", key, "' must be an object");
  for (const auto& [name, value] : object.items()) {
    KVB_REQUIRE(value.is_number_integer(), file.string(), ": ", key, "['", name, "'] must be an integer");
    out[name] = value.get<TokenCount>();
  }
}

PromptConfig LoadPromptConfig(const fs::path& prompts, const std::optional<fs::path>& maxlen_option) {
  PromptConfig config;
  fs::path prompt_file = prompts;
  if (fs::is_directory(prompts)) prompt_file = prompts / "dataset2prompt.json";
  KVB_REQUIRE(fs::is_regular_file(prompt_file), prompt_file.string(), ": prompt template file not found");
  const nlohmann::json root = ReadJsonFile(prompt_file);
  std::string version_text = root.dump();
  if (root.contains("dataset2prompt")) {
    MergeStringMap(root["dataset2prompt"], prompt_file, "dataset2prompt", config.templates);
    if (root.contains("dataset2maxlen"))
      MergeIntMap(root["dataset2maxlen"], prompt_file, "dataset2maxlen", config.max_new_tokens);
    if (root.contains("headkv_extra_dataset2prompt"))
      MergeStringMap(root["headkv_extra_dataset2prompt"], prompt_file, "headkv_extra_dataset2prompt",
                     config.templates);
    if (root.contains("headkv_extra_dataset2maxlen"))
      MergeIntMap(root["headkv_extra_dataset2maxlen"], prompt_file, "headkv_extra_dataset2maxlen",
                  config.max_new_tokens);
  } else {
    MergeStringMap(root, prompt_file, "dataset2prompt", config.templates);
  }
  fs::path maxlen_file = maxlen_option.value_or(prompt_file.parent_path() / "dataset2maxlen.json");
  if (maxlen_option || config.max_new_tokens.empty()) {
    KVB_REQUIRE(fs::is_regular_file(maxlen_file), maxlen_file.string(),
                ": max-new-tokens file (dataset2maxlen.json) not found");
    const nlohmann::json maxlen = ReadJsonFile(maxlen_file);
    MergeIntMap(maxlen, maxlen_file, "dataset2maxlen", config.max_new_tokens);
    version_text += maxlen.dump();
  }
  config.version = TemplateSetVersion("longbench-official", version_text);
  return config;
}

struct Record {
  std::string task;
  std::string id;
  std::string prompt;  // the template filled with the record (before truncation)
  Strings answers;
  Strings all_classes;
  std::int64_t length = 0;
};

class LongBench : public Dataset {
 public:
  explicit LongBench(const DatasetOptions& options)
      : profile_(ParseProfile(options)),
        max_length_(options.Int("max_length", 0)),
        chat_mode_(options.String("chat", "auto")),
        llama2_inst_(options.Bool("llama2_inst", false)) {
    if (chat_mode_ != "auto" && chat_mode_ != "on" && chat_mode_ != "off")
      options.Fail("chat", "expected auto, on or off");
    if (max_length_ < 0) options.Fail("max_length", "must be >= 0 (0 = from the context limit)");
    const fs::path data_dir = options.String("data_dir", "");
    if (data_dir.empty()) options.Fail("data_dir", "required: the directory holding the LongBench *.jsonl files");
    const auto prompts = options.OptionalString("prompts");
    if (!prompts) options.Fail("prompts", "required: LongBench's config/dataset2prompt.json (or its directory)");
    std::optional<fs::path> maxlen;
    if (auto m = options.OptionalString("max_new_tokens_file")) maxlen = *m;
    config_ = LoadPromptConfig(*prompts, maxlen);

    const bool e = options.Bool("e", false);
    const Strings default_tasks = profile_.name == "headkv" ? HeadKvDatasets()
                                  : e                       ? LongBenchEDatasets()
                                                            : KvPaperDatasets();
    Strings tasks = options.StringList("datasets", default_tasks);
    if (tasks.size() == 1 && tasks[0] == "all") {
      tasks.clear();
      for (const auto& [name, info] : TaskTable()) tasks.push_back(name);
    }
    const std::int64_t limit = options.Int("limit", 0);
    for (const auto& task : tasks) {
      if (!TaskTable().count(task)) options.Fail("datasets", StrCat("unknown LongBench dataset '", task, "'"));
      if (!config_.templates.count(task))
        options.Fail("datasets", StrCat("no template for '", task, "' in ", *prompts));
      if (!config_.max_new_tokens.count(task))
        options.Fail("datasets", StrCat("no max new tokens for '", task, "' in the dataset2maxlen file"));
      LoadTask(data_dir / (task + (e ? "_e.jsonl" : ".jsonl")), task, limit);
    }
    tasks_ = tasks;
  }

  SampleIndex size() const override { return records_.size(); }

  void CheckFits(const PromptContext& context) const override {
    RequireUsableContext(context, "longbench");
    for (const auto& task : tasks_) {
      const TokenCount max_new = config_.max_new_tokens.find(task)->second;
      if (TruncationLimit(context, max_new) <= 0 ||
          (max_length_ > 0 && max_length_ + max_new > context.context_limit))
        throw Error(StrCat("longbench: a context of ", context.context_limit, " tokens leaves no room for ",
                           task, "'s prompt and answer; lower max_length"));
    }
  }

  Sample Build(SampleIndex index, const PromptContext& context) const override {
    RequireUsableContext(context, "longbench");
    KVB_CHECK(index < records_.size(), "sample ", index, " of ", records_.size());
    const Record& record = records_[index];
    const TaskInfo& info = TaskTable().find(record.task)->second;
    const TokenCount max_new = config_.max_new_tokens.find(record.task)->second;

    // Official order: truncate the raw prompt (BOS counted, specials skipped on
    // decode), then wrap it in the chat template, then encode again.
    // Llama-2 chat models (`llama2_inst: true`): the KV repos (pyramidkv/headkv) put
    // "[INST] p [/INST]" around every dataset's prompt before truncating; the official
    // build_chat (other profiles) puts "[INST]p[/INST]" around the truncated prompt,
    // skip-list sets excepted. Either replaces the tokenizer's chat template.
    const bool inst_before_truncation = llama2_inst_ && !profile_.chat;
    std::string prompt = MiddleTruncate(
        *context.tokenizer, inst_before_truncation ? "[INST] " + record.prompt + " [/INST]" : record.prompt,
        TruncationLimit(context, max_new), /*add_special_tokens=*/true, /*skip_special_on_decode=*/true);
    const bool wrap = !llama2_inst_ && UsesChat(context, info);
    if (wrap) prompt = WrapInChat(context, prompt);
    if (llama2_inst_ && profile_.chat && chat_mode_ != "off" && !info.skips_chat) prompt = "[INST]" + prompt + "[/INST]";

    Sample sample;
    sample.id = record.id;
    sample.prompt_ids = EncodePrompt(context, prompt, wrap);
    sample.prompt = std::move(prompt);
    RequireFits(context, static_cast<TokenCount>(sample.prompt_ids.size()), max_new,
                StrCat("longbench ", record.task, " sample ", record.id));
    sample.scoring.metric = info.metric;
    sample.scoring.references = record.answers;
    sample.scoring.all_classes = record.all_classes;
    sample.scoring.postprocess = info.first_line ? PostProcess::kFirstLine : PostProcess::kNone;
    sample.generation.max_new_tokens = max_new;
    const bool samsum = record.task == "samsum";
    sample.generation.min_new_tokens = (profile_.min_one_new_token_all || samsum) ? 1 : 0;
    if (samsum && profile_.samsum_newline_stop) sample.generation.stop_strings = {"\n"};
    sample.metadata.dataset = "longbench";
    sample.metadata.task = record.task;
    sample.metadata.length = record.length;
    sample.metadata.template_set = config_.version;
    sample.metadata.profile = profile_.name;
    return sample;
  }

 private:
  void LoadTask(const fs::path& file, const std::string& task, std::int64_t limit) {
    KVB_REQUIRE(fs::is_regular_file(file), file.string(), ": LongBench data file for '", task, "' not found");
    const std::string& template_text = config_.templates.find(task)->second;
    std::int64_t taken = 0;
    for (const JsonlRecord& line : ReadJsonl(file)) {
      if (limit > 0 && taken >= limit) break;
      Record record;
      record.task = task;
      // The templates use only {context} and {input}; both must be strings.
      FormatFields fields = {{"context", RequireStringField(line, "context")},
                             {"input", RequireStringField(line, "input")}};
      record.prompt = PyFormat(template_text, fields, StrCat(file.string(), ":", line.line));
      record.answers = RequireStringListField(line, "answers");
      record.all_classes = OptionalStringListField(line, "all_classes");
      record.length = OptionalIntField(line, "length", 0);
      const auto id = line.value.find("_id");
      record.id = StrCat(task, "/",
                         id != line.value.end() && id->is_string() ? id->get<std::string>()
                                                                   : StrCat("line", line.line));
      records_.push_back(std::move(record));
      ++taken;
    }
  }

  bool UsesChat(const PromptContext& context, const TaskInfo& info) const {
    if (!context.chat || chat_mode_ == "off") return false;
    if (chat_mode_ == "on") return !info.skips_chat;
    return profile_.chat && !info.skips_chat;
  }

  // The official limit is model2maxlen (e.g. 31500 for a 32k model, 3500 for 4k);
  // by default kvbench leaves room for the answer and a chat wrapper.
  TokenCount TruncationLimit(const PromptContext& context, TokenCount max_new) const {
    if (max_length_ > 0) return max_length_;
    return context.context_limit - max_new - kChatWrapperAllowance;
  }

  // Tokens reserved for the chat template's text around the prompt (auto limit only).
  static constexpr TokenCount kChatWrapperAllowance = 64;

  Profile profile_;
  TokenCount max_length_;
  std::string chat_mode_;
  bool llama2_inst_ = false;
  PromptConfig config_;
  Strings tasks_;
  std::vector<Record> records_;
};

KVB_REGISTER_DATASET(DatasetSpec{
    "longbench",
    "LongBench v1 / LongBench-E: official jsonl + official templates, KV-paper protocol profiles",
    {
        {"data_dir", "path", "(required)", "directory with {dataset}.jsonl (and {dataset}_e.jsonl)"},
        {"prompts", "path", "(required)",
         "LongBench config/dataset2prompt.json, its directory, or one file with dataset2prompt + dataset2maxlen"},
        {"max_new_tokens_file", "path", "dataset2maxlen.json beside prompts", "LongBench config/dataset2maxlen.json"},
        {"datasets", "list<string>", "the 16 of SnapKV/PyramidKV (headkv: HeadKV's 10; e: the 13 of -E)",
         "which datasets, or [all]"},
        {"e", "bool", "false", "LongBench-E: read {dataset}_e.jsonl"},
        {"profile", "string", "longbench", "longbench | snapkv | adakv | pyramidkv | headkv (spec 1.4.2)"},
        {"max_length", "int", "0 (= context - max_new_tokens - 64)", "middle-truncation limit in tokens"},
        {"chat", "string", "auto", "auto (as the profile) | on | off: the chat wrapper (skip-list sets never)"},
        {"llama2_inst", "bool", "false",
         "Llama-2 chat model: [INST]p[/INST] after truncation (longbench/snapkv/adakv, skip list kept) or "
         "[INST] p [/INST] before it on every dataset (pyramidkv/headkv), instead of the chat template"},
        {"limit", "int", "0 (all)", "at most this many records per dataset"},
    },
    [](const DatasetOptions& options) -> std::unique_ptr<Dataset> {
      return std::make_unique<LongBench>(options);
    }});

}  // namespace
}  // namespace kvb
