// The one dataset interface: records (or a generator) in; prompt, references, metric,
// generation settings and metadata out. No LibTorch here (DESIGN.md).
//
// A dataset is created by its registered name from a YAML node of options
// (CreateDataset); each dataset lives in one .cpp file that registers itself with
// KVB_REGISTER_DATASET, so adding one touches no other file (STYLE P1).
//
// Life of a sample, as the runner uses it:
//   auto dataset = CreateDataset("longbench", options_node);
//   dataset->CheckFits(context);              // before any generation: throws if a
//                                             // requested length cannot fit the model
//   for (SampleIndex i = 0; i < dataset->size(); ++i) {
//     Sample s = dataset->Build(i, context);  // deterministic: same i, same sample
//     ... prefill s.prompt_ids, generate with s.generation, score with s.scoring ...
//   }
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "util/types.h"

namespace YAML {
class Node;
}

namespace kvb {

class Tokenizer;

using SampleIndex = std::size_t;
// A length in tokens (context limits, target lengths, budgets).
using TokenCount = std::int64_t;
using Strings = std::vector<std::string>;

// Renders `user_text` as a single user turn followed by the assistant header, as
// transformers' apply_chat_template([{"role": "user", "content": user_text}],
// add_generation_prompt=True, tokenize=False) does. The harness fills it from the
// model's ChatTemplate (model/tokenizer/chat_template.h); empty = the model has no
// chat template (or the user turned it off), so prompts go in unwrapped.
using ChatRenderer = std::function<std::string(std::string_view user_text)>;

// What a dataset needs from the model to build prompts. Borrowed pointers: the
// caller keeps the tokenizer alive while samples are built.
struct PromptContext {
  const Tokenizer* tokenizer = nullptr;  // required
  ChatRenderer chat;                     // optional, see above
  // The model's context window (max_position_embeddings or the user's cap): prompt
  // tokens + max_new_tokens must fit in it, or Build/CheckFits throw.
  TokenCount context_limit = 0;
};

// How the runner generates for one sample (greedy decoding).
struct GenerationSettings {
  TokenCount max_new_tokens = 0;
  // EOS is not honoured before this many new tokens (the KV repos' min_length =
  // input_len + 1 gives 1).
  TokenCount min_new_tokens = 0;
  // Generation stops when the decoded continuation contains one of these; the
  // prediction is cut before it. LongBench's samsum rule is {"\n"}.
  Strings stop_strings;
};

// What the prediction goes through before the metric (the runner applies it).
enum class PostProcess {
  kNone,
  kFirstLine,  // LongBench trec/triviaqa/samsum/lsht: lstrip("\n").split("\n")[0]
  kRuler,      // RULER: strip, control characters -> "\n", strip
  kStrip,      // needle: .strip()
};

// Everything the metric needs besides the prediction.
struct ScoringInputs {
  std::string metric;   // a metric name as metrics/ registers it, e.g. "qa_f1_score"
  Strings references;   // the score is the max over these (LongBench) or as the metric says
  Strings all_classes;  // classification_score (trec, lsht); empty otherwise
  std::string question; // BABILong's scorer drops labels found in the question
  Strings labels;       // BABILong label set
  PostProcess postprocess = PostProcess::kNone;
  // Further metrics stored beside the main one (needle: the ROUGE-1 F its result
  // files store, next to the heatmap's recall).
  Strings extra_metrics;
  // References of a metric that compares against something else than `references`
  // (needle_rouge1_f scores against the whole needle sentence, the recall against
  // the answer words). Metrics not named here use `references`.
  std::map<std::string, Strings, std::less<>> metric_references;

  const Strings& ReferencesFor(std::string_view metric_name) const {
    const auto it = metric_references.find(metric_name);
    return it == metric_references.end() ? references : it->second;
  }
};

struct SampleMetadata {
  std::string dataset;       // registered dataset name, e.g. "longbench"
  std::string task;          // sub-dataset / task, e.g. "multi_news", "niah_single_1", "qa2"
  // Target context length in tokens (generated data) or the record's `length` field
  // (LongBench: words or characters, as the data defines it).
  std::int64_t length = 0;
  std::optional<double> depth;  // needle depth percent (0..100), when it applies
  // Which prompt/template set built this sample, e.g. "longbench-official:<sha>" or
  // "kvbench-ruler-1": written into every result row (STYLE P13).
  std::string template_set;
  std::string profile;       // protocol profile, e.g. "pyramidkv"
  std::uint64_t seed = 0;    // generators only
};

struct Sample {
  std::string id;          // unique within the dataset; stable across runs
  std::string prompt;      // fully built prompt text (after chat template and truncation)
  TokenIds prompt_ids;     // exactly the ids to prefill (BOS included where the profile adds it)
  ScoringInputs scoring;
  GenerationSettings generation;
  SampleMetadata metadata;
};

class Dataset {
 public:
  virtual ~Dataset() = default;

  // Number of samples; fixed once the dataset is created (no tokenizer needed).
  virtual SampleIndex size() const = 0;

  // Throws kvb::Error, before any generation, when a length this dataset will build
  // cannot fit `context` (e.g. a RULER length above the model's context window).
  virtual void CheckFits(const PromptContext& context) const = 0;

  // Builds sample `index` (< size()). Deterministic: the same options, index and
  // tokenizer give the same sample. Throws kvb::Error when the prompt plus
  // max_new_tokens exceeds context.context_limit.
  virtual Sample Build(SampleIndex index, const PromptContext& context) const = 0;
};

// One option a dataset accepts, for `kvbench datasets` and for unknown-key errors.
struct DatasetOptionSpec {
  std::string name;
  std::string type;           // "string", "int", "bool", "path", "list<int>", ...
  std::string default_value;  // as text; "(required)" when there is none
  std::string doc;            // one line
};

class DatasetOptions;  // datasets/dataset_options.h: typed, key-checked YAML access

using DatasetFactory = std::function<std::unique_ptr<Dataset>(const DatasetOptions&)>;

struct DatasetSpec {
  std::string name;
  std::string summary;
  std::vector<DatasetOptionSpec> options;
  DatasetFactory factory;
};

class DatasetRegistry {
 public:
  static DatasetRegistry& Get();
  // Aborts at start-up on a duplicate name, naming it (a programming error).
  void Add(DatasetSpec spec);
  // Throws ConfigError for an unknown name, listing the names and the nearest one.
  const DatasetSpec& Find(std::string_view name) const;
  // Sorted by name.
  std::vector<const DatasetSpec*> List() const;

 private:
  std::vector<DatasetSpec> specs_;
};

// Creates dataset `name` from its options (a YAML map, or null/undefined for all
// defaults). An unknown option is a ConfigError naming the key (and its line);
// `source` names the config file in messages.
std::unique_ptr<Dataset> CreateDataset(std::string_view name, const YAML::Node& options,
                                       std::string_view source = "");

struct DatasetRegistrar {
  explicit DatasetRegistrar(DatasetSpec spec);
};

}  // namespace kvb

#define KVB_DATASET_CONCAT_INNER(a, b) a##b
#define KVB_DATASET_CONCAT(a, b) KVB_DATASET_CONCAT_INNER(a, b)
// KVB_REGISTER_DATASET(DatasetSpec{...}) in the dataset's own .cpp.
#define KVB_REGISTER_DATASET(...)                                                   \
  static ::kvb::DatasetRegistrar KVB_DATASET_CONCAT(kvb_dataset_registrar_, __LINE__)( \
      __VA_ARGS__)
