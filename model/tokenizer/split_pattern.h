// Finds the matches of a pre-tokenizer Split pattern. The GPT-2 and GPT-4-style
// patterns (Llama-3, Qwen2/3, byte-level GPT-2) are matched by hand: RE2 cannot do
// their `\s+(?!\S)` look-ahead and a hand-written scanner is several times faster
// than a backtracking engine. Any other regex goes through ICU, which has look-around.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace kvb::tokenizer_internal {

struct Span {
  std::size_t begin;
  std::size_t end;
};

class PatternMatcher {
 public:
  virtual ~PatternMatcher() = default;
  // Appends the non-overlapping matches of the pattern in `text` (valid UTF-8), left to
  // right, as byte spans; empty matches are not reported.
  virtual void FindAll(std::string_view text, std::vector<Span>& matches) const = 0;
};

// The GPT-2 regex that ByteLevel(use_regex=true) applies.
extern const char kGpt2Pattern[];

std::unique_ptr<PatternMatcher> MakeRegexMatcher(const std::string& pattern);
std::unique_ptr<PatternMatcher> MakeLiteralMatcher(const std::string& literal);

}  // namespace kvb::tokenizer_internal
