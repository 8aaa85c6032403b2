// Rotary position embedding (RoPE) with the scalings of the supported families:
// linear (positions / factor), dynamic NTK (base grows with the sequence length once
// past max_position_embeddings) and Llama 3's per-frequency smoothing. Frequencies are
// computed in fp32 as transformers does, so positions far into a long context round
// the same way.
#pragma once

#include <ATen/ATen.h>

#include <utility>

#include "model/model_config.h"

namespace kvb {

class RotaryEmbedding {
 public:
  RotaryEmbedding(const ModelConfig& config, at::Device device);

  // cos and sin for `positions` ([n] int64): each [n, d] in `dtype`.
  // `sequence_length` (largest position + 1 so far) matters only for dynamic scaling.
  std::pair<at::Tensor, at::Tensor> CosSin(const at::Tensor& positions, std::int64_t sequence_length,
                                           at::ScalarType dtype) const;

  // x * cos + rotate_half(x) * sin, with x [heads, n, d] and cos/sin [n, d].
  static at::Tensor Apply(const at::Tensor& x, const at::Tensor& cos, const at::Tensor& sin);

 private:
  at::Tensor InverseFrequencies(std::int64_t sequence_length) const;  // [d/2] f32

  ModelConfig config_;
  at::Device device_;
  at::Tensor inv_freq_;  // [d/2] f32, for every scaling but dynamic
};

}  // namespace kvb
