// Device code of ops::Compact: one 16-byte vector of one kept row per thread, K and V
// together. Row r of the output reads row source[r] of the prompt's [H_kv * L, d] keys and
// values; the host built `source` from the kept positions (ascending per segment), and
// the output is laid out as the segments' offsets say, so the map is a plain gather.
#pragma once

#include <cuda_runtime.h>

#include <cstdint>

#include "kernels/cuda/vec16.cuh"

namespace kvb::cuda_kernels {

constexpr int kCompactThreads = 256;

struct CompactParams {
  const void* keys = nullptr;           // [H_kv * L, d] model dtype
  const void* values = nullptr;
  void* out_keys = nullptr;             // [capacity_tokens, d]
  void* out_values = nullptr;
  const std::int32_t* source = nullptr;       // [kept] row of keys/values
  const std::int32_t* destination = nullptr;  // [kept] row of the output
  std::int64_t kept = 0;
  int vectors_per_row = 0;              // d * sizeof(T) / 16
};

template <typename T>
__global__ void __launch_bounds__(kCompactThreads) CompactKernel(const CompactParams p) {
  const std::int64_t index = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (index >= p.kept * p.vectors_per_row) return;
  const std::int64_t row = index / p.vectors_per_row;
  const int vector = static_cast<int>(index % p.vectors_per_row);
  constexpr int kElems = Vec16<T>::kElems;
  const std::int64_t from = static_cast<std::int64_t>(p.source[row]) * p.vectors_per_row * kElems + vector * kElems;
  const std::int64_t to = static_cast<std::int64_t>(p.destination[row]) * p.vectors_per_row * kElems + vector * kElems;
  StoreVec16(static_cast<T*>(p.out_keys) + to, LoadVec16(static_cast<const T*>(p.keys) + from));
  StoreVec16(static_cast<T*>(p.out_values) + to, LoadVec16(static_cast<const T*>(p.values) + from));
}

}  // namespace kvb::cuda_kernels
