// Each GGUF block format against blocks built by hand, with expected values worked out
// from the format's definition (see model/gguf/dequantize.h).
#include "model/gguf/dequantize.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "model/gguf/gguf_file.h"

namespace kvb::gguf {
namespace {

constexpr std::uint16_t kHalfOne = 0x3C00;      // 1.0
constexpr std::uint16_t kHalfHalf = 0x3800;     // 0.5
constexpr std::uint16_t kHalfQuarter = 0x3400;  // 0.25
constexpr std::uint16_t kHalfMinusTwo = 0xC000; // -2.0

void PutHalf(std::vector<std::uint8_t>& b, size_t at, std::uint16_t h) {
  b[at] = h & 0xFF;
  b[at + 1] = h >> 8;
}

TEST(Dequantize, Q8_0ScalesSignedBytes) {
  std::vector<std::uint8_t> block(34);
  PutHalf(block, 0, kHalfHalf);
  for (int i = 0; i < 32; ++i) block[2 + i] = static_cast<std::uint8_t>(static_cast<std::int8_t>(i - 16));
  const auto out = Dequantize(static_cast<std::uint32_t>(TensorType::kQ8_0), block.data(), 32);
  for (int i = 0; i < 32; ++i) EXPECT_FLOAT_EQ(out[i], 0.5f * (i - 16)) << "i=" << i;
}

TEST(Dequantize, Q4_0LowNibblesFirstThenHigh) {
  std::vector<std::uint8_t> block(18);
  PutHalf(block, 0, kHalfQuarter);
  for (int i = 0; i < 16; ++i) block[2 + i] = static_cast<std::uint8_t>(i | ((15 - i) << 4));
  const auto out = Dequantize(static_cast<std::uint32_t>(TensorType::kQ4_0), block.data(), 32);
  for (int i = 0; i < 16; ++i) {
    EXPECT_FLOAT_EQ(out[i], 0.25f * (i - 8)) << "i=" << i;
    EXPECT_FLOAT_EQ(out[16 + i], 0.25f * ((15 - i) - 8)) << "i=" << i;
  }
}

TEST(Dequantize, Q4_1AddsTheMinimum) {
  std::vector<std::uint8_t> block(20);
  PutHalf(block, 0, kHalfHalf);
  PutHalf(block, 2, kHalfMinusTwo);
  for (int i = 0; i < 16; ++i) block[4 + i] = static_cast<std::uint8_t>(i | (3 << 4));
  const auto out = Dequantize(static_cast<std::uint32_t>(TensorType::kQ4_1), block.data(), 32);
  for (int i = 0; i < 16; ++i) {
    EXPECT_FLOAT_EQ(out[i], 0.5f * i - 2.0f) << "i=" << i;
    EXPECT_FLOAT_EQ(out[16 + i], 0.5f * 3 - 2.0f) << "i=" << i;
  }
}

TEST(Dequantize, Q4_KUsesSixBitScalesAndMins) {
  std::vector<std::uint8_t> block(144, 0);
  PutHalf(block, 0, kHalfOne);  // d
  PutHalf(block, 2, kHalfHalf); // dmin
  // Sub-block 0: scale 3, min 4 (bytes 0 and 4). Sub-block 1: scale 5, min 6.
  // Sub-block 4: scale = low nibble of byte 8 | top bits of byte 0 << 4 = 2 | (1 << 4) = 18,
  //              min = high nibble of byte 8 | top bits of byte 4 << 4 = 7 | (2 << 4) = 39.
  block[4 + 0] = 3 | (1 << 6);
  block[4 + 4] = 4 | (2 << 6);
  block[4 + 1] = 5;
  block[4 + 5] = 6;
  block[4 + 8] = 2 | (7 << 4);
  for (int i = 0; i < 128; ++i) block[16 + i] = static_cast<std::uint8_t>((i % 16) | (((i + 1) % 16) << 4));
  const auto out = Dequantize(static_cast<std::uint32_t>(TensorType::kQ4_K), block.data(), 256);
  // Values 0..31: low nibbles of bytes 0..31 with sub-block 0.
  EXPECT_FLOAT_EQ(out[0], 3.0f * 0 - 0.5f * 4);
  EXPECT_FLOAT_EQ(out[7], 3.0f * 7 - 0.5f * 4);
  // Values 32..63: high nibbles of bytes 0..31 with sub-block 1.
  EXPECT_FLOAT_EQ(out[32], 5.0f * 1 - 0.5f * 6);
  EXPECT_FLOAT_EQ(out[47], 5.0f * 0 - 0.5f * 6);  // byte 15: high nibble (16 % 16) = 0
  // Values 128..159: low nibbles of bytes 64..95 with sub-block 4.
  EXPECT_FLOAT_EQ(out[128], 18.0f * (64 % 16) - 0.5f * 39);
  EXPECT_FLOAT_EQ(out[133], 18.0f * (69 % 16) - 0.5f * 39);
}

TEST(Dequantize, Q6_KCombinesLowAndHighBits) {
  std::vector<std::uint8_t> block(210, 0);
  for (int i = 0; i < 16; ++i) block[192 + i] = static_cast<std::uint8_t>(static_cast<std::int8_t>(i - 8));
  PutHalf(block, 208, kHalfHalf);
  block[0] = 0x21;         // ql[0]: low 1 (value 0), high 2 (value 64)
  block[32] = 0x43;        // ql[32]: low 3 (value 32), high 4 (value 96)
  block[128] = 0b11100100; // qh[0]: bits for values 0, 32, 64, 96 = 0, 1, 2, 3
  const auto out = Dequantize(static_cast<std::uint32_t>(TensorType::kQ6_K), block.data(), 256);
  // value 0: q = 1 | (0 << 4) = 1 -> (1 - 32) * scale[0] (-8) * 0.5
  EXPECT_FLOAT_EQ(out[0], 0.5f * -8 * (1 - 32));
  // value 32: q = 3 | (1 << 4) = 19, scale[2] = -6
  EXPECT_FLOAT_EQ(out[32], 0.5f * -6 * (19 - 32));
  // value 64: q = 2 | (2 << 4) = 34, scale[4] = -4
  EXPECT_FLOAT_EQ(out[64], 0.5f * -4 * (34 - 32));
  // value 96: q = 4 | (3 << 4) = 52, scale[6] = -2
  EXPECT_FLOAT_EQ(out[96], 0.5f * -2 * (52 - 32));
  // value 128 comes from the second half: ql[64], qh[32], scales[8] = 0 -> 0.
  EXPECT_FLOAT_EQ(out[128], 0.0f);
}

TEST(Dequantize, HalfAndBFloat16) {
  const std::vector<std::uint8_t> half = {0x00, 0x3C, 0x00, 0xC0};  // 1.0, -2.0
  auto out = Dequantize(static_cast<std::uint32_t>(TensorType::kF16), half.data(), 2);
  EXPECT_EQ(out, (std::vector<float>{1.0f, -2.0f}));
  const std::vector<std::uint8_t> bf16 = {0x80, 0x3F, 0x40, 0xC0};  // 1.0, -3.0
  out = Dequantize(static_cast<std::uint32_t>(TensorType::kBF16), bf16.data(), 2);
  EXPECT_EQ(out, (std::vector<float>{1.0f, -3.0f}));
}

TEST(Dequantize, UnsupportedTypeIsNamed) {
  const std::vector<std::uint8_t> data(64);
  try {
    Dequantize(10, data.data(), 32);  // Q2_K
    FAIL() << "expected an error";
  } catch (const std::exception& e) {
    EXPECT_NE(std::string(e.what()).find("not supported"), std::string::npos) << e.what();
  }
}

TEST(Dequantize, PartialBlockIsAnError) {
  const std::vector<std::uint8_t> data(34);
  EXPECT_THROW(Dequantize(static_cast<std::uint32_t>(TensorType::kQ8_0), data.data(), 31), std::exception);
}

}  // namespace
}  // namespace kvb::gguf
