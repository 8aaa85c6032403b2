// Unicode character classes the pre-tokenizer regexes use (\p{L}, \p{N}, \s), with an
// ASCII fast path and a precomputed table for the Basic Multilingual Plane.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace kvb::tokenizer_internal {

enum class CharClass : std::uint8_t { kLetter, kNumber, kWhitespace, kOther };

// \p{L} = general category L*, \p{N} = N*, \s = the White_Space property (what
// Oniguruma, which `tokenizers` uses, means by \s in Unicode mode).
CharClass ClassOf(char32_t c);

// Decodes the code point at `pos` of text already validated as UTF-8; sets `len`.
inline char32_t DecodeAt(std::string_view s, std::size_t pos, std::size_t& len) {
  const auto b0 = static_cast<unsigned char>(s[pos]);
  if (b0 < 0x80) {
    len = 1;
    return b0;
  }
  const auto b = [&](std::size_t i) { return static_cast<char32_t>(s[pos + i] & 0x3F); };
  if ((b0 & 0xE0) == 0xC0) {
    len = 2;
    return (static_cast<char32_t>(b0 & 0x1F) << 6) | b(1);
  }
  if ((b0 & 0xF0) == 0xE0) {
    len = 3;
    return (static_cast<char32_t>(b0 & 0x0F) << 12) | (b(1) << 6) | b(2);
  }
  len = 4;
  return (static_cast<char32_t>(b0 & 0x07) << 18) | (b(1) << 12) | (b(2) << 6) | b(3);
}

// Byte length of the UTF-8 sequence that starts with `lead`.
inline std::size_t Utf8Length(unsigned char lead) {
  if (lead < 0x80) return 1;
  if ((lead & 0xE0) == 0xC0) return 2;
  if ((lead & 0xF0) == 0xE0) return 3;
  return 4;
}

}  // namespace kvb::tokenizer_internal
