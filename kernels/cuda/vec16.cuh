// 16-byte vector loads converted to fp32, and fp32 stores back to the model dtype: the
// unit every kernel here moves memory in (one 128-bit load per thread keeps the reads
// of a row coalesced). Device code only; no torch header (STYLE P5).
#pragma once

#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include <cstdint>

namespace kvb::cuda_kernels {

template <typename T>
struct Vec16;

template <>
struct Vec16<float> {
  static constexpr int kElems = 4;
  __device__ __forceinline__ static void ToFloat(const uint4& raw, float* out) {
    out[0] = __uint_as_float(raw.x);
    out[1] = __uint_as_float(raw.y);
    out[2] = __uint_as_float(raw.z);
    out[3] = __uint_as_float(raw.w);
  }
};

template <>
struct Vec16<__nv_bfloat16> {
  static constexpr int kElems = 8;
  // bf16 is the top half of an fp32: widening is a shift or a mask, no conversion unit.
  __device__ __forceinline__ static void Word(std::uint32_t word, float* out) {
    out[0] = __uint_as_float(word << 16);
    out[1] = __uint_as_float(word & 0xffff0000u);
  }
  __device__ __forceinline__ static void ToFloat(const uint4& raw, float* out) {
    Word(raw.x, out);
    Word(raw.y, out + 2);
    Word(raw.z, out + 4);
    Word(raw.w, out + 6);
  }
};

template <>
struct Vec16<__half> {
  static constexpr int kElems = 8;
  __device__ __forceinline__ static void Word(std::uint32_t word, float* out) {
    __half2 pair;
    static_assert(sizeof(pair) == sizeof(word), "half2 is 32 bits");
    memcpy(&pair, &word, sizeof(word));
    const float2 wide = __half22float2(pair);
    out[0] = wide.x;
    out[1] = wide.y;
  }
  __device__ __forceinline__ static void ToFloat(const uint4& raw, float* out) {
    Word(raw.x, out);
    Word(raw.y, out + 2);
    Word(raw.z, out + 4);
    Word(raw.w, out + 6);
  }
};

template <typename T>
__device__ __forceinline__ T FromFloat(float value);
template <>
__device__ __forceinline__ float FromFloat<float>(float value) { return value; }
template <>
__device__ __forceinline__ __half FromFloat<__half>(float value) { return __float2half_rn(value); }
template <>
__device__ __forceinline__ __nv_bfloat16 FromFloat<__nv_bfloat16>(float value) {
  return __float2bfloat16_rn(value);
}

// Read-only 128-bit load through the non-coherent path: the cache is not written while
// a kernel reads it.
template <typename T>
__device__ __forceinline__ uint4 LoadVec16(const T* address) {
  return __ldg(reinterpret_cast<const uint4*>(address));
}

// Rounds kElems floats to T and packs them into one 16-byte word (the inverse of ToFloat).
template <typename T>
__device__ __forceinline__ uint4 FromFloatVec16(const float* values) {
  T elems[Vec16<T>::kElems];
#pragma unroll
  for (int e = 0; e < Vec16<T>::kElems; ++e) elems[e] = FromFloat<T>(values[e]);
  uint4 raw;
  static_assert(sizeof(elems) == sizeof(raw), "one 16-byte vector");
  memcpy(&raw, elems, sizeof(raw));
  return raw;
}

template <typename T>
__device__ __forceinline__ void StoreVec16(T* address, const uint4& value) {
  *reinterpret_cast<uint4*>(address) = value;
}

}  // namespace kvb::cuda_kernels
