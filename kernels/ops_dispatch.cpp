// ops::X for the ops with a CUDA kernel: the device of the cache picks the implementation
// (STYLE P5). Ops without a kernel are defined by their ATen reference in cpu/, which runs
// on any device.
#include "kernels/cpu/reference_ops.h"
#include "kernels/ops.h"
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

}  // namespace kvb::ops
