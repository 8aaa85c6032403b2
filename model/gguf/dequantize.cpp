#include "model/gguf/dequantize.h"

#include <cstring>

#include "model/gguf/gguf_file.h"
#include "util/error.h"
#include "util/half.h"

namespace kvb::gguf {
namespace {

constexpr std::int64_t kQK = 32;    // values per Q4_0/Q4_1/Q8_0 block
constexpr std::int64_t kQKK = 256;  // values per K-quant super-block

std::uint16_t ReadU16(const std::uint8_t* p) { return static_cast<std::uint16_t>(p[0] | (p[1] << 8)); }
float ReadHalf(const std::uint8_t* p) { return HalfToFloat(ReadU16(p)); }

void DequantizeQ8_0(const std::uint8_t* block, float* out) {
  const float d = ReadHalf(block);
  const auto* q = reinterpret_cast<const std::int8_t*>(block + 2);
  for (int i = 0; i < kQK; ++i) out[i] = d * static_cast<float>(q[i]);
}

void DequantizeQ4_0(const std::uint8_t* block, float* out) {
  const float d = ReadHalf(block);
  const std::uint8_t* q = block + 2;
  for (int i = 0; i < kQK / 2; ++i) {
    out[i] = d * static_cast<float>((q[i] & 0x0F) - 8);
    out[i + kQK / 2] = d * static_cast<float>((q[i] >> 4) - 8);
  }
}

void DequantizeQ4_1(const std::uint8_t* block, float* out) {
  const float d = ReadHalf(block);
  const float m = ReadHalf(block + 2);
  const std::uint8_t* q = block + 4;
  for (int i = 0; i < kQK / 2; ++i) {
    out[i] = d * static_cast<float>(q[i] & 0x0F) + m;
    out[i + kQK / 2] = d * static_cast<float>(q[i] >> 4) + m;
  }
}

// Q4_K packs 8 six-bit scales and 8 six-bit mins into 12 bytes: sub-blocks 0..3 use the low
// six bits of bytes 0..3 (scales) and 4..7 (mins); sub-blocks 4..7 combine a nibble of bytes
// 8..11 with the top two bits of bytes 0..3 (scales) or 4..7 (mins).
void Q4KScaleMin(int j, const std::uint8_t* packed, std::uint8_t& scale, std::uint8_t& min) {
  if (j < 4) {
    scale = packed[j] & 63;
    min = packed[j + 4] & 63;
  } else {
    scale = static_cast<std::uint8_t>((packed[j + 4] & 0x0F) | ((packed[j - 4] >> 6) << 4));
    min = static_cast<std::uint8_t>((packed[j + 4] >> 4) | ((packed[j] >> 6) << 4));
  }
}

void DequantizeQ4_K(const std::uint8_t* block, float* out) {
  const float d = ReadHalf(block);
  const float dmin = ReadHalf(block + 2);
  const std::uint8_t* packed = block + 4;
  const std::uint8_t* q = block + 16;
  for (int chunk = 0; chunk < 4; ++chunk) {  // 64 values: low nibbles then high nibbles of 32 bytes
    std::uint8_t sc, mn;
    Q4KScaleMin(2 * chunk, packed, sc, mn);
    const float d_low = d * sc, m_low = dmin * mn;
    Q4KScaleMin(2 * chunk + 1, packed, sc, mn);
    const float d_high = d * sc, m_high = dmin * mn;
    for (int l = 0; l < 32; ++l) {
      out[chunk * 64 + l] = d_low * static_cast<float>(q[l] & 0x0F) - m_low;
      out[chunk * 64 + 32 + l] = d_high * static_cast<float>(q[l] >> 4) - m_high;
    }
    q += 32;
  }
}

void DequantizeQ6_K(const std::uint8_t* block, float* out) {
  const std::uint8_t* ql = block;
  const std::uint8_t* qh = block + 128;
  const auto* scales = reinterpret_cast<const std::int8_t*>(block + 192);
  const float d = ReadHalf(block + 208);
  for (int half = 0; half < 2; ++half) {  // 128 values from 64 low bytes and 32 high bytes
    for (int l = 0; l < 32; ++l) {
      const int sub = l / 16;
      const int q1 = ((ql[l] & 0x0F) | (((qh[l] >> 0) & 3) << 4)) - 32;
      const int q2 = ((ql[l + 32] & 0x0F) | (((qh[l] >> 2) & 3) << 4)) - 32;
      const int q3 = ((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4)) - 32;
      const int q4 = ((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) - 32;
      out[l] = d * scales[sub] * static_cast<float>(q1);
      out[l + 32] = d * scales[sub + 2] * static_cast<float>(q2);
      out[l + 64] = d * scales[sub + 4] * static_cast<float>(q3);
      out[l + 96] = d * scales[sub + 6] * static_cast<float>(q4);
    }
    out += 128;
    ql += 64;
    qh += 32;
    scales += 8;
  }
}

using BlockFn = void (*)(const std::uint8_t*, float*);

BlockFn BlockFunction(std::uint32_t type) {
  switch (static_cast<TensorType>(type)) {
    case TensorType::kQ8_0: return DequantizeQ8_0;
    case TensorType::kQ4_0: return DequantizeQ4_0;
    case TensorType::kQ4_1: return DequantizeQ4_1;
    case TensorType::kQ4_K: return DequantizeQ4_K;
    case TensorType::kQ6_K: return DequantizeQ6_K;
    default: return nullptr;
  }
}

}  // namespace

std::int64_t BlockSize(std::uint32_t type) {
  switch (static_cast<TensorType>(type)) {
    case TensorType::kF32:
    case TensorType::kF16:
    case TensorType::kBF16: return 1;
    case TensorType::kQ8_0:
    case TensorType::kQ4_0:
    case TensorType::kQ4_1: return kQK;
    case TensorType::kQ4_K:
    case TensorType::kQ6_K: return kQKK;
  }
  throw Error(StrCat("GGUF tensor type ", TensorTypeName(type), " (", type, ") is not supported; kvbench reads "
                     "F32, F16, BF16, Q8_0, Q4_0, Q4_1, Q4_K and Q6_K"));
}

std::int64_t BlockBytes(std::uint32_t type) {
  switch (static_cast<TensorType>(type)) {
    case TensorType::kF32: return 4;
    case TensorType::kF16:
    case TensorType::kBF16: return 2;
    case TensorType::kQ8_0: return 2 + kQK;
    case TensorType::kQ4_0: return 2 + kQK / 2;
    case TensorType::kQ4_1: return 4 + kQK / 2;
    case TensorType::kQ4_K: return 4 + 12 + kQKK / 2;
    case TensorType::kQ6_K: return kQKK / 2 + kQKK / 4 + kQKK / 16 + 2;
  }
  return BlockSize(type);  // throws the error naming the type
}

std::vector<float> Dequantize(std::uint32_t type, const std::uint8_t* data, std::int64_t num_elements) {
  const std::int64_t block = BlockSize(type);
  KVB_REQUIRE(num_elements % block == 0, "GGUF tensor of type ", TensorTypeName(type), " has ", num_elements,
              " values, not a multiple of its block size ", block);
  std::vector<float> out(static_cast<size_t>(num_elements));
  switch (static_cast<TensorType>(type)) {
    case TensorType::kF32:
      std::memcpy(out.data(), data, out.size() * sizeof(float));
      return out;
    case TensorType::kF16:
      for (std::int64_t i = 0; i < num_elements; ++i) out[i] = ReadHalf(data + 2 * i);
      return out;
    case TensorType::kBF16:
      for (std::int64_t i = 0; i < num_elements; ++i) out[i] = BFloat16ToFloat(ReadU16(data + 2 * i));
      return out;
    default: break;
  }
  const BlockFn fn = BlockFunction(type);
  const std::int64_t bytes = BlockBytes(type);
  for (std::int64_t b = 0; b < num_elements / block; ++b) fn(data + b * bytes, out.data() + b * block);
  return out;
}

}  // namespace kvb::gguf
