// kvbench info DIR: architecture, shapes, dtype, parameter count, context length,
// read from config.json and the safetensors headers (no weights are loaded).
#include <CLI/CLI.hpp>
#include <iostream>
#include <memory>

#include "harness/command.h"
#include "model/checkpoint.h"
#include "model/model_config.h"

namespace kvb {
namespace {

const char* RopeScalingName(RopeScalingType type) {
  switch (type) {
    case RopeScalingType::kNone:
      return "none";
    case RopeScalingType::kLinear:
      return "linear";
    case RopeScalingType::kDynamic:
      return "dynamic";
    case RopeScalingType::kLlama3:
      return "llama3";
  }
  return "?";
}

std::function<int()> SetupInfo(CLI::App& app) {
  auto dir = std::make_shared<std::string>();
  app.add_option("checkpoint", *dir, "Hugging Face checkpoint directory")->required();
  return [dir] {
    const ModelConfig c = ModelConfig::FromDirectory(*dir);
    const CheckpointSummary s = InspectCheckpoint(*dir);
    std::string dtypes, eos;
    for (const auto& d : s.dtypes) dtypes += (dtypes.empty() ? "" : ",") + d;
    for (TokenId id : c.eos_token_ids) eos += (eos.empty() ? "" : ",") + std::to_string(id);
    std::cout << "checkpoint:        " << *dir << "\n"
              << "architecture:      " << c.architecture << "\n"
              << "layers:            " << c.num_layers << "\n"
              << "hidden_size:       " << c.hidden_size << "\n"
              << "intermediate_size: " << c.intermediate_size << "\n"
              << "heads (q/kv):      " << c.num_heads << "/" << c.num_kv_heads << " (GQA group "
              << c.num_heads / c.num_kv_heads << ")\n"
              << "head_dim:          " << c.head_dim << "\n"
              << "vocab_size:        " << c.vocab_size << "\n"
              << "context length:    " << c.max_position_embeddings << "\n"
              << "sliding window:    " << (c.sliding_window ? std::to_string(*c.sliding_window) : "none") << "\n"
              << "rope:              theta " << c.rope_theta << ", scaling " << RopeScalingName(c.rope_scaling.type)
              << "\n"
              << "qkv bias / qk norm: " << (c.qkv_bias ? "yes" : "no") << " / " << (c.qk_norm ? "yes" : "no") << "\n"
              << "tied embeddings:   " << (c.tie_word_embeddings ? "yes" : "no") << "\n"
              << "eos ids:           " << eos << "\n"
              << "stored dtype:      " << dtypes << " (" << s.tensor_count << " tensors in " << s.files.size()
              << " file(s), " << s.data_bytes << " bytes)\n"
              << "parameters:        " << s.parameter_count << "\n"
              << "KV bytes per token (bf16): "
              << static_cast<std::int64_t>(c.num_layers) * c.num_kv_heads * c.head_dim * 2 * 2 << "\n";
    return 0;
  };
}

KVB_REGISTER_COMMAND("info", "Describe a checkpoint: architecture, shapes, dtype, parameters, context", SetupInfo);

}  // namespace
}  // namespace kvb
