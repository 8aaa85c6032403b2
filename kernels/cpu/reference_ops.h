// The ATen references of the ops that also have a CUDA kernel. ops::X (kernels/ops_dispatch.cpp)
// routes CUDA tensors to the kernel and everything else here; tests and the CUDA fallback
// call these directly. Same contracts as kernels/ops.h.
#pragma once

#include "kernels/ops.h"

namespace kvb::ops::reference {

void Append(LayerKV& layer, const at::Tensor& keys, const at::Tensor& values);
at::Tensor DecodeAttention(const LayerKV& layer, const at::Tensor& queries, double softmax_scale);
LayerKV Compact(const at::Tensor& keys, const at::Tensor& values, const KeptPositions& kept,
                std::int64_t extra_capacity);
KeptPositions SelectTopK(const at::Tensor& scores, const SegmentCounts& counts);
at::Tensor RmsNorm(const at::Tensor& x, const at::Tensor& weight, double eps);
AddRmsNormResult AddRmsNorm(const at::Tensor& x, const at::Tensor& residual, const at::Tensor& weight, double eps);
at::Tensor SiluMul(const at::Tensor& gate_up);
at::Tensor ApplyRotary(const at::Tensor& x, const at::Tensor& cos, const at::Tensor& sin);
at::Tensor WindowScores(const at::Tensor& window_queries, const at::Tensor& keys, const WindowScoreOptions& options);

}  // namespace kvb::ops::reference
