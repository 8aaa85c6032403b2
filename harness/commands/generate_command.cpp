// kvbench generate --model DIR --prompt P [--max-new-tokens N] [--dtype bf16|fp16|fp32]
//   [--device cpu|cuda] [--chat-template none|auto] [--stop S ...]
//   [--method NAME --budget B --set key=value ... --dump-kept FILE]
// Prints the generated text; with a method also the tokens kept and bytes held per layer.
#include <ATen/ATen.h>
#include <yaml-cpp/yaml.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>

#include "harness/command.h"
#include "methods/registry.h"
#include "model/decoder.h"
#include "model/generation.h"
#include "model/tokenizer/chat_template.h"
#include "model/tokenizer/tokenizer.h"
#include "util/error.h"
#include "util/file.h"

namespace kvb {
namespace {

struct GenerateArgs {
  std::string model;
  std::string prompt;
  std::int64_t max_new_tokens = 128;
  std::string dtype;  // default: bf16 on CUDA, fp32 on CPU
  std::string device;
  std::string chat_template = "auto";
  std::vector<std::string> stop;
  std::string method;
  std::int64_t budget = 0;
  std::vector<std::string> settings;
  std::string dump_kept;
};

at::ScalarType ParseDtype(const std::string& name) {
  if (name == "bf16") return at::kBFloat16;
  if (name == "fp16") return at::kHalf;
  return at::kFloat;
}

// --set key=value pairs -> the method's parameter node (values parsed as YAML scalars).
YAML::Node MethodParams(const std::vector<std::string>& settings) {
  YAML::Node params(YAML::NodeType::Map);
  for (const std::string& setting : settings) {
    const auto eq = setting.find('=');
    if (eq == std::string::npos || eq == 0) {
      throw ConfigError(StrCat("--set \"", setting, "\": expected key=value"));
    }
    params[setting.substr(0, eq)] = YAML::Load(setting.substr(eq + 1));
  }
  return params;
}

TokenIds EncodePrompt(const GenerateArgs& args, const Tokenizer& tokenizer) {
  if (args.chat_template == "auto") {
    if (auto chat = ChatTemplate::FromDirectory(args.model)) {
      // The rendered template carries its own BOS, as apply_chat_template's does.
      return tokenizer.Encode(chat->Render({{"user", args.prompt}}, true), /*add_special_tokens=*/false);
    }
  }
  return tokenizer.Encode(args.prompt, /*add_special_tokens=*/true);
}

void PrintCacheReport(const SequenceState& state) {
  std::int64_t total_bytes = 0;
  for (int layer = 0; layer < state.kv.num_layers(); ++layer) {
    const LayerKV& kv = state.kv.layer(layer);
    const auto& kept = state.kept[layer].per_segment;
    std::int64_t sum = 0, low = kept.empty() ? 0 : kept[0].size(), high = 0;
    for (const auto& positions : kept) {
      sum += static_cast<std::int64_t>(positions.size());
      low = std::min<std::int64_t>(low, positions.size());
      high = std::max<std::int64_t>(high, positions.size());
    }
    std::cout << "layer " << layer << ": prompt tokens kept " << sum << " over " << kept.size()
              << " segments (min " << low << ", max " << high << "), bytes held " << kv.BytesHeld() << "\n";
    total_bytes += kv.BytesHeld();
  }
  std::cout << "total bytes held: " << total_bytes << " (prompt " << state.prompt_length << " tokens)\n";
}

void DumpKept(const std::string& path, const GenerateArgs& args, const SequenceState& state) {
  nlohmann::json layers = nlohmann::json::array();
  for (size_t layer = 0; layer < state.kept.size(); ++layer) {
    layers.push_back({{"layer", layer}, {"segments", state.kept[layer].per_segment}});
  }
  const nlohmann::json out = {{"model", args.model},     {"method", args.method},
                              {"budget", args.budget},   {"prompt_length", state.prompt_length},
                              {"granularity", state.method && state.method->granularity() == Granularity::kQueryHead
                                                  ? "query_head"
                                                  : "kv_head"},
                              {"layers", layers}};
  WriteFileAtomically(path, out.dump());
}

std::function<int()> SetupGenerate(CLI::App& app) {
  auto args = std::make_shared<GenerateArgs>();
  app.add_option("--model", args->model, "Hugging Face checkpoint directory")->required();
  app.add_option("--prompt", args->prompt, "prompt text")->required();
  app.add_option("--max-new-tokens", args->max_new_tokens, "tokens to generate at most")->capture_default_str();
  app.add_option("--dtype", args->dtype, "run dtype (default bf16 on CUDA, fp32 on CPU)")
      ->check(CLI::IsMember({"bf16", "fp16", "fp32"}));
  app.add_option("--device", args->device, "cpu or cuda (default cuda when available)")
      ->check(CLI::IsMember({"cpu", "cuda"}));
  app.add_option("--chat-template", args->chat_template, "auto: the checkpoint's template when it has one")
      ->check(CLI::IsMember({"none", "auto"}))
      ->capture_default_str();
  app.add_option("--stop", args->stop, "stop string (repeatable)");
  app.add_option("--method", args->method, "eviction method (see `kvbench methods`)");
  app.add_option("--budget", args->budget, "tokens kept per segment, window included");
  app.add_option("--set", args->settings, "method parameter key=value (repeatable)");
  app.add_option("--dump-kept", args->dump_kept, "write the kept prompt positions per layer and segment as JSON");
  return [args] {
    DecoderOptions options;
    const bool cuda = args->device.empty() ? at::hasCUDA() : args->device == "cuda";
    KVB_REQUIRE(!cuda || at::hasCUDA(), "--device cuda: no CUDA device is available");
    options.device = cuda ? at::Device(at::kCUDA, 0) : at::Device(at::kCPU);
    options.dtype = ParseDtype(args->dtype.empty() ? (cuda ? "bf16" : "fp32") : args->dtype);
    if (args->method.empty() && (args->budget != 0 || !args->settings.empty() || !args->dump_kept.empty())) {
      throw ConfigError("--budget, --set and --dump-kept need --method");
    }

    std::unique_ptr<EvictionMethod> method;
    CacheConfig config;
    if (!args->method.empty()) {
      KVB_REQUIRE(args->budget > 0, "--method ", args->method, " needs --budget > 0");
      method = CreateMethod(args->method, MethodParams(args->settings));
      config = CacheConfig{method.get(), args->budget};
    }
    const auto tokenizer = Tokenizer::FromDirectory(args->model);
    auto decoder = Decoder::Load(args->model, options);
    const TokenIds prompt = EncodePrompt(*args, *tokenizer);

    GenerationOptions generation;
    generation.max_new_tokens = args->max_new_tokens;
    generation.eos_ids = decoder->config().eos_token_ids;
    for (TokenId id : tokenizer->eos_ids()) {
      if (std::find(generation.eos_ids.begin(), generation.eos_ids.end(), id) == generation.eos_ids.end()) {
        generation.eos_ids.push_back(id);
      }
    }
    generation.stop_strings = args->stop;
    std::vector<SequenceState> states;
    const auto results = GenerateForConfigs(*decoder, prompt, {config}, generation, tokenizer.get(), &states);
    std::cout << results[0].text << "\n";
    if (method) {
      std::cout << "--- " << args->method << ", budget " << args->budget << ", " << results[0].tokens.size()
                << " tokens generated (stop: " << StopReasonName(results[0].stop_reason) << ")\n";
      PrintCacheReport(states[0]);
    }
    if (!args->dump_kept.empty()) DumpKept(args->dump_kept, *args, states[0]);
    return 0;
  };
}

KVB_REGISTER_COMMAND("generate", "Generate from one prompt, optionally with an eviction method", SetupGenerate);

}  // namespace
}  // namespace kvb
