// Device code of RMSNorm: one block per row of `width` elements. The sum of squares is
// reduced in fp32 (per thread, then warp shuffles, then across warps in shared memory),
// and each element is rounded as the reference rounds it: x * rstd to T, then weight * that
// to T. With a residual (ops::AddRmsNorm) the row normalised is x + residual rounded to T,
// which the kernel also writes out.
// Two bodies. RmsNormRowInRegistersKernel, for rows of whole 16-byte vectors that fit
// kRmsNormMaxVecs per thread (every decoder hidden size up to 8192 in bf16): each thread
// loads its vectors once into registers, all loads in flight together, and writes each
// result once. A decode step normalises one 4096-wide row, where the loop body walks the
// row three times with scalar loads, each walk waiting on its own round trips: 12 us a
// call on an H200 (kernels/cuda/README.md). RmsNormKernel, the loop, takes every other
// width: each thread re-reads only the sums it wrote itself.
// Inputs no thread writes are read with __ldg: the pointers come through a params struct,
// so __restrict__ cannot tell the compiler they are read-only. The re-read sums must not
// go through that non-coherent cache. No torch header (STYLE P5).
#pragma once

#include <cuda_runtime.h>

#include <cstdint>

#include "kernels/cuda/vec16.cuh"

namespace kvb::cuda_kernels {

constexpr int kRmsNormThreads = 256;
// The register body holds at most this many 16-byte vectors of a row per thread.
constexpr int kRmsNormMaxVecs = 4;

struct RmsNormParams {
  const void* x = nullptr;         // [rows, width] contiguous
  const void* residual = nullptr;  // [rows, width] contiguous, or null
  const void* weight = nullptr;    // [width]
  void* sum = nullptr;             // [rows, width]: x + residual; null without a residual
  void* out = nullptr;             // [rows, width]
  int width = 0;
  float eps = 0.f;
};

// 1 / sqrt(mean of squares + eps) of a row from each thread's partial sum of squares,
// the same value in every thread.
__device__ __forceinline__ float BlockRstd(float partial, int width, float eps) {
#pragma unroll
  for (int offset = 16; offset > 0; offset /= 2) partial += __shfl_xor_sync(0xffffffffu, partial, offset);
  __shared__ float warp_sums[kRmsNormThreads / 32];
  __shared__ float rstd;
  if (threadIdx.x % 32 == 0) warp_sums[threadIdx.x / 32] = partial;
  __syncthreads();
  if (threadIdx.x == 0) {
    float total = 0.f;
#pragma unroll
    for (int w = 0; w < kRmsNormThreads / 32; ++w) total += warp_sums[w];
    rstd = rsqrtf(total / static_cast<float>(width) + eps);
  }
  __syncthreads();
  return rstd;
}

template <typename T, bool kAddResidual>
__global__ void __launch_bounds__(kRmsNormThreads) RmsNormKernel(const __grid_constant__ RmsNormParams p) {
  const std::int64_t offset = static_cast<std::int64_t>(blockIdx.x) * p.width;
  const int width = p.width;
  const T* in = static_cast<const T*>(p.x) + offset;
  if constexpr (kAddResidual) {
    const T* residual = static_cast<const T*>(p.residual) + offset;
    T* sum_row = static_cast<T*>(p.sum) + offset;
    for (int i = threadIdx.x; i < width; i += kRmsNormThreads) {
      sum_row[i] = FromFloat<T>(__fadd_rn(static_cast<float>(__ldg(in + i)), static_cast<float>(__ldg(residual + i))));
    }
    in = sum_row;  // the same thread reads back the same indices: no barrier needed
  }
  // Plain rows are read-only; with a residual `in` is the sums this thread just wrote.
  const auto load_row = [in](int i) { return kAddResidual ? in[i] : __ldg(in + i); };
  float sum = 0.f;
  for (int i = threadIdx.x; i < width; i += kRmsNormThreads) {
    const float value = static_cast<float>(load_row(i));
    sum = fmaf(value, value, sum);
  }
  const float rstd = BlockRstd(sum, width, p.eps);
  const T* weight = static_cast<const T*>(p.weight);
  T* target = static_cast<T*>(p.out) + offset;
  for (int i = threadIdx.x; i < width; i += kRmsNormThreads) {
    const float normed = static_cast<float>(FromFloat<T>(static_cast<float>(load_row(i)) * rstd));
    target[i] = FromFloat<T>(static_cast<float>(__ldg(weight + i)) * normed);
  }
}

// Thread t holds vectors t, t + kRmsNormThreads, ... of the row (coalesced per pass).
// Requires width % Vec16<T>::kElems == 0, 16-byte aligned rows, and
// width <= kVecs * kRmsNormThreads * Vec16<T>::kElems.
template <typename T, bool kAddResidual, int kVecs>
__global__ void __launch_bounds__(kRmsNormThreads)
    RmsNormRowInRegistersKernel(const __grid_constant__ RmsNormParams p) {
  constexpr int kElems = Vec16<T>::kElems;
  const int width = p.width;
  const std::int64_t offset = static_cast<std::int64_t>(blockIdx.x) * width;
  const T* in = static_cast<const T*>(p.x) + offset;
  const auto column_of = [](int v) { return (static_cast<int>(threadIdx.x) + v * kRmsNormThreads) * kElems; };
  float row[kVecs][kElems];
  float sum = 0.f;
#pragma unroll
  for (int v = 0; v < kVecs; ++v) {
    const int column = column_of(v);
    if (column >= width) break;
    Vec16<T>::ToFloat(LoadVec16(in + column), row[v]);
    if constexpr (kAddResidual) {
      float residual[kElems];
      Vec16<T>::ToFloat(LoadVec16(static_cast<const T*>(p.residual) + offset + column), residual);
#pragma unroll
      for (int e = 0; e < kElems; ++e) row[v][e] = static_cast<float>(FromFloat<T>(__fadd_rn(row[v][e], residual[e])));
      StoreVec16(static_cast<T*>(p.sum) + offset + column, FromFloatVec16<T>(row[v]));  // exact: already T values
    }
#pragma unroll
    for (int e = 0; e < kElems; ++e) sum = fmaf(row[v][e], row[v][e], sum);
  }
  const float rstd = BlockRstd(sum, width, p.eps);
  const T* weight = static_cast<const T*>(p.weight);
  T* target = static_cast<T*>(p.out) + offset;
#pragma unroll
  for (int v = 0; v < kVecs; ++v) {
    const int column = column_of(v);
    if (column >= width) break;
    float scale[kElems];
    Vec16<T>::ToFloat(LoadVec16(weight + column), scale);
    float result[kElems];
#pragma unroll
    for (int e = 0; e < kElems; ++e) {
      const float normed = static_cast<float>(FromFloat<T>(row[v][e] * rstd));
      result[e] = scale[e] * normed;
    }
    StoreVec16(target + column, FromFloatVec16<T>(result));
  }
}

}  // namespace kvb::cuda_kernels
