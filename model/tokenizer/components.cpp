#include "model/tokenizer/components.h"

#include <unicode/normalizer2.h>
#include <unicode/unistr.h>

#include <array>
#include <nlohmann/json.hpp>
#include <unordered_map>

#include "model/tokenizer/split_pattern.h"
#include "model/tokenizer/unicode_class.h"
#include "util/error.h"
#include "util/utf8.h"

namespace kvb::tokenizer_internal {
namespace {

using nlohmann::json;

const json& Field(const json& node, const char* name, const JsonPlace& place) {
  KVB_REQUIRE(node.is_object() && node.contains(name), place.file, ": missing key ", place.key,
              ".", name);
  return node.at(name);
}

std::string StringField(const json& node, const char* name, const JsonPlace& place) {
  const json& v = Field(node, name, place);
  KVB_REQUIRE(v.is_string(), place.file, ": ", place.key, ".", name, " must be a string");
  return v.get<std::string>();
}

template <typename T>
T Optional(const json& node, const char* name, T fallback) {
  if (!node.contains(name) || node.at(name).is_null()) return fallback;
  return node.at(name).get<T>();
}

std::string TypeOf(const json& node, const JsonPlace& place) {
  return StringField(node, "type", place);
}

[[noreturn]] void Unsupported(const char* what, const std::string& type, const JsonPlace& place) {
  throw Error(StrCat(place.file, ": unsupported ", what, " type '", type, "' at key ", place.key,
                     ".type"));
}

// {"String": "x"} or {"Regex": "..."}: the matcher of a Split / Replace pattern.
std::unique_ptr<PatternMatcher> PatternOf(const json& node, const JsonPlace& place) {
  const json& pattern = Field(node, "pattern", place);
  if (pattern.contains("String")) return MakeLiteralMatcher(pattern.at("String").get<std::string>());
  if (pattern.contains("Regex")) return MakeRegexMatcher(pattern.at("Regex").get<std::string>());
  throw Error(StrCat(place.file, ": ", place.key, ".pattern must hold String or Regex"));
}

std::string ReplaceAll(std::string_view text, const PatternMatcher& matcher,
                       const std::string& content) {
  std::vector<Span> spans;
  matcher.FindAll(text, spans);
  if (spans.empty()) return std::string(text);
  std::string out;
  out.reserve(text.size());
  std::size_t last = 0;
  for (const Span& s : spans) {
    out.append(text.substr(last, s.begin - last));
    out += content;
    last = s.end;
  }
  out.append(text.substr(last));
  return out;
}

// ---------------------------------------------------------------- normalizers

class UnicodeNormalizer : public Normalizer {
 public:
  UnicodeNormalizer(const std::string& form, const JsonPlace& place) {
    UErrorCode status = U_ZERO_ERROR;
    if (form == "NFC") normalizer_ = icu::Normalizer2::getNFCInstance(status);
    else if (form == "NFD") normalizer_ = icu::Normalizer2::getNFDInstance(status);
    else if (form == "NFKC") normalizer_ = icu::Normalizer2::getNFKCInstance(status);
    else normalizer_ = icu::Normalizer2::getNFKDInstance(status);
    KVB_REQUIRE(U_SUCCESS(status), place.file, ": ", place.key, ": ICU ", form, ": ",
                u_errorName(status));
  }
  void Apply(std::string& text) const override {
    bool ascii = true;
    for (unsigned char c : text) ascii = ascii && c < 0x80;
    if (ascii) return;  // every normalization form leaves ASCII as it is
    UErrorCode status = U_ZERO_ERROR;
    const icu::UnicodeString u = icu::UnicodeString::fromUTF8(text);
    if (normalizer_->isNormalized(u, status) && U_SUCCESS(status)) return;
    status = U_ZERO_ERROR;
    icu::UnicodeString normalized = normalizer_->normalize(u, status);
    KVB_REQUIRE(U_SUCCESS(status), "ICU normalization failed: ", u_errorName(status));
    text.clear();
    normalized.toUTF8String(text);
  }

 private:
  const icu::Normalizer2* normalizer_ = nullptr;
};

class PrependNormalizer : public Normalizer {
 public:
  explicit PrependNormalizer(std::string prefix) : prefix_(std::move(prefix)) {}
  void Apply(std::string& text) const override {
    if (!text.empty()) text.insert(0, prefix_);
  }

 private:
  std::string prefix_;
};

class ReplaceNormalizer : public Normalizer {
 public:
  ReplaceNormalizer(std::unique_ptr<PatternMatcher> matcher, std::string content)
      : matcher_(std::move(matcher)), content_(std::move(content)) {}
  void Apply(std::string& text) const override { text = ReplaceAll(text, *matcher_, content_); }

 private:
  std::unique_ptr<PatternMatcher> matcher_;
  std::string content_;
};

class LowercaseNormalizer : public Normalizer {
 public:
  void Apply(std::string& text) const override {
    icu::UnicodeString u = icu::UnicodeString::fromUTF8(text);
    u.toLower();
    text.clear();
    u.toUTF8String(text);
  }
};

class SequenceNormalizer : public Normalizer {
 public:
  explicit SequenceNormalizer(std::vector<std::unique_ptr<Normalizer>> parts)
      : parts_(std::move(parts)) {}
  void Apply(std::string& text) const override {
    for (const auto& p : parts_) p->Apply(text);
  }

 private:
  std::vector<std::unique_ptr<Normalizer>> parts_;
};

// ---------------------------------------------------------------- pre-tokenizers

enum class SplitBehavior { kIsolated, kRemoved, kMergedWithPrevious, kMergedWithNext, kContiguous };

SplitBehavior ParseBehavior(const std::string& name, const JsonPlace& place) {
  if (name == "Isolated") return SplitBehavior::kIsolated;
  if (name == "Removed") return SplitBehavior::kRemoved;
  if (name == "MergedWithPrevious") return SplitBehavior::kMergedWithPrevious;
  if (name == "MergedWithNext") return SplitBehavior::kMergedWithNext;
  if (name == "Contiguous") return SplitBehavior::kContiguous;
  throw Error(StrCat(place.file, ": unsupported split behavior '", name, "' at key ", place.key,
                     ".behavior"));
}

// Splits every piece at the matches of `matcher`, as `tokenizers`' NormalizedString::split.
void SplitPieces(std::vector<PreToken>& pieces, const PatternMatcher& matcher,
                 SplitBehavior behavior, bool invert) {
  std::vector<PreToken> out;
  out.reserve(pieces.size() * 2);
  std::vector<Span> matches;
  struct Part {
    Span span;
    bool is_match;
  };
  std::vector<Part> parts;
  for (PreToken& piece : pieces) {
    const std::string_view text = piece.text;
    matches.clear();
    matcher.FindAll(text, matches);
    parts.clear();
    std::size_t last = 0;
    for (const Span& m : matches) {
      if (m.begin > last) parts.push_back({{last, m.begin}, invert});
      parts.push_back({m, !invert});
      last = m.end;
    }
    if (last < text.size()) parts.push_back({{last, text.size()}, invert});

    std::vector<Span> spans;
    switch (behavior) {
      case SplitBehavior::kIsolated:
        for (const Part& p : parts) spans.push_back(p.span);
        break;
      case SplitBehavior::kRemoved:
        for (const Part& p : parts)
          if (!p.is_match) spans.push_back(p.span);
        break;
      case SplitBehavior::kMergedWithPrevious: {
        bool previous_match = false;
        for (const Part& p : parts) {
          if (p.is_match && !spans.empty() && !previous_match) spans.back().end = p.span.end;
          else spans.push_back(p.span);
          previous_match = p.is_match;
        }
        break;
      }
      case SplitBehavior::kMergedWithNext: {
        bool previous_match = false;
        for (const Part& p : parts) {
          if (!p.is_match && !spans.empty() && previous_match) spans.back().end = p.span.end;
          else spans.push_back(p.span);
          previous_match = p.is_match;
        }
        break;
      }
      case SplitBehavior::kContiguous: {
        bool previous_match = false;
        for (const Part& p : parts) {
          if (p.is_match && previous_match && !spans.empty()) spans.back().end = p.span.end;
          else spans.push_back(p.span);
          previous_match = p.is_match;
        }
        break;
      }
    }
    bool first = piece.first;
    for (const Span& s : spans) {
      if (s.end > s.begin) {
        out.push_back({std::string(text.substr(s.begin, s.end - s.begin)), first});
        first = false;
      }
    }
  }
  pieces.swap(out);
}

class SplitPreTokenizer : public PreTokenizer {
 public:
  SplitPreTokenizer(const json& node, const JsonPlace& place)
      : matcher_(PatternOf(node, place)),
        behavior_(ParseBehavior(StringField(node, "behavior", place), place)),
        invert_(Optional<bool>(node, "invert", false)) {}
  void Apply(std::vector<PreToken>& pieces) const override {
    SplitPieces(pieces, *matcher_, behavior_, invert_);
  }

 private:
  std::unique_ptr<PatternMatcher> matcher_;
  SplitBehavior behavior_;
  bool invert_;
};

class ByteLevelPreTokenizer : public PreTokenizer {
 public:
  explicit ByteLevelPreTokenizer(const json& node)
      : add_prefix_space_(Optional<bool>(node, "add_prefix_space", true)),
        use_regex_(Optional<bool>(node, "use_regex", true)) {
    if (use_regex_) matcher_ = MakeRegexMatcher(kGpt2Pattern);
  }
  void Apply(std::vector<PreToken>& pieces) const override {
    if (add_prefix_space_) {
      for (PreToken& p : pieces)
        if (!p.text.empty() && p.text[0] != ' ') p.text.insert(0, " ");
    }
    if (use_regex_) SplitPieces(pieces, *matcher_, SplitBehavior::kIsolated, false);
  }
  bool MapsBytes() const override { return true; }

 private:
  bool add_prefix_space_;
  bool use_regex_;
  std::unique_ptr<PatternMatcher> matcher_;
};

class MetaspacePreTokenizer : public PreTokenizer {
 public:
  MetaspacePreTokenizer(const json& node, const JsonPlace& place)
      : replacement_(StringField(node, "replacement", place)),
        split_(Optional<bool>(node, "split", true)),
        matcher_(MakeLiteralMatcher(replacement_)) {
    std::string scheme = Optional<std::string>(node, "prepend_scheme", "");
    if (scheme.empty()) scheme = Optional<bool>(node, "add_prefix_space", true) ? "always" : "never";
    KVB_REQUIRE(scheme == "always" || scheme == "first" || scheme == "never", place.file,
                ": unsupported prepend_scheme '", scheme, "' at key ", place.key, ".prepend_scheme");
    prepend_scheme_ = scheme;
  }
  void Apply(std::vector<PreToken>& pieces) const override {
    for (PreToken& p : pieces) {
      p.text = ReplaceAll(p.text, *space_, replacement_);
      const bool prepend = prepend_scheme_ == "always" || (prepend_scheme_ == "first" && p.first);
      if (prepend && p.text.compare(0, replacement_.size(), replacement_) != 0)
        p.text.insert(0, replacement_);
    }
    if (split_) SplitPieces(pieces, *matcher_, SplitBehavior::kMergedWithNext, false);
  }

 private:
  std::string replacement_;
  bool split_;
  std::unique_ptr<PatternMatcher> matcher_;
  std::unique_ptr<PatternMatcher> space_ = MakeLiteralMatcher(" ");
  std::string prepend_scheme_;
};

class SequencePreTokenizer : public PreTokenizer {
 public:
  SequencePreTokenizer(std::vector<std::unique_ptr<PreTokenizer>> parts, const JsonPlace& place)
      : parts_(std::move(parts)) {
    for (std::size_t i = 0; i + 1 < parts_.size(); ++i) {
      // The model maps bytes after all splitting; a split after ByteLevel would see
      // the mapped characters, which this pipeline does not produce.
      KVB_REQUIRE(!parts_[i]->MapsBytes(), place.file, ": ", place.key,
                  ": a ByteLevel pre-tokenizer must come last in the sequence");
    }
  }
  void Apply(std::vector<PreToken>& pieces) const override {
    for (const auto& p : parts_) p->Apply(pieces);
  }
  bool MapsBytes() const override { return !parts_.empty() && parts_.back()->MapsBytes(); }

 private:
  std::vector<std::unique_ptr<PreTokenizer>> parts_;
};

// ---------------------------------------------------------------- decoders

std::unordered_map<char32_t, unsigned char> MakeCharToByte();

class ByteLevelDecoder : public Decoder {
 public:
  void Apply(std::vector<std::string>& tokens) const override {
    static const auto char_to_byte = MakeCharToByte();
    std::string bytes;
    for (const std::string& token : tokens) {
      std::string mapped;
      bool all = true;
      for (std::size_t pos = 0; pos < token.size();) {
        std::size_t len = 0;
        const char32_t c = DecodeAt(token, pos, len);
        auto it = char_to_byte.find(c);
        if (it == char_to_byte.end()) {
          all = false;
          break;
        }
        mapped.push_back(static_cast<char>(it->second));
        pos += len;
      }
      bytes += all ? mapped : token;
    }
    tokens.assign(1, Utf8Lossy(bytes));
  }
};

class ReplaceDecoder : public Decoder {
 public:
  ReplaceDecoder(std::unique_ptr<PatternMatcher> matcher, std::string content)
      : matcher_(std::move(matcher)), content_(std::move(content)) {}
  void Apply(std::vector<std::string>& tokens) const override {
    for (std::string& t : tokens) t = ReplaceAll(t, *matcher_, content_);
  }

 private:
  std::unique_ptr<PatternMatcher> matcher_;
  std::string content_;
};

class ByteFallbackDecoder : public Decoder {
 public:
  void Apply(std::vector<std::string>& tokens) const override {
    std::vector<std::string> out;
    std::string pending;
    const auto flush = [&] {
      if (pending.empty()) return;
      if (IsValidUtf8(pending)) {
        out.push_back(pending);
      } else {
        for (std::size_t i = 0; i < pending.size(); ++i) out.push_back("\xEF\xBF\xBD");
      }
      pending.clear();
    };
    for (std::string& t : tokens) {
      if (t.size() == 6 && t.compare(0, 3, "<0x") == 0 && t[5] == '>' && std::isxdigit(t[3]) &&
          std::isxdigit(t[4])) {
        pending.push_back(static_cast<char>(std::stoi(t.substr(3, 2), nullptr, 16)));
      } else {
        flush();
        out.push_back(std::move(t));
      }
    }
    flush();
    tokens.swap(out);
  }
};

class FuseDecoder : public Decoder {
 public:
  void Apply(std::vector<std::string>& tokens) const override {
    std::string all;
    for (const std::string& t : tokens) all += t;
    tokens.assign(1, all);
  }
};

class StripDecoder : public Decoder {
 public:
  StripDecoder(std::string content, std::size_t start, std::size_t stop)
      : content_(std::move(content)), start_(start), stop_(stop) {}
  void Apply(std::vector<std::string>& tokens) const override {
    for (std::string& t : tokens) {
      std::size_t begin = 0;
      for (std::size_t i = 0; i < start_ && t.compare(begin, content_.size(), content_) == 0; ++i)
        begin += content_.size();
      std::size_t end = t.size();
      for (std::size_t i = 0; i < stop_ && end >= begin + content_.size() &&
                              t.compare(end - content_.size(), content_.size(), content_) == 0;
           ++i)
        end -= content_.size();
      t = t.substr(begin, end - begin);
    }
  }

 private:
  std::string content_;
  std::size_t start_, stop_;
};

class MetaspaceDecoder : public Decoder {
 public:
  MetaspaceDecoder(std::string replacement, bool strip_first)
      : replacement_(std::move(replacement)), strip_first_(strip_first) {}
  // `tokenizers` drops every replacement character of the first token (not only a leading
  // one: "▁▁" decodes to "" and "▁x▁▁y" to "xy") unless prepend_scheme is never; in the
  // other tokens each becomes a space (checked against tokenizers 0.23).
  void Apply(std::vector<std::string>& tokens) const override {
    const auto matcher = MakeLiteralMatcher(replacement_);
    for (std::size_t i = 0; i < tokens.size(); ++i) {
      tokens[i] = ReplaceAll(tokens[i], *matcher, i == 0 && strip_first_ ? "" : " ");
    }
  }

 private:
  std::string replacement_;
  bool strip_first_;
};

class SequenceDecoder : public Decoder {
 public:
  explicit SequenceDecoder(std::vector<std::unique_ptr<Decoder>> parts) : parts_(std::move(parts)) {}
  void Apply(std::vector<std::string>& tokens) const override {
    for (const auto& p : parts_) p->Apply(tokens);
  }

 private:
  std::vector<std::unique_ptr<Decoder>> parts_;
};

// ---------------------------------------------------------------- byte map

struct ByteMap {
  std::array<std::string, 256> to_char;
  std::unordered_map<char32_t, unsigned char> to_byte;
};

const ByteMap& GetByteMap() {
  static const ByteMap* map = [] {
    auto* m = new ByteMap();
    int extra = 0;
    for (int b = 0; b < 256; ++b) {
      const bool printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE);
      const char32_t c = printable ? static_cast<char32_t>(b) : static_cast<char32_t>(256 + extra++);
      AppendUtf8(c, m->to_char[static_cast<std::size_t>(b)]);
      m->to_byte[c] = static_cast<unsigned char>(b);
    }
    return m;
  }();
  return *map;
}

std::unordered_map<char32_t, unsigned char> MakeCharToByte() { return GetByteMap().to_byte; }

}  // namespace

const std::string& ByteToChar(unsigned char byte) { return GetByteMap().to_char[byte]; }

void MapBytes(std::string_view text, std::string& out) {
  const ByteMap& map = GetByteMap();
  for (unsigned char b : text) out += map.to_char[b];
}

std::string Utf8Lossy(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  std::size_t pos = 0;
  while (pos < s.size()) {
    const auto b0 = static_cast<unsigned char>(s[pos]);
    if (b0 < 0x80) {
      out.push_back(static_cast<char>(b0));
      ++pos;
      continue;
    }
    std::size_t need = 0;
    unsigned char lo = 0x80, hi = 0xBF;
    if (b0 >= 0xC2 && b0 <= 0xDF) need = 1;
    else if (b0 >= 0xE0 && b0 <= 0xEF) need = 2, lo = b0 == 0xE0 ? 0xA0 : 0x80, hi = b0 == 0xED ? 0x9F : 0xBF;
    else if (b0 >= 0xF0 && b0 <= 0xF4) need = 3, lo = b0 == 0xF0 ? 0x90 : 0x80, hi = b0 == 0xF4 ? 0x8F : 0xBF;
    std::size_t i = 1;
    bool ok = need > 0;
    for (; ok && i <= need; ++i) {
      if (pos + i >= s.size()) { ok = false; break; }
      const auto b = static_cast<unsigned char>(s[pos + i]);
      const unsigned char l = i == 1 ? lo : 0x80, h = i == 1 ? hi : 0xBF;
      if (b < l || b > h) { ok = false; break; }
    }
    if (ok) {
      out.append(s.substr(pos, need + 1));
      pos += need + 1;
    } else {
      out += "\xEF\xBF\xBD";  // the maximal valid prefix becomes one U+FFFD
      pos += need > 0 ? i : 1;
    }
  }
  return out;
}

std::unique_ptr<Normalizer> MakeNormalizer(const json& node, const JsonPlace& place) {
  if (node.is_null()) return nullptr;
  const std::string type = TypeOf(node, place);
  if (type == "NFC" || type == "NFD" || type == "NFKC" || type == "NFKD")
    return std::make_unique<UnicodeNormalizer>(type, place);
  if (type == "Prepend") return std::make_unique<PrependNormalizer>(StringField(node, "prepend", place));
  if (type == "Replace")
    return std::make_unique<ReplaceNormalizer>(PatternOf(node, place), StringField(node, "content", place));
  if (type == "Lowercase") return std::make_unique<LowercaseNormalizer>();
  if (type == "Sequence") {
    const JsonPlace list = place.Child("normalizers");
    std::vector<std::unique_ptr<Normalizer>> parts;
    const json& items = Field(node, "normalizers", place);
    for (std::size_t i = 0; i < items.size(); ++i) {
      if (auto n = MakeNormalizer(items[i], list.Index(i))) parts.push_back(std::move(n));
    }
    return std::make_unique<SequenceNormalizer>(std::move(parts));
  }
  Unsupported("normalizer", type, place);
}

std::unique_ptr<PreTokenizer> MakePreTokenizer(const json& node, const JsonPlace& place) {
  if (node.is_null()) return nullptr;
  const std::string type = TypeOf(node, place);
  if (type == "Split") return std::make_unique<SplitPreTokenizer>(node, place);
  if (type == "ByteLevel") return std::make_unique<ByteLevelPreTokenizer>(node);
  if (type == "Metaspace") return std::make_unique<MetaspacePreTokenizer>(node, place);
  if (type == "Sequence") {
    const JsonPlace list = place.Child("pretokenizers");
    std::vector<std::unique_ptr<PreTokenizer>> parts;
    const json& items = Field(node, "pretokenizers", place);
    for (std::size_t i = 0; i < items.size(); ++i) {
      if (auto p = MakePreTokenizer(items[i], list.Index(i))) parts.push_back(std::move(p));
    }
    return std::make_unique<SequencePreTokenizer>(std::move(parts), place);
  }
  Unsupported("pre_tokenizer", type, place);
}

std::unique_ptr<Decoder> MakeDecoder(const json& node, const JsonPlace& place) {
  if (node.is_null()) return nullptr;
  const std::string type = TypeOf(node, place);
  if (type == "ByteLevel") return std::make_unique<ByteLevelDecoder>();
  if (type == "Replace")
    return std::make_unique<ReplaceDecoder>(PatternOf(node, place), StringField(node, "content", place));
  if (type == "ByteFallback") return std::make_unique<ByteFallbackDecoder>();
  if (type == "Fuse") return std::make_unique<FuseDecoder>();
  if (type == "Strip")
    return std::make_unique<StripDecoder>(StringField(node, "content", place),
                                          Optional<std::size_t>(node, "start", 0),
                                          Optional<std::size_t>(node, "stop", 0));
  if (type == "Metaspace") {
    std::string scheme = Optional<std::string>(node, "prepend_scheme", "");
    if (scheme.empty()) scheme = Optional<bool>(node, "add_prefix_space", true) ? "always" : "never";
    return std::make_unique<MetaspaceDecoder>(StringField(node, "replacement", place), scheme != "never");
  }
  if (type == "Sequence") {
    const JsonPlace list = place.Child("decoders");
    std::vector<std::unique_ptr<Decoder>> parts;
    const json& items = Field(node, "decoders", place);
    for (std::size_t i = 0; i < items.size(); ++i) {
      if (auto d = MakeDecoder(items[i], list.Index(i))) parts.push_back(std::move(d));
    }
    return std::make_unique<SequenceDecoder>(std::move(parts));
  }
  Unsupported("decoder", type, place);
}

}  // namespace kvb::tokenizer_internal
