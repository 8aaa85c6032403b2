// Device code of RoPE (ops::ApplyRotary): one block per (position, head), a thread per
// pair of dims (i, i + d/2). Each product and the sum are rounded to T, with _rn
// intrinsics so the compiler cannot contract them into an FMA: the same bits as the ATen
// reference's three elementwise ops. No torch header (STYLE P5).
#pragma once

#include <cuda_runtime.h>

#include <cstdint>

#include "kernels/cuda/vec16.cuh"

namespace kvb::cuda_kernels {

constexpr int kRotaryThreads = 64;

struct RotaryParams {
  const void* x = nullptr;      // [heads, n, d], last dim contiguous
  std::int64_t head_stride = 0, position_stride = 0;  // of x, in elements
  const void* cos = nullptr;    // [n, d] contiguous
  const void* sin = nullptr;    // [n, d] contiguous
  void* out = nullptr;          // [heads, n, d] contiguous
  int positions = 0, head_dim = 0;
};

// a * b rounded to T, as a float.
template <typename T>
__device__ __forceinline__ float RoundedProduct(float a, float b) {
  return static_cast<float>(FromFloat<T>(__fmul_rn(a, b)));
}

template <typename T>
__global__ void __launch_bounds__(kRotaryThreads) RotaryKernel(const __grid_constant__ RotaryParams p) {
  const int position = blockIdx.x;
  const int head = blockIdx.y;
  const int half = p.head_dim / 2;
  const T* x = static_cast<const T*>(p.x) + head * p.head_stride + position * p.position_stride;
  const T* cos = static_cast<const T*>(p.cos) + static_cast<std::int64_t>(position) * p.head_dim;
  const T* sin = static_cast<const T*>(p.sin) + static_cast<std::int64_t>(position) * p.head_dim;
  T* out = static_cast<T*>(p.out) + (static_cast<std::int64_t>(head) * p.positions + position) * p.head_dim;
  for (int i = threadIdx.x; i < half; i += kRotaryThreads) {
    const float first = static_cast<float>(x[i]), second = static_cast<float>(x[i + half]);
    // rotate_half(x) = [-second, first]
    out[i] = FromFloat<T>(__fadd_rn(RoundedProduct<T>(first, static_cast<float>(cos[i])),
                                    RoundedProduct<T>(-second, static_cast<float>(sin[i]))));
    out[i + half] = FromFloat<T>(__fadd_rn(RoundedProduct<T>(second, static_cast<float>(cos[i + half])),
                                           RoundedProduct<T>(first, static_cast<float>(sin[i + half]))));
  }
}

}  // namespace kvb::cuda_kernels
