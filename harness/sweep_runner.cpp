#include "harness/sweep_runner.h"

#include <sqlite3.h>
#include <ATen/DeviceAccelerator.h>
#include <c10/core/Allocator.h>
#include <torch/cuda.h>
#include <torch/version.h>
#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <chrono>
#include <cstdio>
#include <iostream>
#include <map>
#include <optional>
#include <nlohmann/json.hpp>
#include <set>

#include "harness/progress.h"
#include "harness/sample_scoring.h"
#include "methods/registry.h"
#include "model/generation.h"
#include "model/tokenizer/chat_template.h"
#include "model/tokenizer/tokenizer.h"
#include "store/prediction_files.h"
#include "util/error.h"
#include "util/file.h"

namespace kvb {
namespace {

using Clock = std::chrono::steady_clock;

double MillisecondsSince(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

std::string ReadCommand(const std::string& command) {
  std::string out;
  if (std::FILE* pipe = popen(command.c_str(), "r")) {
    char buffer[256];
    while (std::fgets(buffer, sizeof(buffer), pipe)) out += buffer;
    if (pclose(pipe) != 0) return "";
  }
  while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
  return out;
}

at::ScalarType ParseDtype(const std::string& dtype) {
  if (dtype == "bfloat16") return at::kBFloat16;
  if (dtype == "float16") return at::kHalf;
  return at::kFloat;
}

std::string DeviceDescription(const std::string& device) {
  char host[256] = {0};
  gethostname(host, sizeof(host) - 1);
  return StrCat(device, "@", host);
}

// Peak device bytes of one sample: the accelerator allocator's peak of allocated bytes,
// reset before the sample's prefill (torch.cuda.max_memory_allocated semantics). On CPU
// nothing is measured and 0 is stored: LibTorch's CPU allocator keeps no peak, and the
// process RSS would be an upper bound that only grows over a sweep, not this sample's.
void ResetPeakDeviceBytes(const at::Device& device) {
  if (device.is_cuda()) at::accelerator::resetPeakStats(device.index() < 0 ? 0 : device.index());
}

std::int64_t PeakDeviceBytes(const at::Device& device) {
  if (!device.is_cuda()) return 0;
  const auto stats = at::accelerator::getDeviceStats(device.index() < 0 ? 0 : device.index());
  return stats.allocated_bytes[static_cast<std::size_t>(c10::CachingAllocator::StatType::AGGREGATE)].peak;
}

TokenIds StopTokenIds(const SweepConfig& config, const Tokenizer& tokenizer, const ModelConfig& model) {
  std::set<TokenId> ids(model.eos_token_ids.begin(), model.eos_token_ids.end());
  for (TokenId id : tokenizer.eos_ids()) ids.insert(id);
  for (const std::string& token : config.model.stop_tokens) {
    const auto id = tokenizer.TokenToId(token);
    if (!id) {
      throw ConfigError(StrCat(config.source.string(), ": model.stop_tokens: '", token,
                               "' is not a token of ", config.model.path.string()));
    }
    ids.insert(*id);
  }
  return TokenIds(ids.begin(), ids.end());
}

// Where results of this sample are filed: the entry's label, and the task when the
// entry holds several (LongBench subsets, RULER tasks), so each is a report column.
std::string StoredDatasetName(const DatasetEntry& entry, const Sample& sample) {
  const std::string& task = sample.metadata.task;
  if (task.empty() || task == entry.label || task == entry.name) return entry.label;
  return entry.label + "/" + task;
}

SampleRecord MakeSampleRecord(const DatasetEntry& entry, const Sample& sample, std::size_t index) {
  SampleRecord record;
  record.dataset = StoredDatasetName(entry, sample);
  record.sample_id = sample.id;
  record.sample_index = static_cast<std::int64_t>(index);
  record.prompt_tokens = static_cast<std::int64_t>(sample.prompt_ids.size());
  record.prompt_hash = StableHash(sample.prompt);
  record.references_json = nlohmann::json(sample.scoring.references).dump();
  nlohmann::json metadata = {{"entry", entry.label},
                             {"task", sample.metadata.task},
                             {"length", sample.metadata.length},
                             {"template_set", sample.metadata.template_set},
                             {"profile", sample.metadata.profile},
                             {"metric", sample.scoring.metric}};
  if (sample.metadata.depth) metadata["depth"] = *sample.metadata.depth;
  if (sample.metadata.seed) metadata["seed"] = sample.metadata.seed;
  if (!sample.scoring.all_classes.empty()) metadata["all_classes"] = sample.scoring.all_classes;
  record.metadata_json = metadata.dump();
  return record;
}

class SweepRunner {
 public:
  SweepRunner(const SweepPlan& plan, const RunnerOptions& options)
      : plan_(plan), options_(options), store_(ResultsStore::Open(ResultsStore::DatabasePath(plan.config.output))) {}

  RunnerSummary Run() {
    const SweepConfig& config = plan_.config;
    WriteFileAtomically(config.output / "sweep.resolved.yaml", config.text);
    const std::string commit = SourceGitCommit();
    const std::string versions = LibraryVersionsJson();
    const std::string device = DeviceDescription(config.model.device);
    for (const RunPlan& run : plan_.runs) {
      RunRecord record = run.record;
      record.git_commit = commit;
      record.library_versions_json = versions;
      record.device = device;
      store_.AddRun(record);
      completed_[record.run_id] = store_.CompletedSamples(record.run_id);
    }
    const std::int64_t session =
        store_.BeginSession({options_.command_line, commit, versions, device, options_.shard.Text()});
    LoadModel();
    for (const RunPlan& run : plan_.runs) methods_.push_back(CreateMethod(run.record.method, run.params));

    summary_.samples = plan_.SamplesInShard(options_.shard);
    Progress progress(summary_.samples, options_.progress_terminal);
    std::size_t ordinal = 0, done = 0;
    for (const DatasetPlan& dataset : plan_.datasets) {
      for (std::size_t index = 0; index < dataset.samples; ++index) {
        if (!options_.shard.Contains(ordinal++)) continue;
        RunSample(dataset, index);
        progress.Update(++done, dataset.entry.label, summary_.failed);
      }
    }
    progress.Finish();
    WritePredictionFiles(store_, config.output);
    if (options_.shard.count == 1 && summary_.failed == 0) {
      for (const RunPlan& run : plan_.runs) store_.MarkRunFinished(run.record.run_id);
    }
    store_.EndSession(session);
    return summary_;
  }

 private:
  void LoadModel() {
    const ModelSettings& model = plan_.config.model;
    tokenizer_ = Tokenizer::FromDirectory(model.path);
    DecoderOptions decoder_options;
    decoder_options.device = at::Device(model.device);
    decoder_options.dtype = ParseDtype(model.dtype);
    decoder_ = Decoder::Load(model.path, decoder_options);
    eos_ids_ = StopTokenIds(plan_.config, *tokenizer_, decoder_->config());
    context_.tokenizer = tokenizer_.get();
    if (model.chat_template == "auto") {
      // The model's own template, when it has one; the datasets decide per task whether
      // to use it (LongBench skips it for some subsets).
      chat_template_ = ChatTemplate::FromDirectory(model.path);
      if (chat_template_) {
        const ChatTemplate* chat = &*chat_template_;
        context_.chat = [chat](std::string_view text) {
          return chat->Render({{"user", std::string(text)}}, /*add_generation_prompt=*/true);
        };
      }
    }
    context_.context_limit = model.context_limit > 0 ? model.context_limit
                                                     : decoder_->config().max_position_embeddings;
    for (const DatasetPlan& dataset : plan_.datasets) {
      try {
        dataset.dataset->CheckFits(context_);
      } catch (const Error& e) {
        throw ConfigError(StrCat(plan_.config.source.string(), ": ", dataset.entry.key_path, ": ", e.what()));
      }
    }
  }

  void Synchronize() const {
    if (decoder_->options().device.is_cuda()) torch::cuda::synchronize();
  }

  void WriteFailure(const RunPlan& run, const SampleRecord& sample, const std::string& error) {
    ResultRecord result;
    result.run_id = run.record.run_id;
    result.sample = sample;
    result.failed = true;
    result.error = error;
    store_.WriteResult(result);
    ++summary_.results;
    ++summary_.failed;
  }

  void RunSample(const DatasetPlan& dataset, std::size_t index) {
    Sample sample;
    try {
      sample = dataset.dataset->Build(index, context_);
    } catch (const std::exception& e) {
      // Without a built sample there is no id: file the failure under its index.
      SampleRecord record;
      record.dataset = dataset.entry.label;
      record.sample_id = StrCat("#", index);
      record.sample_index = static_cast<std::int64_t>(index);
      record.prompt_hash = StableHash(record.sample_id);
      for (const RunPlan& run : plan_.runs) WriteFailure(run, record, e.what());
      return;
    }
    const SampleRecord record = MakeSampleRecord(dataset.entry, sample, index);
    std::vector<std::size_t> pending;
    for (std::size_t r = 0; r < plan_.runs.size(); ++r) {
      if (!completed_[plan_.runs[r].record.run_id].count({record.dataset, record.sample_id})) pending.push_back(r);
    }
    if (pending.empty()) {
      ++summary_.skipped;
      return;
    }
    GenerationOptions generation;
    generation.max_new_tokens =
        plan_.config.max_new_tokens > 0 ? plan_.config.max_new_tokens : sample.generation.max_new_tokens;
    generation.min_new_tokens = sample.generation.min_new_tokens;  // EOS masked until then
    generation.eos_ids = eos_ids_;
    generation.stop_strings = sample.generation.stop_strings;

    std::vector<CacheConfig> configs;
    for (std::size_t r : pending) configs.push_back({methods_[r].get(), plan_.runs[r].record.budget});
    PrefillResult prefill;
    double prefill_ms = 0.0;
    try {
      Synchronize();
      ResetPeakDeviceBytes(decoder_->options().device);
      const auto start = Clock::now();
      prefill = decoder_->Prefill(sample.prompt_ids, configs, generation.max_new_tokens);
      Synchronize();
      prefill_ms = MillisecondsSince(start);
    } catch (const std::exception& e) {
      for (std::size_t r : pending) WriteFailure(plan_.runs[r], record, StrCat("prefill: ", e.what()));
      return;
    }
    const ModelConfig& model = decoder_->config();
    const std::int64_t element_bytes = c10::elementSize(decoder_->options().dtype);
    const std::int64_t tokens_full = static_cast<std::int64_t>(sample.prompt_ids.size()) *
                                     model.num_kv_heads * model.num_layers;
    // What each cache holds after the prefill, before decoding appends to it.
    std::vector<ResultRecord> results(pending.size());
    std::vector<SequenceState*> states;
    for (std::size_t j = 0; j < pending.size(); ++j) {
      SequenceState& state = prefill.sequences[j];
      ResultRecord& result = results[j];
      result.run_id = plan_.runs[pending[j]].record.run_id;
      result.sample = record;
      result.memory.kv_bytes_kept = state.kv.BytesHeld();
      result.memory.kv_bytes_full = tokens_full * model.head_dim * 2 * element_bytes;
      result.memory.tokens_full = tokens_full;
      for (const auto& layer : state.kv.TokensKept()) {
        for (std::int32_t n : layer) result.memory.tokens_kept += n;
      }
      states.push_back(&state);
    }
    // Every configuration of the sample decodes as one batch (Decoder's batched step).
    // decode_ms of a run is the wall time of the steps it took part in: batched steps
    // serve all active runs at once, so this is what each run waited, not a share.
    std::vector<GenerationResult> generated;
    try {
      generated = GreedyDecodeBatch(*decoder_, states, prefill.last_logits, generation, tokenizer_.get());
      Synchronize();
    } catch (const std::exception& e) {
      for (std::size_t r : pending) WriteFailure(plan_.runs[r], record, StrCat("decode: ", e.what()));
      return;
    }
    const std::int64_t peak_bytes = PeakDeviceBytes(decoder_->options().device);  // the whole batch's peak
    for (std::size_t j = 0; j < pending.size(); ++j) {
      const RunPlan& run = plan_.runs[pending[j]];
      ResultRecord& result = results[j];
      try {
        result.prediction = generated[j].text;
        result.timings.prefill_ms = prefill_ms;  // shared by every run of this sample
        result.timings.new_tokens = static_cast<std::int64_t>(generated[j].tokens.size());
        result.timings.decode_ms_per_token =
            generated[j].tokens.empty() ? 0.0 : generated[j].decode_ms / generated[j].tokens.size();
        result.timings.end_to_end_ms = prefill_ms + generated[j].decode_ms;
        result.memory.peak_bytes = peak_bytes;
        result.scores = ScorePrediction(result.prediction, sample.scoring);
      } catch (const ConfigError&) {
        throw;  // an unknown metric name is the sweep's problem, not the sample's
      } catch (const std::exception& e) {
        WriteFailure(run, record, StrCat("decode: ", e.what()));
        continue;
      }
      store_.WriteResult(result);
      ++summary_.results;
    }
  }

  const SweepPlan& plan_;
  RunnerOptions options_;
  ResultsStore store_;
  std::map<std::string, std::set<std::pair<std::string, std::string>>> completed_;
  std::unique_ptr<Tokenizer> tokenizer_;
  std::unique_ptr<Decoder> decoder_;
  std::optional<ChatTemplate> chat_template_;
  std::vector<std::unique_ptr<EvictionMethod>> methods_;
  TokenIds eos_ids_;
  PromptContext context_;
  RunnerSummary summary_;
};

}  // namespace

std::string SourceGitCommit() {
  const std::string commit = ReadCommand(StrCat("git -C '", KVB_SOURCE_DIR, "' rev-parse HEAD 2>/dev/null"));
  if (commit.empty()) return "unknown";
  const std::string dirty =
      ReadCommand(StrCat("git -C '", KVB_SOURCE_DIR, "' status --porcelain --untracked-files=no 2>/dev/null"));
  return dirty.empty() ? commit : commit + "-dirty";
}

std::string LibraryVersionsJson() {
  const nlohmann::json versions = {{"kvbench", KVB_VERSION_STRING},
                                   {"libtorch", TORCH_VERSION},
                                   {"sqlite", sqlite3_libversion()},
                                   {"nlohmann_json", StrCat(NLOHMANN_JSON_VERSION_MAJOR, ".",
                                                            NLOHMANN_JSON_VERSION_MINOR, ".",
                                                            NLOHMANN_JSON_VERSION_PATCH)}};
  return versions.dump();
}

RunnerSummary RunSweep(const SweepPlan& plan, const RunnerOptions& options) {
  return SweepRunner(plan, options).Run();
}

}  // namespace kvb
