// Loading a Hugging Face checkpoint's weights: model.safetensors, or shards listed by
// model.safetensors.index.json. Each tensor is checked against the shape the config
// implies and converted to the run dtype on the run device.
#pragma once

#include <ATen/ATen.h>

#include <filesystem>
#include <string>
#include <vector>

#include "model/model_config.h"

namespace kvb {

// One decoder layer. Linear weights are [out, in] as stored; optional biases and q/k
// norms are undefined tensors when the config says the family has none. The projections
// that read the same input are stored once, side by side (qkv_proj = [q; k; v], gate_up_proj
// = [gate; up] along the output dim), so a decode step reads them in one GEMV instead of
// three and two; q_proj .. up_proj are row ranges of them (views, no second copy).
struct LayerWeights {
  at::Tensor input_norm;           // [hidden]
  at::Tensor q_proj, q_bias;       // [H*d, hidden], [H*d]
  at::Tensor k_proj, k_bias;       // [H_kv*d, hidden], [H_kv*d]
  at::Tensor v_proj, v_bias;       // [H_kv*d, hidden], [H_kv*d]
  at::Tensor o_proj, o_bias;       // [hidden, H*d], [hidden]
  at::Tensor q_norm, k_norm;       // [d] (qk_norm)
  at::Tensor post_attention_norm;  // [hidden]
  at::Tensor gate_proj, gate_bias;  // [intermediate, hidden]
  at::Tensor up_proj, up_bias;      // [intermediate, hidden]
  at::Tensor down_proj, down_bias;  // [hidden, intermediate]
  at::Tensor qkv_proj, qkv_bias;          // [(H + 2 H_kv) d, hidden], [(H + 2 H_kv) d]
  at::Tensor gate_up_proj, gate_up_bias;  // [2 intermediate, hidden], [2 intermediate]
};

struct ModelWeights {
  at::Tensor embed_tokens;  // [vocab, hidden]
  std::vector<LayerWeights> layers;
  at::Tensor final_norm;  // [hidden]
  at::Tensor lm_head;     // [vocab, hidden]; the same tensor as embed_tokens when tied
};

struct WeightLoadOptions {
  at::Device device = at::kCPU;
  at::ScalarType dtype = at::kFloat;
};

// What `kvbench info` reports, read from the safetensors headers only (no weights).
struct CheckpointSummary {
  std::int64_t parameter_count = 0;  // elements over every stored tensor
  std::int64_t data_bytes = 0;
  std::vector<std::string> files;    // safetensors files, in order
  std::vector<std::string> dtypes;   // distinct stored dtypes ("BF16", ...)
  std::int64_t tensor_count = 0;
};

CheckpointSummary InspectCheckpoint(const std::filesystem::path& dir);

ModelWeights LoadWeights(const std::filesystem::path& dir, const ModelConfig& config,
                         const WeightLoadOptions& options);

}  // namespace kvb
