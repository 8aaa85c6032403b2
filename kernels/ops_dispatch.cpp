// ops::X for the ops with a CUDA kernel: the device of the cache picks the implementation
// (STYLE P5). Ops without a kernel are defined by their ATen reference in cpu/, which runs
// on any device.
#include "kernels/cpu/reference_ops.h"
#include "kernels/ops.h"
#include "util/error.h"
#if defined(KVB_WITH_CUDA)
#include "kernels/cuda/cuda_ops.h"
#endif

namespace kvb::ops {

void Append(LayerKV& layer, const at::Tensor& keys, const at::Tensor& values) {
#if defined(KVB_WITH_CUDA)
  if (layer.keys.is_cuda()) return cuda::Append(layer, keys, values);
#endif
  reference::Append(layer, keys, values);
}

at::Tensor DecodeAttention(const LayerKV& layer, const at::Tensor& queries, double softmax_scale) {
#if defined(KVB_WITH_CUDA)
  if (layer.keys.is_cuda()) return cuda::DecodeAttention(layer, queries, softmax_scale);
#endif
  return reference::DecodeAttention(layer, queries, softmax_scale);
}

at::Tensor WindowScores(const at::Tensor& window_queries, const at::Tensor& keys, const WindowScoreOptions& options) {
#if defined(KVB_WITH_CUDA)
  if (keys.is_cuda()) return cuda::WindowScores(window_queries.contiguous(), keys.contiguous(), options);
#endif
  return reference::WindowScores(window_queries, keys, options);
}

at::Tensor RmsNorm(const at::Tensor& x, const at::Tensor& weight, double eps) {
#if defined(KVB_WITH_CUDA)
  if (x.is_cuda()) return cuda::RmsNorm(x, weight, eps);
#endif
  return reference::RmsNorm(x, weight, eps);
}

AddRmsNormResult AddRmsNorm(const at::Tensor& x, const at::Tensor& residual, const at::Tensor& weight, double eps) {
#if defined(KVB_WITH_CUDA)
  if (x.is_cuda()) return cuda::AddRmsNorm(x, residual, weight, eps);
#endif
  return reference::AddRmsNorm(x, residual, weight, eps);
}

at::Tensor SiluMul(const at::Tensor& gate_up) {
#if defined(KVB_WITH_CUDA)
  if (gate_up.is_cuda()) return cuda::SiluMul(gate_up);
#endif
  return reference::SiluMul(gate_up);
}

at::Tensor ApplyRotary(const at::Tensor& x, const at::Tensor& cos, const at::Tensor& sin) {
#if defined(KVB_WITH_CUDA)
  if (x.is_cuda()) return cuda::ApplyRotary(x, cos, sin);
#endif
  return reference::ApplyRotary(x, cos, sin);
}

KeptPositions SelectTopK(const at::Tensor& scores, const SegmentCounts& counts) {
#if defined(KVB_WITH_CUDA)
  if (scores.is_cuda()) return cuda::SelectTopK(scores, counts);
#endif
  return reference::SelectTopK(scores, counts);
}

LayerKV Compact(const at::Tensor& keys, const at::Tensor& values, const KeptPositions& kept,
                std::int64_t extra_capacity) {
#if defined(KVB_WITH_CUDA)
  if (keys.is_cuda()) return cuda::Compact(keys.contiguous(), values.contiguous(), kept, extra_capacity);
#endif
  return reference::Compact(keys, values, kept, extra_capacity);
}

void AppendBatched(const std::vector<LayerKV*>& layers, const at::Tensor& keys, const at::Tensor& values) {
  KVB_REQUIRE(keys.dim() == 3 && values.sizes() == keys.sizes() && keys.size(0) == static_cast<int64_t>(layers.size()),
              "AppendBatched: keys/values must be [N=", layers.size(), ", S, d], got ", keys.sizes(), " and ",
              values.sizes());
#if defined(KVB_WITH_CUDA)
  if (!layers.empty() && layers[0]->keys.is_cuda()) return cuda::AppendBatched(layers, keys, values);
#endif
  for (size_t n = 0; n < layers.size(); ++n) reference::Append(*layers[n], keys[n], values[n]);
}

at::Tensor DecodeAttentionBatched(const std::vector<const LayerKV*>& layers, const at::Tensor& queries,
                                  double softmax_scale) {
  KVB_REQUIRE(queries.dim() == 3 && queries.size(0) == static_cast<int64_t>(layers.size()),
              "DecodeAttentionBatched: queries must be [N=", layers.size(), ", H, d], got ", queries.sizes());
#if defined(KVB_WITH_CUDA)
  if (!layers.empty() && layers[0]->keys.is_cuda()) return cuda::DecodeAttentionBatched(layers, queries, softmax_scale);
#endif
  std::vector<at::Tensor> rows;
  rows.reserve(layers.size());
  for (size_t n = 0; n < layers.size(); ++n) rows.push_back(reference::DecodeAttention(*layers[n], queries[n], softmax_scale));
  return at::stack(rows);
}

}  // namespace kvb::ops
