// Device code of append: one new row per segment, written in place at
// offset[s] + length[s], then length[s] += 1 on the device. Takes FlatKVView only; no
// torch header (STYLE P5). One block per (segment, cache); each thread copies 16 bytes.
#pragma once

#include <cuda_runtime.h>

#include <cstdint>

#include "kernels/cuda/vec16.cuh"
#include "kernels/flat_kv_view.h"
#include "kernels/index_math.h"

namespace kvb::cuda_kernels {

constexpr int kAppendMaxCachesPerLaunch = 32;
constexpr int kAppendThreads = 64;

struct AppendParams {
  FlatKVView caches[kAppendMaxCachesPerLaunch];
  int num_caches = 0;
  int num_segments = 0;           // S, the same for every cache of the launch
  const void* keys = nullptr;     // [N, S, d] model dtype
  const void* values = nullptr;   // [N, S, d] model dtype
};

template <typename T>
__global__ void __launch_bounds__(kAppendThreads) AppendKernel(const __grid_constant__ AppendParams p) {
  constexpr int kElems = Vec16<T>::kElems;
  const int segment = blockIdx.x;
  const int cache_index = blockIdx.y;
  const FlatKVView& cache = p.caches[cache_index];
  const int head_dim = cache.head_dim;
  const std::int32_t length = cache.length[segment];
  // The launcher checked the host mirror; a full segment here means the mirror lied, and
  // writing would overwrite the next segment: leave it untouched instead.
  const bool has_room = length < cache.capacity[segment];
  if (has_room) {
    const std::int64_t source = (static_cast<std::int64_t>(cache_index) * p.num_segments + segment) * head_dim;
    const std::int64_t target = index_math::SegmentRowElement(cache.offset[segment], length, head_dim);
    const T* new_keys = static_cast<const T*>(p.keys) + source;
    const T* new_values = static_cast<const T*>(p.values) + source;
    T* keys = static_cast<T*>(cache.keys) + target;
    T* values = static_cast<T*>(cache.values) + target;
    for (int column = threadIdx.x * kElems; column < head_dim; column += kAppendThreads * kElems) {
      StoreVec16(keys + column, LoadVec16(new_keys + column));
      StoreVec16(values + column, LoadVec16(new_values + column));
    }
  }
  // Every thread has read `length` before it changes.
  __syncthreads();
  if (threadIdx.x == 0 && has_room) cache.length[segment] = length + 1;
}

}  // namespace kvb::cuda_kernels
