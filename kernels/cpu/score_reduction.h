// Reductions shared by the score ops' ATen references (window_scores, accumulated
// attention, decode attention weights): rounding to the model dtype, the GQA group
// reduction and 1-D pooling. Internal to kernels/cpu.
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

}  // namespace kvb::ops::internal
