// Device code of RMSNorm: one block per row of `width` elements. The sum of squares is
// reduced in fp32 (per thread, then warp shuffles, then across warps in shared memory),
// and each element is rounded as the reference rounds it: x * rstd to T, then weight * that
// to T. No torch header (STYLE P5).
#pragma once

#include <cuda_runtime.h>

#include <cstdint>

#include "kernels/cuda/vec16.cuh"

namespace kvb::cuda_kernels {

constexpr int kRmsNormThreads = 256;

template <typename T>
__global__ void __launch_bounds__(kRmsNormThreads)
    RmsNormKernel(const T* __restrict__ x, const T* __restrict__ weight, T* __restrict__ out, int width, float eps) {
  const std::int64_t row = blockIdx.x;
  const T* in = x + row * width;
  float sum = 0.f;
  for (int i = threadIdx.x; i < width; i += kRmsNormThreads) {
    const float value = static_cast<float>(in[i]);
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
    rstd = rsqrtf(total / static_cast<float>(width) + eps);
  }
  __syncthreads();
  T* target = out + row * width;
  for (int i = threadIdx.x; i < width; i += kRmsNormThreads) {
    const float normed = static_cast<float>(FromFloat<T>(static_cast<float>(in[i]) * rstd));
    target[i] = FromFloat<T>(static_cast<float>(weight[i]) * normed);
  }
}

}  // namespace kvb::cuda_kernels
