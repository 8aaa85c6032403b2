// Device code of RMSNorm: one block per row of `width` elements. The sum of squares is
// reduced in fp32 (per thread, then warp shuffles, then across warps in shared memory),
// and each element is rounded as the reference rounds it: x * rstd to T, then weight * that
// to T. With a residual (ops::AddRmsNorm) the row normalised is x + residual rounded to T,
// which the kernel also writes out: each thread re-reads only the sums it wrote itself.
// Inputs no thread writes are read with __ldg: the pointers come through a params struct,
// so __restrict__ cannot tell the compiler they are read-only. The re-read sums must not
// go through that non-coherent cache. No torch header (STYLE P5).
#pragma once

#include <cuda_runtime.h>

#include <cstdint>

#include "kernels/cuda/vec16.cuh"

namespace kvb::cuda_kernels {

constexpr int kRmsNormThreads = 256;

struct RmsNormParams {
  const void* x = nullptr;         // [rows, width] contiguous
  const void* residual = nullptr;  // [rows, width] contiguous, or null
  const void* weight = nullptr;    // [width]
  void* sum = nullptr;             // [rows, width]: x + residual; null without a residual
  void* out = nullptr;             // [rows, width]
  int width = 0;
  float eps = 0.f;
};

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
#pragma unroll
  for (int offset = 16; offset > 0; offset /= 2) sum += __shfl_xor_sync(0xffffffffu, sum, offset);
  __shared__ float warp_sums[kRmsNormThreads / 32];
  __shared__ float rstd;
  if (threadIdx.x % 32 == 0) warp_sums[threadIdx.x / 32] = sum;
  __syncthreads();
  if (threadIdx.x == 0) {
    float total = 0.f;
#pragma unroll
    for (int w = 0; w < kRmsNormThreads / 32; ++w) total += warp_sums[w];
    rstd = rsqrtf(total / static_cast<float>(width) + p.eps);
  }
  __syncthreads();
  const T* weight = static_cast<const T*>(p.weight);
  T* target = static_cast<T*>(p.out) + offset;
  for (int i = threadIdx.x; i < width; i += kRmsNormThreads) {
    const float normed = static_cast<float>(FromFloat<T>(static_cast<float>(load_row(i)) * rstd));
    target[i] = FromFloat<T>(static_cast<float>(__ldg(weight + i)) * normed);
  }
}

}  // namespace kvb::cuda_kernels
