// IEEE half and bfloat16 <-> float, torch-free (GGUF conversion, safetensors writing).
#pragma once

#include <cstdint>
#include <cstring>

namespace kvb {

inline float HalfToFloat(std::uint16_t h) {
  const std::uint32_t sign = static_cast<std::uint32_t>(h & 0x8000) << 16;
  std::uint32_t exponent = (h >> 10) & 0x1F;
  std::uint32_t mantissa = h & 0x3FF;
  std::uint32_t bits;
  if (exponent == 0) {
    if (mantissa == 0) {
      bits = sign;
    } else {  // subnormal: normalise
      exponent = 127 - 15 + 1;
      while ((mantissa & 0x400) == 0) {
        mantissa <<= 1;
        --exponent;
      }
      mantissa &= 0x3FF;
      bits = sign | (exponent << 23) | (mantissa << 13);
    }
  } else if (exponent == 0x1F) {
    bits = sign | 0x7F800000 | (mantissa << 13);
  } else {
    bits = sign | ((exponent + 127 - 15) << 23) | (mantissa << 13);
  }
  float f;
  std::memcpy(&f, &bits, sizeof f);
  return f;
}

inline float BFloat16ToFloat(std::uint16_t b) {
  const std::uint32_t bits = static_cast<std::uint32_t>(b) << 16;
  float f;
  std::memcpy(&f, &bits, sizeof f);
  return f;
}

// Round to nearest even, as torch's float -> bfloat16 cast does; NaN stays NaN.
inline std::uint16_t FloatToBFloat16(float f) {
  std::uint32_t bits;
  std::memcpy(&bits, &f, sizeof bits);
  if ((bits & 0x7FFFFFFF) > 0x7F800000) return static_cast<std::uint16_t>((bits >> 16) | 0x40);
  const std::uint32_t rounding = 0x7FFF + ((bits >> 16) & 1);
  return static_cast<std::uint16_t>((bits + rounding) >> 16);
}

// Round to nearest even, as torch's float -> half cast does: overflow becomes infinity,
// tiny values become half subnormals or zero; NaN stays NaN.
inline std::uint16_t FloatToHalf(float f) {
  std::uint32_t bits;
  std::memcpy(&bits, &f, sizeof bits);
  const auto sign = static_cast<std::uint16_t>((bits >> 16) & 0x8000);
  const std::uint32_t magnitude = bits & 0x7FFFFFFF;
  if (magnitude > 0x7F800000) return static_cast<std::uint16_t>(sign | 0x7E00);  // NaN
  if (magnitude >= 0x477FF000) return static_cast<std::uint16_t>(sign | 0x7C00);  // rounds past 65504
  if (magnitude < 0x38800000) {  // below the smallest normal half (2^-14): a subnormal
    if (magnitude < 0x33000000) return sign;  // below half of the smallest subnormal (2^-25)
    const std::uint32_t exponent = magnitude >> 23;
    const std::uint32_t mantissa = (magnitude & 0x7FFFFF) | 0x800000;
    const std::uint32_t shift = 126 - exponent;  // 14 + 23 - 10 - (exponent - 127) - 1 + 1
    const std::uint32_t half_ulp = 1u << (shift - 1);
    std::uint32_t value = mantissa >> shift;
    const std::uint32_t rest = mantissa & ((1u << shift) - 1);
    if (rest > half_ulp || (rest == half_ulp && (value & 1))) ++value;
    return static_cast<std::uint16_t>(sign | value);
  }
  // Normal: rebias the exponent (127 -> 15) and round the mantissa from 23 to 10 bits;
  // a carry out of the mantissa correctly bumps the exponent.
  const std::uint32_t rebased = magnitude - (112u << 23);
  const std::uint32_t rounding = 0xFFF + ((rebased >> 13) & 1);
  return static_cast<std::uint16_t>(sign | ((rebased + rounding) >> 13));
}

}  // namespace kvb
