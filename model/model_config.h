// ModelConfig: everything the decoder needs from config.json (+ generation_config.json).
// Family differences (Qwen2's q/k/v bias, Qwen3's per-head q/k RMSNorm, Llama 3 RoPE
// scaling, tied embeddings) are data fields here, decided once by the parser, so the
// decoder never asks which architecture it runs (STYLE P12).
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "methods/eviction_method.h"
#include "util/types.h"

namespace kvb {

enum class RopeScalingType { kNone, kLinear, kDynamic, kLlama3 };

struct RopeScaling {
  RopeScalingType type = RopeScalingType::kNone;
  double factor = 1.0;
  // llama3 only.
  double low_freq_factor = 1.0;
  double high_freq_factor = 4.0;
  std::int64_t original_max_position_embeddings = 0;
};

struct ModelConfig {
  std::string architecture;  // "LlamaForCausalLM", ...
  std::int64_t vocab_size = 0;
  std::int64_t hidden_size = 0;
  std::int64_t intermediate_size = 0;
  int num_layers = 0;
  int num_heads = 0;     // H
  int num_kv_heads = 0;  // H_kv
  int head_dim = 0;      // d (config head_dim, else hidden_size / num_heads)
  double rms_norm_eps = 1e-6;
  double rope_theta = 10000.0;
  RopeScaling rope_scaling;
  bool qkv_bias = false;         // q/k/v projections carry a bias (Qwen2; attention_bias)
  bool output_bias = false;      // o_proj carries a bias (Llama/Qwen3 attention_bias)
  bool mlp_bias = false;         // gate/up/down carry a bias (Llama mlp_bias)
  bool qk_norm = false;          // per-head RMSNorm on q and k before RoPE (Qwen3)
  bool tie_word_embeddings = false;
  std::int64_t max_position_embeddings = 0;
  // Mistral's attention window in tokens; none when config.json has null or no window, or
  // the family ignores the key (Qwen2 with use_sliding_window: false). kvbench does not
  // emulate a window: the decoder refuses prompt + new tokens longer than it (model/README.md).
  std::optional<std::int64_t> sliding_window;
  std::string torch_dtype;          // as stored ("bfloat16", "float32", ...), informational
  std::optional<TokenId> bos_token_id;
  TokenIds eos_token_ids;  // config.json and generation_config.json, deduplicated

  ModelShape shape() const { return ModelShape{num_layers, num_heads, num_kv_heads, head_dim}; }

  // Reads <dir>/config.json and, when present, <dir>/generation_config.json.
  static ModelConfig FromDirectory(const std::filesystem::path& dir);
  // `source` names the file in error messages.
  static ModelConfig FromJson(const nlohmann::json& config, const std::string& source);
};

// Architectures the decoder runs, for error messages and `kvbench info`.
std::string SupportedArchitectures();

}  // namespace kvb
