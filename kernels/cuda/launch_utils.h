// Host-side helpers shared by the CUDA launchers (kernels/cuda/<op>.cu): input checks
// with messages that name the op and the tensor, the LayerKV -> FlatKVView conversion,
// and the launch check. Included only by .cu files.
#pragma once

#include <ATen/ATen.h>
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include <cstdint>
#include <string>

#include "kernels/flat_kv_cache.h"
#include "kernels/flat_kv_view.h"
#include "util/error.h"

namespace kvb::ops::cuda::detail {

template <typename T>
struct ElementTag {
  using type = T;
};

// Calls launch(ElementTag<T>{}) with T the CUDA element type of `dtype` (float, __half,
// __nv_bfloat16): the one dtype switch of the launchers. Another dtype is an Error naming op.
template <typename Launch>
void DispatchElementType(const char* op, at::ScalarType dtype, Launch&& launch) {
  switch (dtype) {
    case at::kFloat:
      return launch(ElementTag<float>{});
    case at::kHalf:
      return launch(ElementTag<__half>{});
    case at::kBFloat16:
      return launch(ElementTag<__nv_bfloat16>{});
    default:
      throw Error(StrCat(op, ": unsupported dtype ", dtype, " (float, half, bfloat16)"));
  }
}

// Raises kvb::Error naming the op and the CUDA error when the last launch failed.
inline void CheckLaunch(const char* op, const char* kernel) {
  const cudaError_t status = cudaGetLastError();
  KVB_REQUIRE(status == cudaSuccess, op, ": launching ", kernel, " failed: ", cudaGetErrorName(status), " (",
              cudaGetErrorString(status), ")");
}

inline void RequireCudaTensor(const char* op, const char* name, const at::Tensor& tensor,
                              const at::Device& device) {
  KVB_REQUIRE(tensor.defined(), op, ": ", name, " is undefined");
  KVB_REQUIRE(tensor.is_cuda(), op, ": ", name, " must be a CUDA tensor, got ", tensor.device());
  KVB_REQUIRE(tensor.device() == device, op, ": ", name, " is on ", tensor.device(), " but the op runs on ",
              device);
  KVB_REQUIRE(tensor.is_contiguous(), op, ": ", name, " must be contiguous (sizes ", tensor.sizes(),
              ", strides ", tensor.strides(), ")");
}

// Whether every row of a contiguous tensor starts on a 16-byte boundary.
inline bool RowsAreVectorAligned(const at::Tensor& tensor) {
  return reinterpret_cast<std::uintptr_t>(tensor.data_ptr()) % 16 == 0 &&
         (tensor.size(-1) * tensor.element_size()) % 16 == 0;
}

// 16-byte vector loads need 16-byte aligned rows.
inline void RequireVectorAligned(const char* op, const char* name, const at::Tensor& tensor) {
  const auto address = reinterpret_cast<std::uintptr_t>(tensor.data_ptr());
  KVB_REQUIRE(address % 16 == 0, op, ": ", name, " data must be 16-byte aligned (a view with a storage offset?)");
  KVB_REQUIRE((tensor.size(-1) * tensor.element_size()) % 16 == 0, op, ": ", name, " rows of ",
              tensor.size(-1), " x ", tensor.element_size(), " bytes are not a multiple of 16 bytes");
}

// Checks a layer's buffers and metadata and returns its view. `dtype` and `head_dim`
// are what the op expects (from the queries or the new tokens).
inline FlatKVView CheckedView(const char* op, const LayerKV& layer, at::ScalarType dtype, std::int64_t head_dim,
                              const at::Device& device) {
  RequireCudaTensor(op, "layer.keys", layer.keys, device);
  RequireCudaTensor(op, "layer.values", layer.values, device);
  KVB_REQUIRE(layer.keys.dim() == 2 && layer.keys.size(1) == head_dim, op, ": layer.keys must be [rows, ",
              head_dim, "], got ", layer.keys.sizes());
  KVB_REQUIRE(layer.values.sizes() == layer.keys.sizes(), op, ": layer.values ", layer.values.sizes(),
              " != layer.keys ", layer.keys.sizes());
  KVB_REQUIRE(layer.keys.scalar_type() == dtype && layer.values.scalar_type() == dtype, op,
              ": cache dtype ", layer.keys.scalar_type(), "/", layer.values.scalar_type(), " != ", dtype);
  RequireVectorAligned(op, "layer.keys", layer.keys);
  RequireVectorAligned(op, "layer.values", layer.values);
  const int segments = layer.num_segments();
  KVB_REQUIRE(segments > 0, op, ": the layer has no segments");
  KVB_REQUIRE(static_cast<int>(layer.host_offset.size()) == segments &&
                  static_cast<int>(layer.host_capacity.size()) == segments,
              op, ": host mirrors disagree on the segment count (offset ", layer.host_offset.size(), ", length ",
              segments, ", capacity ", layer.host_capacity.size(), ")");
  const std::pair<const char*, const at::Tensor*> metadata[] = {
      {"layer.offset", &layer.offset}, {"layer.length", &layer.length}, {"layer.capacity", &layer.capacity}};
  for (const auto& [name, tensor] : metadata) {
    RequireCudaTensor(op, name, *tensor, device);
    KVB_REQUIRE(tensor->scalar_type() == at::kInt && tensor->dim() == 1 && tensor->size(0) == segments, op, ": ",
                name, " must be [", segments, "] int32, got ", tensor->sizes(), " ", tensor->scalar_type());
  }
  // The buffer must hold the last segment (host mirror: no device sync).
  const std::int64_t rows_needed =
      static_cast<std::int64_t>(layer.host_offset.back()) + layer.host_capacity.back();
  KVB_REQUIRE(rows_needed <= layer.keys.size(0), op, ": segments need ", rows_needed,
              " rows but the buffer has ", layer.keys.size(0));
  FlatKVView view;
  view.keys = layer.keys.data_ptr();
  view.values = layer.values.data_ptr();
  view.offset = layer.offset.data_ptr<std::int32_t>();
  view.length = layer.length.data_ptr<std::int32_t>();
  view.capacity = layer.capacity.data_ptr<std::int32_t>();
  view.num_segments = segments;
  view.head_dim = static_cast<std::int32_t>(head_dim);
  return view;
}

}  // namespace kvb::ops::cuda::detail
