// Device code of the SwiGLU gate (ops::SiluMul): out = silu(gate) * up over rows of
// [gate | up], a thread per output element. silu is rounded to T before the product, and
// the product to T, as the reference's two elementwise ops round; silu itself is
// x / (1 + expf(-x)) in fp32 with IEEE division, the formula of ATen's CUDA kernel.
// No torch header (STYLE P5).
#pragma once

#include <cuda_runtime.h>

#include <cstdint>

#include "kernels/cuda/vec16.cuh"

namespace kvb::cuda_kernels {

constexpr int kSiluMulThreads = 256;

template <typename T>
__global__ void __launch_bounds__(kSiluMulThreads)
    SiluMulKernel(const T* __restrict__ gate_up, T* __restrict__ out, int width) {
  const int column = blockIdx.x * kSiluMulThreads + threadIdx.x;
  if (column >= width) return;
  const std::int64_t row = blockIdx.y;
  const T* in = gate_up + row * 2 * width;
  const float gate = static_cast<float>(in[column]);
  const float silu = static_cast<float>(FromFloat<T>(__fdiv_rn(gate, __fadd_rn(1.f, expf(-gate)))));
  out[row * width + column] = FromFloat<T>(__fmul_rn(silu, static_cast<float>(in[width + column])));
}

}  // namespace kvb::cuda_kernels
