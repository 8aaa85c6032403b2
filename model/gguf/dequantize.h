// Dequantisation of GGUF block formats to float. The formats are ggml's public ones:
//   Q8_0  32 values: f16 scale d, 32 x int8            x = d * q
//   Q4_0  32 values: f16 d, 16 bytes of nibbles        x = d * (q - 8)
//   Q4_1  32 values: f16 d, f16 m, 16 bytes of nibbles x = d * q + m
//   (low nibbles hold values 0..15 of the block, high nibbles values 16..31)
//   Q4_K  256 values: f16 d, f16 dmin, 12 bytes of packed 6-bit scales/mins, 128 bytes of
//         nibbles; 8 sub-blocks of 32, x = d*scale_j * q - dmin*min_j
//   Q6_K  256 values: 128 bytes low 4 bits, 64 bytes high 2 bits, 16 int8 scales, f16 d;
//         16 sub-blocks of 16, x = d * scale_j * (q - 32)
#pragma once

#include <cstdint>
#include <vector>

namespace kvb::gguf {

// Values per block and bytes per block of a tensor type; an error for unknown types.
std::int64_t BlockSize(std::uint32_t type);
std::int64_t BlockBytes(std::uint32_t type);

// Dequantises `num_elements` values (a multiple of the block size) starting at `data`.
std::vector<float> Dequantize(std::uint32_t type, const std::uint8_t* data, std::int64_t num_elements);

}  // namespace kvb::gguf
