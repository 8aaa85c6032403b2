#include "model/tokenizer/unicode_class.h"

#include <unicode/uchar.h>

#include <array>

namespace kvb::tokenizer_internal {
namespace {

CharClass ClassFromIcu(char32_t c) {
  if (u_isUWhiteSpace(static_cast<UChar32>(c))) return CharClass::kWhitespace;
  switch (u_charType(static_cast<UChar32>(c))) {
    case U_UPPERCASE_LETTER:
    case U_LOWERCASE_LETTER:
    case U_TITLECASE_LETTER:
    case U_MODIFIER_LETTER:
    case U_OTHER_LETTER:
      return CharClass::kLetter;
    case U_DECIMAL_DIGIT_NUMBER:
    case U_LETTER_NUMBER:
    case U_OTHER_NUMBER:
      return CharClass::kNumber;
    default:
      return CharClass::kOther;
  }
}

// One byte per BMP code point: built once (about a millisecond), then every lookup
// of ordinary text is an array read instead of an ICU call.
const std::array<CharClass, 0x10000>& BmpTable() {
  static const auto* table = [] {
    auto* t = new std::array<CharClass, 0x10000>();
    for (char32_t c = 0; c < 0x10000; ++c) (*t)[c] = ClassFromIcu(c);
    return t;
  }();
  return *table;
}

}  // namespace

CharClass ClassOf(char32_t c) {
  if (c < 0x10000) return BmpTable()[c];
  return ClassFromIcu(c);
}

}  // namespace kvb::tokenizer_internal
