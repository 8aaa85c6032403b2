#include "model/tokenizer/split_pattern.h"

#include <unicode/regex.h>
#include <unicode/unistr.h>

#include "model/tokenizer/unicode_class.h"
#include "util/error.h"

namespace kvb::tokenizer_internal {

const char kGpt2Pattern[] =
    R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)";

namespace {

constexpr char kGpt4PatternPrefix[] = R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|)";
constexpr char kGpt4PatternSuffix[] =
    R"(| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";

// The family of patterns matched by hand. Each alternative is tried in order at each
// position, as the backtracking engine of `tokenizers` (Oniguruma) does.
struct HandPatternSpec {
  bool gpt4_style = false;  // false: the GPT-2 pattern
  int max_digits = 0;       // GPT-4 style: \p{N}{1,max_digits}; 0 = unbounded
};

class HandMatcher : public PatternMatcher {
 public:
  explicit HandMatcher(HandPatternSpec spec) : spec_(spec) {}

  void FindAll(std::string_view text, std::vector<Span>& matches) const override {
    std::size_t pos = 0;
    while (pos < text.size()) {
      const std::size_t end = MatchAt(text, pos);
      matches.push_back({pos, end});
      pos = end;
    }
  }

 private:
  struct Char {
    char32_t cp;
    std::size_t len;
    CharClass cls;
  };

  static Char At(std::string_view s, std::size_t pos) {
    Char c{0, 0, CharClass::kOther};
    if (pos >= s.size()) return c;
    c.cp = DecodeAt(s, pos, c.len);
    c.cls = ClassOf(c.cp);
    return c;
  }

  static bool IsCrLf(char32_t c) { return c == '\r' || c == '\n'; }

  static std::size_t SkipClass(std::string_view s, std::size_t pos, CharClass cls) {
    while (pos < s.size()) {
      const Char c = At(s, pos);
      if (c.cls != cls) break;
      pos += c.len;
    }
    return pos;
  }

  // 's 't 're 've 'm 'll 'd after an apostrophe at `pos`; returns the end or 0.
  std::size_t MatchContraction(std::string_view s, std::size_t pos) const {
    if (s[pos] != '\'' || pos + 1 >= s.size()) return 0;
    const Char c1 = At(s, pos + 1);
    const auto lower = [&](char32_t c) -> char32_t {
      if (!spec_.gpt4_style) return c;
      if (c >= 'A' && c <= 'Z') return c - 'A' + 'a';
      if (c == 0x17F) return 's';  // LATIN SMALL LETTER LONG S case-folds to s
      return c;
    };
    const char32_t a = lower(c1.cp);
    if (a == 's' || a == 't' || a == 'm' || a == 'd') return pos + 1 + c1.len;
    if (a == 'r' || a == 'v' || a == 'l') {
      const Char c2 = At(s, pos + 1 + c1.len);
      if (c2.len == 0) return 0;
      const char32_t b = lower(c2.cp);
      if ((a == 'r' && b == 'e') || (a == 'v' && b == 'e') || (a == 'l' && b == 'l'))
        return pos + 1 + c1.len + c2.len;
    }
    return 0;
  }

  // Whitespace alternatives shared by both patterns, at a whitespace char.
  std::size_t MatchWhitespace(std::string_view s, std::size_t pos) const {
    std::size_t end = pos;
    std::size_t last_newline_end = 0;
    std::size_t last_char_begin = pos;
    while (end < s.size()) {
      const Char c = At(s, end);
      if (c.cls != CharClass::kWhitespace) break;
      last_char_begin = end;
      end += c.len;
      if (IsCrLf(c.cp)) last_newline_end = end;
    }
    // \s*[\r\n]+ : up to the last line break of the run.
    if (spec_.gpt4_style && last_newline_end != 0) return last_newline_end;
    // \s+(?!\S) : the whole run at the end of the text, else all but its last char.
    if (end == s.size()) return end;
    if (last_char_begin > pos) return last_char_begin;
    return end;  // \s+
  }

  std::size_t MatchAt(std::string_view s, std::size_t pos) const {
    if (std::size_t e = MatchContraction(s, pos)) return e;
    const Char c0 = At(s, pos);
    const Char c1 = At(s, pos + c0.len);
    if (spec_.gpt4_style) {
      // [^\r\n\p{L}\p{N}]?\p{L}+
      if (c0.cls == CharClass::kLetter) return SkipClass(s, pos, CharClass::kLetter);
      if (c0.cls != CharClass::kNumber && !IsCrLf(c0.cp) && c1.len && c1.cls == CharClass::kLetter)
        return SkipClass(s, pos + c0.len, CharClass::kLetter);
      // \p{N}{1,n}
      if (c0.cls == CharClass::kNumber) {
        std::size_t end = pos;
        for (int n = 0; end < s.size() && (spec_.max_digits == 0 || n < spec_.max_digits); ++n) {
          const Char c = At(s, end);
          if (c.cls != CharClass::kNumber) break;
          end += c.len;
        }
        return end;
      }
      // ' ?[^\s\p{L}\p{N}]+[\r\n]*'
      std::size_t start = std::string_view::npos;
      if (c0.cls == CharClass::kOther) {
        start = pos;
      } else if (c0.cp == ' ' && c1.len && c1.cls == CharClass::kOther) {
        start = pos + 1;
      }
      if (start != std::string_view::npos) {
        std::size_t end = SkipClass(s, start, CharClass::kOther);
        while (end < s.size() && IsCrLf(static_cast<unsigned char>(s[end]))) ++end;
        return end;
      }
      return MatchWhitespace(s, pos);
    }
    // GPT-2: ' ?\p{L}+', ' ?\p{N}+', ' ?[^\s\p{L}\p{N}]+'
    for (CharClass cls : {CharClass::kLetter, CharClass::kNumber, CharClass::kOther}) {
      if (c0.cls == cls) return SkipClass(s, pos, cls);
      if (c0.cp == ' ' && c1.len && c1.cls == cls) return SkipClass(s, pos + 1, cls);
    }
    return MatchWhitespace(s, pos);
  }

  HandPatternSpec spec_;
};

// Any other regex, through ICU (UTF-16 internally; spans mapped back to UTF-8 bytes).
class IcuMatcher : public PatternMatcher {
 public:
  explicit IcuMatcher(const std::string& pattern) {
    UErrorCode status = U_ZERO_ERROR;
    UParseError parse_error;
    pattern_.reset(icu::RegexPattern::compile(icu::UnicodeString::fromUTF8(pattern), 0,
                                              parse_error, status));
    KVB_REQUIRE(U_SUCCESS(status), "cannot compile the Split regex ", pattern, ": ",
                u_errorName(status), " at offset ", parse_error.offset);
  }

  void FindAll(std::string_view text, std::vector<Span>& matches) const override {
    const icu::UnicodeString u16 = icu::UnicodeString::fromUTF8(
        icu::StringPiece(text.data(), static_cast<int32_t>(text.size())));
    // UTF-16 index -> UTF-8 byte offset.
    std::vector<std::size_t> byte_at(static_cast<std::size_t>(u16.length()) + 1, text.size());
    std::size_t byte = 0;
    for (int32_t i = 0; i < u16.length();) {
      byte_at[static_cast<std::size_t>(i)] = byte;
      const UChar32 c = u16.char32At(i);
      const int32_t units = U16_LENGTH(c);
      if (units == 2) byte_at[static_cast<std::size_t>(i) + 1] = byte;
      byte += c < 0x80 ? 1 : c < 0x800 ? 2 : c < 0x10000 ? 3 : 4;
      i += units;
    }
    UErrorCode status = U_ZERO_ERROR;
    std::unique_ptr<icu::RegexMatcher> m(pattern_->matcher(u16, status));
    KVB_REQUIRE(U_SUCCESS(status), "ICU regex matcher: ", u_errorName(status));
    while (m->find(status) && U_SUCCESS(status)) {
      const int32_t b = m->start(status), e = m->end(status);
      if (e > b) matches.push_back({byte_at[static_cast<std::size_t>(b)], byte_at[static_cast<std::size_t>(e)]});
    }
  }

 private:
  std::unique_ptr<icu::RegexPattern> pattern_;
};

class LiteralMatcher : public PatternMatcher {
 public:
  explicit LiteralMatcher(std::string literal) : literal_(std::move(literal)) {}
  void FindAll(std::string_view text, std::vector<Span>& matches) const override {
    if (literal_.empty()) return;
    for (std::size_t pos = text.find(literal_); pos != std::string_view::npos;
         pos = text.find(literal_, pos + literal_.size())) {
      matches.push_back({pos, pos + literal_.size()});
    }
  }

 private:
  std::string literal_;
};

}  // namespace

std::unique_ptr<PatternMatcher> MakeRegexMatcher(const std::string& pattern) {
  if (pattern == kGpt2Pattern) return std::make_unique<HandMatcher>(HandPatternSpec{false, 0});
  const std::string prefix = kGpt4PatternPrefix, suffix = kGpt4PatternSuffix;
  if (pattern.size() > prefix.size() + suffix.size() && pattern.compare(0, prefix.size(), prefix) == 0 &&
      pattern.compare(pattern.size() - suffix.size(), suffix.size(), suffix) == 0) {
    const std::string digits =
        pattern.substr(prefix.size(), pattern.size() - prefix.size() - suffix.size());
    if (digits == R"(\p{N})") return std::make_unique<HandMatcher>(HandPatternSpec{true, 1});
    if (digits == R"(\p{N}+)") return std::make_unique<HandMatcher>(HandPatternSpec{true, 0});
    if (digits.size() == 10 && digits.compare(0, 8, R"(\p{N}{1,)") == 0 && digits[9] == '}' &&
        digits[8] >= '1' && digits[8] <= '9') {
      return std::make_unique<HandMatcher>(HandPatternSpec{true, digits[8] - '0'});
    }
  }
  return std::make_unique<IcuMatcher>(pattern);
}

std::unique_ptr<PatternMatcher> MakeLiteralMatcher(const std::string& literal) {
  return std::make_unique<LiteralMatcher>(literal);
}

}  // namespace kvb::tokenizer_internal
