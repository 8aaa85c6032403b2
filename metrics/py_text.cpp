#include "metrics/py_text.h"

#include <unicode/uchar.h>
#include <unicode/locid.h>
#include <unicode/unistr.h>

#include "util/utf8.h"

namespace kvb::metrics {

bool IsPythonSpace(char32_t c) {
  if (c <= 0x20) return (c >= 0x09 && c <= 0x0D) || (c >= 0x1C && c <= 0x20);
  switch (c) {
    case 0x85: case 0xA0: case 0x1680: case 0x2028: case 0x2029:
    case 0x202F: case 0x205F: case 0x3000:
      return true;
    default:
      return c >= 0x2000 && c <= 0x200A;
  }
}

CodePointPieces SplitWhitespace(std::u32string_view text) {
  CodePointPieces pieces;
  size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && IsPythonSpace(text[i])) ++i;
    const size_t start = i;
    while (i < text.size() && !IsPythonSpace(text[i])) ++i;
    if (i > start) pieces.emplace_back(text.substr(start, i - start));
  }
  return pieces;
}

CodePointPieces SplitOn(std::u32string_view text, char32_t separator) {
  CodePointPieces pieces;
  size_t start = 0;
  for (size_t i = 0; i <= text.size(); ++i) {
    if (i == text.size() || text[i] == separator) {
      pieces.emplace_back(text.substr(start, i - start));
      start = i + 1;
    }
  }
  return pieces;
}

std::u32string StripWhitespace(std::u32string_view text) {
  size_t begin = 0, end = text.size();
  while (begin < end && IsPythonSpace(text[begin])) ++begin;
  while (end > begin && IsPythonSpace(text[end - 1])) --end;
  return std::u32string(text.substr(begin, end - begin));
}

std::u32string LStripChar(std::u32string_view text, char32_t c) {
  size_t begin = 0;
  while (begin < text.size() && text[begin] == c) ++begin;
  return std::u32string(text.substr(begin));
}

std::u32string Join(const CodePointPieces& pieces, std::u32string_view separator) {
  std::u32string out;
  for (size_t i = 0; i < pieces.size(); ++i) {
    if (i > 0) out += separator;
    out += pieces[i];
  }
  return out;
}

std::u32string PyLower(std::u32string_view text) {
  bool ascii = true;
  for (char32_t c : text) ascii = ascii && c < 0x80;
  std::u32string out(text);
  if (ascii) {  // fast path: ASCII lower-casing is context-free
    for (char32_t& c : out)
      if (c >= 'A' && c <= 'Z') c += 'a' - 'A';
    return out;
  }
  icu::UnicodeString s = icu::UnicodeString::fromUTF32(
      reinterpret_cast<const UChar32*>(text.data()), static_cast<int32_t>(text.size()));
  s.toLower(icu::Locale::getRoot());
  out.assign(static_cast<size_t>(s.countChar32()), U'\0');
  UErrorCode status = U_ZERO_ERROR;
  s.toUTF32(reinterpret_cast<UChar32*>(out.data()), static_cast<int32_t>(out.size()), status);
  return out;
}

bool IsAsciiPunctuation(char32_t c) {
  return (c >= 0x21 && c <= 0x2F) || (c >= 0x3A && c <= 0x40) || (c >= 0x5B && c <= 0x60) ||
         (c >= 0x7B && c <= 0x7E);
}

bool IsUnicodeDecimal(char32_t c) {
  if (c < 0x80) return c >= '0' && c <= '9';
  return u_charType(static_cast<UChar32>(c)) == U_DECIMAL_DIGIT_NUMBER;
}

bool IsUnicodeWord(char32_t c) {
  if (c < 0x80) return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
  const auto cp = static_cast<UChar32>(c);
  return u_isalpha(cp) || u_getIntPropertyValue(cp, UCHAR_NUMERIC_TYPE) != U_NT_NONE;
}

CodePointPieces FindDigitRuns(std::u32string_view text) {
  CodePointPieces runs;
  size_t i = 0;
  while (i < text.size()) {
    if (!IsUnicodeDecimal(text[i])) {
      ++i;
      continue;
    }
    const size_t start = i;
    while (i < text.size() && IsUnicodeDecimal(text[i])) ++i;
    runs.emplace_back(text.substr(start, i - start));
  }
  return runs;
}

bool Contains(std::u32string_view haystack, std::u32string_view needle) {
  return haystack.find(needle) != std::u32string_view::npos;
}

}  // namespace kvb::metrics
