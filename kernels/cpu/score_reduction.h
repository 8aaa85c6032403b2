// Reductions shared by the score ops' ATen references (window_scores, accumulated
// attention, decode attention weights) and the CUDA window_scores launcher: rounding to
// the model dtype, the GQA group reduction and 1-D pooling. Internal to kernels/.
#pragma once

#include <ATen/ATen.h>

#include "kernels/ops.h"

namespace kvb::ops::internal {

// Rounds `scores` (f32) through `dtype` and back, as the references hold their scores in
// the model dtype (score_dtype: model). Identity for at::kFloat.
inline at::Tensor RoundThrough(const at::Tensor& scores, at::ScalarType dtype) {
  return dtype == at::kFloat ? scores : scores.to(dtype).to(at::kFloat);
}

// [H, T] -> [H_kv, T] (mean or max over each group of G consecutive query heads, the
// repeat_kv mapping h -> h / G), or unchanged for kNone.
inline at::Tensor ReduceGroups(const at::Tensor& scores, int64_t num_groups, GroupReduction reduction) {
  if (reduction == GroupReduction::kNone) return scores;
  const at::Tensor grouped = scores.view({num_groups, scores.size(0) / num_groups, scores.size(1)});
  return reduction == GroupReduction::kMean ? grouped.mean(1) : std::get<0>(grouped.max(1));
}

// [S, T] -> [S, T], stride 1, padding k/2. Max pooling pads with -inf (each edge takes
// the max of its real neighbours); average pooling counts the zero padding (PyTorch's
// count_include_pad=True), so edges are divided by k.
inline at::Tensor Pool(const at::Tensor& scores, Pooling pooling, int kernel_size) {
  if (pooling == Pooling::kNone || kernel_size == 1 || scores.size(1) == 0) return scores;
  const at::Tensor batched = scores.unsqueeze(0);  // [1, S, T]: channels are segments
  const int64_t pad = kernel_size / 2;
  const at::Tensor pooled = pooling == Pooling::kMax
                                ? at::max_pool1d(batched, {kernel_size}, {1}, {pad})
                                : at::avg_pool1d(batched, {kernel_size}, {1}, {pad}, /*ceil_mode=*/false,
                                                 /*count_include_pad=*/true);
  return pooled.squeeze(0);
}

}  // namespace kvb::ops::internal
