// kvbench bench decode  --model DIR --method M [--context 32768[,65536...]] [--budget 1024]
//                       [--baseline M2] [--new-tokens 64] [--device cuda] [--dtype bf16] [--json FILE]
// kvbench bench sweep   --model DIR --methods a,b,.. [--context 16384] [--samples 8] [--budgets 128,..]
//                       [--new-tokens 32] [--strategies separate,shared,batched]
//
// decode: per context, prefill ms, decode ms/token, peak device bytes and KV bytes of the
// method and of the baseline (measured in the same process), and the ratio of decode time
// to the memory floor: (weight bytes + KV bytes read per step) / copy bandwidth, the copy
// bandwidth measured here on a 1 GiB device-to-device copy. With several contexts it also
// fits peak = a + b * L and prints the longest prompt that fits 24 GB and 80 GB.
// sweep: the same random prompts run as a sweep does, three ways: a prefill per
// configuration (separate), one prefill per sample with each cache decoded alone (shared),
// and one prefill with every cache decoded as one batch (batched).
// Prompts are random token ids (seeded): speed does not depend on what they say, and
// decoding ignores EOS so every run decodes exactly --new-tokens tokens.
#include <ATen/ATen.h>
#include <torch/cuda.h>
#include <yaml-cpp/yaml.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>

#include "harness/command.h"
#include "methods/registry.h"
#include "model/decoder.h"
#include "model/generation.h"
#include "util/error.h"
#include "util/file.h"

namespace kvb {
namespace {

using Clock = std::chrono::steady_clock;

double MillisecondsSince(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

void Synchronize(const at::Device& device) {
  if (device.is_cuda()) torch::cuda::synchronize();
}

void ResetPeak(const at::Device& device) {
  if (device.is_cuda()) at::accelerator::resetPeakStats(device.index() < 0 ? 0 : device.index());
}

std::int64_t PeakBytes(const at::Device& device) {
  if (!device.is_cuda()) return 0;
  const auto stats = at::accelerator::getDeviceStats(device.index() < 0 ? 0 : device.index());
  return stats.allocated_bytes[static_cast<std::size_t>(c10::CachingAllocator::StatType::AGGREGATE)].peak;
}

// Bytes/s of a device-to-device copy of 1 GiB (read + write counted), best of 5.
double CopyBandwidth(const at::Device& device) {
  const std::int64_t bytes = std::int64_t{1} << 30;
  const at::Tensor source = at::ones({bytes / 2}, at::TensorOptions().dtype(at::kBFloat16).device(device));
  at::Tensor destination = at::empty_like(source);
  double best = 1e30;
  for (int i = 0; i < 6; ++i) {
    Synchronize(device);
    const auto start = Clock::now();
    destination.copy_(source);
    Synchronize(device);
    if (i > 0) best = std::min(best, MillisecondsSince(start));
  }
  return 2.0 * static_cast<double>(bytes) / (best * 1e-3);
}

std::vector<std::int64_t> ParseIntList(const std::string& text, const char* flag) {
  std::vector<std::int64_t> values;
  std::stringstream stream(text);
  std::string item;
  while (std::getline(stream, item, ',')) {
    try {
      values.push_back(std::stoll(item));
    } catch (const std::exception&) {
      throw ConfigError(StrCat(flag, ": \"", item, "\" is not an integer"));
    }
  }
  KVB_REQUIRE(!values.empty(), flag, ": empty list");
  return values;
}

std::vector<std::string> ParseNameList(const std::string& text) {
  std::vector<std::string> names;
  std::stringstream stream(text);
  std::string item;
  while (std::getline(stream, item, ',')) {
    if (!item.empty()) names.push_back(item);
  }
  return names;
}

TokenIds RandomPrompt(std::int64_t length, std::int64_t vocab, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  TokenIds ids(length);
  // Ids from the lower 90 % of the vocabulary: special tokens sit at its end in the
  // supported families, and a prompt of control tokens is not what a benchmark means.
  const auto range = std::max<std::int64_t>(1, vocab * 9 / 10);
  for (auto& id : ids) id = static_cast<TokenId>(rng() % range);
  return ids;
}

struct LoadedDecoder {
  std::unique_ptr<Decoder> decoder;
  double load_s = 0;  // checkpoint files to weights on the device, wall time
};

LoadedDecoder LoadDecoder(const std::string& model, const std::string& device_name, const std::string& dtype,
                          bool cuda_graphs) {
  DecoderOptions options;
  options.cuda_graphs = cuda_graphs;
  options.device = at::Device(device_name);
  KVB_REQUIRE(!options.device.is_cuda() || torch::cuda::is_available(), "--device cuda: no CUDA device is visible");
  options.dtype = dtype == "bf16" ? at::kBFloat16 : dtype == "fp16" ? at::kHalf : at::kFloat;
  const auto start = Clock::now();
  LoadedDecoder loaded{Decoder::Load(model, options)};
  Synchronize(options.device);
  loaded.load_s = MillisecondsSince(start) / 1e3;
  return loaded;
}

std::int64_t WeightBytes(const Decoder& decoder) {
  return decoder.ParameterCount() * static_cast<std::int64_t>(c10::elementSize(decoder.options().dtype));
}

// ---- bench decode ------------------------------------------------------------------------

struct DecodeRow {
  std::string method;
  std::int64_t context = 0;
  double prefill_ms = 0, decode_ms_per_token = 0, floor_ms_per_token = 0;
  std::int64_t peak_bytes = 0, kv_bytes = 0, kv_bytes_full = 0;
};

DecodeRow MeasureDecode(Decoder& decoder, const std::string& method_name, const YAML::Node& params,
                        std::int64_t budget, std::int64_t context, std::int64_t new_tokens, double copy_bandwidth) {
  const ModelConfig& config = decoder.config();
  const at::Device device = decoder.options().device;
  std::unique_ptr<EvictionMethod> method = CreateMethod(method_name, params);
  const TokenIds prompt = RandomPrompt(context, config.vocab_size, 1234);
  GenerationOptions generation;
  generation.max_new_tokens = new_tokens;  // no EOS ids: exactly new_tokens tokens

  Synchronize(device);
  ResetPeak(device);
  auto start = Clock::now();
  PrefillResult prefill = decoder.Prefill(prompt, {CacheConfig{method.get(), budget}}, new_tokens);
  Synchronize(device);
  DecodeRow row;
  row.method = method_name;
  row.context = context;
  row.prefill_ms = MillisecondsSince(start);
  row.kv_bytes = prefill.sequences[0].kv.BytesHeld();
  const std::int64_t element = static_cast<std::int64_t>(c10::elementSize(decoder.options().dtype));
  row.kv_bytes_full = context * config.num_kv_heads * config.num_layers * config.head_dim * 2 * element;
  const GenerationResult result =
      GreedyDecode(decoder, prefill.sequences[0], prefill.last_logits, generation, /*tokenizer=*/nullptr);
  row.peak_bytes = PeakBytes(device);
  const auto steps = static_cast<double>(std::max<std::size_t>(1, result.tokens.size() - 1));
  row.decode_ms_per_token = result.decode_ms / steps;
  // Per step every weight is read once and the cache (which grows by one token per step
  // per segment) is read once: the mean cache over the steps is held + steps / 2 rows.
  const std::int64_t segments_rows = config.num_layers * config.num_kv_heads;
  const double kv_read = static_cast<double>(row.kv_bytes) +
                         steps / 2.0 * static_cast<double>(segments_rows * config.head_dim * 2 * element);
  row.floor_ms_per_token = (static_cast<double>(WeightBytes(decoder)) + kv_read) / copy_bandwidth * 1e3;
  return row;
}

// peak = a + b * L by least squares; L_max(limit) = (limit - a) / b.
void PrintMemoryFit(const std::vector<DecodeRow>& rows, const std::string& method) {
  std::vector<std::pair<double, double>> points;
  for (const DecodeRow& row : rows) {
    if (row.method == method && row.peak_bytes > 0) points.emplace_back(row.context, row.peak_bytes);
  }
  if (points.size() < 2) return;
  double sx = 0, sy = 0, sxx = 0, sxy = 0;
  for (const auto& [x, y] : points) {
    sx += x, sy += y, sxx += x * x, sxy += x * y;
  }
  const double n = points.size();
  const double slope = (n * sxy - sx * sy) / (n * sxx - sx * sx);
  const double intercept = (sy - slope * sx) / n;
  std::printf("memory fit (%s): peak = %.2f GiB + %.1f KiB x L", method.c_str(), intercept / (1 << 30), slope / 1024);
  for (const double gb : {24.0, 80.0}) {
    const double limit = gb * 1e9;
    std::printf("; longest prompt within %.0f GB: %s", gb,
                limit > intercept ? std::to_string(static_cast<std::int64_t>((limit - intercept) / slope)).c_str()
                                  : "none (weights alone exceed it)");
  }
  std::printf("\n");
}

struct DecodeArgs {
  std::string model, method, baseline, device = "cuda", dtype = "bf16", json;
  std::string contexts = "32768";
  std::int64_t budget = 1024, new_tokens = 64;
  std::vector<std::string> settings;
  bool cuda_graphs = true;
};

YAML::Node SettingsNode(const std::vector<std::string>& settings) {
  YAML::Node params(YAML::NodeType::Map);
  for (const std::string& setting : settings) {
    const auto eq = setting.find('=');
    if (eq == std::string::npos || eq == 0) throw ConfigError(StrCat("--set \"", setting, "\": expected key=value"));
    params[setting.substr(0, eq)] = YAML::Load(setting.substr(eq + 1));
  }
  return params;
}

int RunDecode(const DecodeArgs& args) {
  const std::vector<std::int64_t> contexts = ParseIntList(args.contexts, "--context");  // before the minutes of loading
  const LoadedDecoder loaded = LoadDecoder(args.model, args.device, args.dtype, args.cuda_graphs);
  Decoder* decoder = loaded.decoder.get();
  const at::Device device = decoder->options().device;
  const double bandwidth = CopyBandwidth(device);
  std::printf("bench decode: %s, %s %s, CUDA graphs %s, weights %.2f GiB loaded in %.2f s, copy bandwidth %.0f GB/s\n",
              args.model.c_str(), args.device.c_str(), args.dtype.c_str(), args.cuda_graphs && device.is_cuda() ? "on" : "off",
              WeightBytes(*decoder) / double(1 << 30), loaded.load_s, bandwidth / 1e9);
  std::vector<std::string> methods = {args.method};
  if (!args.baseline.empty() && args.baseline != args.method) methods.push_back(args.baseline);
  std::vector<DecodeRow> rows;
  nlohmann::json out = nlohmann::json::array();
  std::printf("%-12s %8s %11s %12s %12s %10s %10s %9s\n", "method", "context", "prefill_ms", "decode_ms/tok",
              "floor_ms/tok", "of_floor", "peak_GiB", "kv_MiB");
  for (const std::int64_t context : contexts) {
    for (const std::string& method : methods) {
      const YAML::Node params = method == args.method ? SettingsNode(args.settings) : YAML::Node(YAML::NodeType::Map);
      // A warm-up run at this context first: the first prefill of a length pays the
      // allocator's cudaMalloc of its large blocks and cuBLAS's algorithm choice (measured:
      // 3-4 s vs 2 s for the same 32k prefill of an 8B model), which a sweep pays once.
      if (method == methods.front()) {
        try {
          MeasureDecode(*decoder, method, params, args.budget, context, 2, bandwidth);
        } catch (const std::exception&) {  // the measured run below reports the failure
        }
      }
      DecodeRow row;
      try {
        row = MeasureDecode(*decoder, method, params, args.budget, context, args.new_tokens, bandwidth);
      } catch (const std::exception& e) {  // out of memory at the longest contexts: say so, go on
        std::printf("%-12s %8lld failed: %s\n", method.c_str(), static_cast<long long>(context),
                    std::string(e.what()).substr(0, 200).c_str());
        continue;
      }
      rows.push_back(row);
      std::printf("%-12s %8lld %11.1f %12.3f %12.3f %10.2f %10.2f %9.1f\n", row.method.c_str(),
                  static_cast<long long>(row.context), row.prefill_ms, row.decode_ms_per_token, row.floor_ms_per_token,
                  row.floor_ms_per_token / row.decode_ms_per_token, row.peak_bytes / double(1 << 30),
                  row.kv_bytes / double(1 << 20));
      std::fflush(stdout);
      out.push_back({{"impl", "kvbench"}, {"method", row.method}, {"budget", args.budget}, {"context", row.context},
                     {"new_tokens", args.new_tokens}, {"prefill_ms", row.prefill_ms},
                     {"decode_ms_per_token", row.decode_ms_per_token}, {"floor_ms_per_token", row.floor_ms_per_token},
                     {"peak_bytes", row.peak_bytes}, {"kv_bytes", row.kv_bytes}, {"kv_bytes_full", row.kv_bytes_full},
                     {"copy_bytes_per_s", bandwidth}, {"load_s", loaded.load_s}});
    }
  }
  PrintMemoryFit(rows, args.method);
  if (!args.json.empty()) WriteFileAtomically(args.json, out.dump(1) + "\n");
  return 0;
}

// ---- bench sweep -------------------------------------------------------------------------

struct SweepArgs {
  std::string model, device = "cuda", dtype = "bf16", json;
  std::string methods, budgets = "128,256,512,1024,2048";
  std::string strategies = "separate,shared,batched";
  std::int64_t context = 16384, samples = 8, new_tokens = 32;
  bool cuda_graphs = true;
};

// One strategy over all samples: its wall time and what it generated, sample by sample,
// configuration by configuration (the three strategies compute the same thing, and the
// bench says how far they agree).
struct StrategyRun {
  double ms = 0;
  std::vector<TokenIds> tokens;
};

const std::vector<std::string> kStrategies = {"separate", "shared", "batched"};

// "separate, shared, batched", for the errors.
std::string StrategyList() {
  std::string list;
  for (const std::string& name : kStrategies) list += (list.empty() ? "" : ", ") + name;
  return list;
}

StrategyRun RunStrategy(Decoder& decoder, const std::string& strategy, const std::vector<TokenIds>& prompts,
                        const std::vector<CacheConfig>& configs, const GenerationOptions& generation) {
  const at::Device device = decoder.options().device;
  StrategyRun run;
  Synchronize(device);
  const auto start = Clock::now();
  for (const TokenIds& prompt : prompts) {
    if (strategy == "separate") {
      for (const CacheConfig& config : configs) {
        PrefillResult prefill = decoder.Prefill(prompt, {config}, generation.max_new_tokens);
        run.tokens.push_back(GreedyDecode(decoder, prefill.sequences[0], prefill.last_logits, generation, nullptr).tokens);
      }
    } else if (strategy == "shared") {
      PrefillResult prefill = decoder.Prefill(prompt, configs, generation.max_new_tokens);
      for (SequenceState& state : prefill.sequences)
        run.tokens.push_back(GreedyDecode(decoder, state, prefill.last_logits, generation, nullptr).tokens);
    } else {
      for (GenerationResult& result : GenerateForConfigs(decoder, prompt, configs, generation, nullptr))
        run.tokens.push_back(std::move(result.tokens));
    }
  }
  Synchronize(device);
  run.ms = MillisecondsSince(start);
  return run;
}

// Runs whose tokens equal the reference run's, position by position.
std::int64_t RunsAgreeing(const StrategyRun& run, const StrategyRun& reference) {
  std::int64_t same = 0;
  for (std::size_t i = 0; i < run.tokens.size() && i < reference.tokens.size(); ++i) same += run.tokens[i] == reference.tokens[i];
  return same;
}

int RunSweep(const SweepArgs& args) {
  // Every flag checked before the minutes of loading.
  const std::vector<std::string> strategies = ParseNameList(args.strategies);
  if (strategies.empty()) throw ConfigError(StrCat("--strategies: empty list (", StrategyList(), ")"));
  for (const std::string& strategy : strategies) {
    if (std::find(kStrategies.begin(), kStrategies.end(), strategy) == kStrategies.end())
      throw ConfigError(StrCat("--strategies: unknown strategy \"", strategy, "\" (", StrategyList(), ")"));
  }
  std::vector<std::unique_ptr<EvictionMethod>> methods;
  std::vector<CacheConfig> configs;
  const std::vector<std::int64_t> budgets = ParseIntList(args.budgets, "--budgets");
  for (const std::string& name : ParseNameList(args.methods)) {
    for (const std::int64_t budget : budgets) {
      methods.push_back(CreateMethod(name));
      configs.push_back({methods.back().get(), budget});
    }
  }
  if (configs.empty()) throw ConfigError("--methods: empty list");
  const LoadedDecoder loaded = LoadDecoder(args.model, args.device, args.dtype, args.cuda_graphs);
  Decoder* decoder = loaded.decoder.get();
  std::vector<TokenIds> prompts;
  for (std::int64_t s = 0; s < args.samples; ++s) {
    prompts.push_back(RandomPrompt(args.context, decoder->config().vocab_size, 100 + s));
  }
  GenerationOptions generation;
  generation.max_new_tokens = args.new_tokens;
  // Warm-up at the full context, so the first strategy timed does not pay the allocator's
  // growth and cuBLAS's first choices for the others.
  RunStrategy(*decoder, "batched", {RandomPrompt(args.context, decoder->config().vocab_size, 1)}, configs, generation);
  std::printf("bench sweep: %zu configs x %lld samples of %lld tokens, %lld new tokens each; weights loaded in %.2f s\n",
              configs.size(), static_cast<long long>(args.samples), static_cast<long long>(args.context),
              static_cast<long long>(args.new_tokens), loaded.load_s);
  // `agree`: runs whose tokens equal the first strategy's. The same arithmetic gives the
  // same tokens; batching changes the GEMMs' shapes, so in bf16 on a GPU a near tie can
  // flip a token, and this shows how often.
  std::printf("%-10s %12s %14s %10s %10s\n", "strategy", "total_s", "per_sample_s", "speed-up", "agree");
  nlohmann::json out = nlohmann::json::array();
  StrategyRun first;
  for (const std::string& strategy : strategies) {
    StrategyRun run = RunStrategy(*decoder, strategy, prompts, configs, generation);
    if (strategy == strategies.front()) first = run;
    const std::int64_t agreeing = RunsAgreeing(run, first);
    const std::string agree = StrCat(agreeing, "/", run.tokens.size());
    std::printf("%-10s %12.2f %14.3f %9.2fx %10s\n", strategy.c_str(), run.ms / 1e3, run.ms / 1e3 / args.samples,
                first.ms / run.ms, agree.c_str());
    std::fflush(stdout);
    out.push_back({{"strategy", strategy}, {"total_ms", run.ms}, {"samples", args.samples}, {"configs", configs.size()},
                   {"context", args.context}, {"new_tokens", args.new_tokens}, {"runs", run.tokens.size()},
                   {"runs_agreeing_with_first", agreeing}, {"first_strategy", strategies.front()},
                   {"load_s", loaded.load_s}});
  }
  if (!args.json.empty()) WriteFileAtomically(args.json, out.dump(1) + "\n");
  return 0;
}

std::function<int()> SetupBench(CLI::App& app) {
  app.require_subcommand(1);
  auto decode_args = std::make_shared<DecodeArgs>();
  CLI::App* decode = app.add_subcommand("decode", "prefill/decode time, peak memory and KV bytes of a method vs a baseline");
  decode->add_option("--model", decode_args->model, "checkpoint directory")->required();
  decode->add_option("--context", decode_args->contexts, "prompt length(s), comma-separated");
  decode->add_option("--budget", decode_args->budget, "cache budget per segment");
  decode->add_option("--method", decode_args->method, "eviction method")->required();
  decode->add_option("--set", decode_args->settings, "method parameter key=value (repeatable)");
  decode->add_option("--baseline", decode_args->baseline, "a method measured beside it in the same run, e.g. full");
  decode->add_option("--new-tokens", decode_args->new_tokens, "tokens decoded per run");
  decode->add_option("--device", decode_args->device, "cuda or cpu");
  decode->add_option("--dtype", decode_args->dtype, "bf16, fp16 or fp32")->check(CLI::IsMember({"bf16", "fp16", "fp32"}));
  decode->add_option("--json", decode_args->json, "write the rows as JSON here");
  decode->add_option("--cuda-graphs", decode_args->cuda_graphs, "replay decode steps as CUDA graphs (true/false)");

  auto sweep_args = std::make_shared<SweepArgs>();
  CLI::App* sweep = app.add_subcommand("sweep", "one sweep timed with and without prefill sharing and batched decoding");
  sweep->add_option("--model", sweep_args->model, "checkpoint directory")->required();
  sweep->add_option("--context", sweep_args->context, "prompt length");
  sweep->add_option("--samples", sweep_args->samples, "random prompts");
  sweep->add_option("--methods", sweep_args->methods, "methods, comma-separated")->required();
  sweep->add_option("--budgets", sweep_args->budgets, "budgets, comma-separated");
  sweep->add_option("--new-tokens", sweep_args->new_tokens, "tokens decoded per configuration");
  sweep->add_option("--strategies", sweep_args->strategies, "separate, shared, batched (comma-separated)");
  sweep->add_option("--device", sweep_args->device, "cuda or cpu");
  sweep->add_option("--dtype", sweep_args->dtype, "bf16, fp16 or fp32")->check(CLI::IsMember({"bf16", "fp16", "fp32"}));
  sweep->add_option("--json", sweep_args->json, "write the rows as JSON here");
  sweep->add_option("--cuda-graphs", sweep_args->cuda_graphs, "replay decode steps as CUDA graphs (true/false)");

  return [decode, sweep, decode_args, sweep_args] {
    if (decode->parsed()) return RunDecode(*decode_args);
    if (sweep->parsed()) return RunSweep(*sweep_args);
    return 2;
  };
}

KVB_REGISTER_COMMAND("bench", "Speed and memory benchmarks: decode (a method vs a baseline) and sweep (prefill sharing, batching)",
                     SetupBench);

}  // namespace
}  // namespace kvb
