// UTF-8 <-> code points. Invalid input is an error naming the byte offset, never
// a silent replacement: scores and token ids computed from mangled text are wrong.
#pragma once

#include <string>
#include <string_view>

namespace kvb {

// Decodes strict UTF-8 (no overlongs, no surrogates, max U+10FFFF).
// `what` names the input in the error message ("prediction on line 12").
std::u32string DecodeUtf8(std::string_view bytes, std::string_view what = "input");

// True when `bytes` is valid UTF-8 under the rules of DecodeUtf8.
bool IsValidUtf8(std::string_view bytes);

void AppendUtf8(char32_t code_point, std::string& out);
std::string EncodeUtf8(std::u32string_view code_points);

}  // namespace kvb
