// Python `str` semantics the official scorers rely on (spec benchmarks.md §0.1).
// Strings are UTF-32 code point sequences (std::u32string), as Python's are;
// UTF-8 only at the edges (util/utf8.h rejects invalid input with an error).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace kvb::metrics {

// A list of Python `str` pieces, e.g. the result of str.split().
using CodePointPieces = std::vector<std::u32string>;

// Python's str.isspace() set, which str.split(), str.strip() and re `\s` use:
// U+0009–U+000D, U+001C–U+001F, U+0020, U+0085, U+00A0, U+1680, U+2000–U+200A,
// U+2028, U+2029, U+202F, U+205F, U+3000 (not U+200B).
bool IsPythonSpace(char32_t c);

// str.split() with no argument: runs of Python whitespace separate, no empty pieces.
CodePointPieces SplitWhitespace(std::u32string_view text);

// str.split(sep) with an explicit one-character separator: keeps empty pieces.
CodePointPieces SplitOn(std::u32string_view text, char32_t separator);

// str.strip() / str.lstrip(chars) with the default whitespace set or one character.
std::u32string StripWhitespace(std::u32string_view text);
std::u32string LStripChar(std::u32string_view text, char32_t c);

// sep.join(pieces).
std::u32string Join(const CodePointPieces& pieces, std::u32string_view separator);

// str.lower(): full Unicode lower-casing (SpecialCasing, final sigma) through ICU's
// root locale. A byte-wise tolower would disagree on e.g. U+0130 and Σ.
std::u32string PyLower(std::u32string_view text);

// string.punctuation: the 32 printable ASCII characters that are not letters,
// digits or space. Nothing outside ASCII.
bool IsAsciiPunctuation(char32_t c);

// re `\d` on a str pattern: a Unicode decimal digit (general category Nd).
bool IsUnicodeDecimal(char32_t c);

// re `\w` on a str pattern: str.isalnum() or '_' (letters L*, and characters with a
// Unicode numeric type). Combining marks are not word characters, as in Python.
bool IsUnicodeWord(char32_t c);

// re.findall(r"\d+", text): the maximal runs of Unicode decimal digits, in order.
CodePointPieces FindDigitRuns(std::u32string_view text);

// `needle in haystack` on code points.
bool Contains(std::u32string_view haystack, std::u32string_view needle);

}  // namespace kvb::metrics
