#include "metrics/jieba.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <mutex>
#include <sstream>

#include "metrics/py_text.h"
#include "util/error.h"
#include "util/utf8.h"

namespace kvb::metrics {
namespace {

// finalseg's MIN_FLOAT: the log-probability of an unseen emission or transition.
constexpr double kMinFloat = -3.14e100;
constexpr char kStateNames[] = {'B', 'M', 'E', 'S'};
enum State { kB = 0, kM = 1, kE = 2, kS = 3 };
// finalseg.PrevStatus, in the order Python iterates the strings.
constexpr int kPrevStates[4][2] = {{kE, kS}, {kM, kB}, {kB, kM}, {kS, kE}};

std::string ReadFileOrThrow(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  KVB_REQUIRE(in, "cannot open jieba data file ", path.string(),
              " (install python3-jieba or set KVB_JIEBA_DIR)");
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

// Reads the Python dict literal `P={...}` of finalseg/prob_*.py: string keys and
// float or nested-dict values, the only shapes those files use.
class PyLiteralReader {
 public:
  PyLiteralReader(std::string text, std::string file) : text_(std::move(text)), file_(std::move(file)) {
    size_t p = text_.rfind("P=", 0) == 0 ? 0 : text_.find("\nP=");
    KVB_REQUIRE(p != std::string::npos, file_, ": no 'P=' dictionary found");
    pos_ = text_.find('{', p);
    KVB_REQUIRE(pos_ != std::string::npos, file_, ": no '{' after 'P='");
  }

  // {key: number, ...}
  std::unordered_map<std::u32string, double> NumberDict() {
    std::unordered_map<std::u32string, double> out;
    ForEachEntry([&](std::u32string key) { out[key] = Number(); });
    return out;
  }

  // {key: {key: number, ...}, ...}
  std::unordered_map<std::u32string, std::unordered_map<std::u32string, double>> NestedDict() {
    std::unordered_map<std::u32string, std::unordered_map<std::u32string, double>> out;
    ForEachEntry([&](std::u32string key) { out[key] = NumberDict(); });
    return out;
  }

 private:
  template <typename F>
  void ForEachEntry(F&& read_value) {
    Expect('{');
    while (true) {
      SkipSpace();
      if (Peek() == '}') {
        ++pos_;
        return;
      }
      std::u32string key = String();
      Expect(':');
      SkipSpace();
      read_value(std::move(key));
      SkipSpace();
      if (Peek() == ',') ++pos_;
    }
  }

  void SkipSpace() {
    while (pos_ < text_.size() && std::isspace(static_cast<unsigned char>(text_[pos_]))) ++pos_;
  }
  char Peek() {
    KVB_REQUIRE(pos_ < text_.size(), file_, ": unexpected end of file");
    return text_[pos_];
  }
  void Expect(char c) {
    SkipSpace();
    KVB_REQUIRE(Peek() == c, file_, ": expected '", c, "' at line ", Line());
    ++pos_;
  }
  size_t Line() const { return 1 + std::count(text_.begin(), text_.begin() + pos_, '\n'); }

  double Number() {
    SkipSpace();
    const char* begin = text_.c_str() + pos_;
    char* end = nullptr;
    const double value = std::strtod(begin, &end);
    KVB_REQUIRE(end != begin, file_, ": expected a number at line ", Line());
    pos_ += static_cast<size_t>(end - begin);
    return value;
  }

  std::u32string String() {
    SkipSpace();
    if (Peek() == 'u') ++pos_;
    const char quote = Peek();
    KVB_REQUIRE(quote == '\'' || quote == '"', file_, ": expected a string at line ", Line());
    ++pos_;
    std::string utf8;
    while (Peek() != quote) {
      char c = text_[pos_++];
      if (c != '\\') {
        utf8 += c;
        continue;
      }
      const char e = Peek();
      ++pos_;
      int hex_digits = 0;
      switch (e) {
        case 'u': hex_digits = 4; break;
        case 'U': hex_digits = 8; break;
        case 'x': hex_digits = 2; break;
        case 'n': utf8 += '\n'; break;
        case 't': utf8 += '\t'; break;
        case 'r': utf8 += '\r'; break;
        default: utf8 += e; break;  // \\ \' \"
      }
      if (hex_digits > 0) {
        KVB_REQUIRE(pos_ + hex_digits <= text_.size(), file_, ": bad escape at line ", Line());
        const auto cp = static_cast<char32_t>(std::stoul(text_.substr(pos_, hex_digits), nullptr, 16));
        pos_ += hex_digits;
        AppendUtf8(cp, utf8);
      }
    }
    ++pos_;
    return DecodeUtf8(utf8, file_);
  }

  std::string text_;
  std::string file_;
  size_t pos_ = 0;
};

int StateIndex(const std::u32string& name, const std::string& file) {
  for (int s = 0; s < 4; ++s)
    if (name.size() == 1 && name[0] == static_cast<char32_t>(kStateNames[s])) return s;
  throw Error(StrCat(file, ": unknown HMM state '", EncodeUtf8(name), "'"));
}

// jieba's re_han_default class [\u4E00-\u9FD5a-zA-Z0-9+#&\._%\-].
bool IsDefaultHanChar(char32_t c) {
  return (c >= 0x4E00 && c <= 0x9FD5) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
         (c >= '0' && c <= '9') || c == '+' || c == '#' || c == '&' || c == '.' || c == '_' ||
         c == '%' || c == '-';
}

bool IsHmmHan(char32_t c) { return c >= 0x4E00 && c <= 0x9FD5; }
bool IsAsciiAlnum(char32_t c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

// Length of a match of finalseg's re_skip `[a-zA-Z0-9]+(?:\.\d+)?%?` at `p`, or 0.
size_t MatchHmmSkip(std::u32string_view s, size_t p) {
  size_t i = p;
  while (i < s.size() && IsAsciiAlnum(s[i])) ++i;
  if (i == p) return 0;
  if (i + 1 < s.size() && s[i] == '.' && IsUnicodeDecimal(s[i + 1])) {
    i += 2;
    while (i < s.size() && IsUnicodeDecimal(s[i])) ++i;
  }
  if (i < s.size() && s[i] == '%') ++i;
  return i - p;
}

}  // namespace

std::filesystem::path Jieba::DefaultDataDir() {
  if (const char* dir = std::getenv("KVB_JIEBA_DIR"); dir && *dir) return dir;
  return "/usr/lib/python3/dist-packages/jieba";
}

const Jieba& Jieba::Default() {
  // Loaded once; a failure is remembered too, so that scoring 200 Chinese samples
  // without the data fails fast instead of re-reading the dictionary per sample.
  static const Jieba* instance = nullptr;  // never destroyed: may be used at exit
  static std::string load_error;
  static std::once_flag once;
  std::call_once(once, [] {
    try {
      instance = new Jieba(DefaultDataDir());
    } catch (const Error& e) {
      load_error = e.what();
    }
  });
  KVB_REQUIRE(instance != nullptr, load_error);
  return *instance;
}

Jieba::Jieba(const std::filesystem::path& dir) {
  LoadDictionary(dir / "dict.txt");
  LoadHmm(dir / "finalseg");
}

void Jieba::LoadDictionary(const std::filesystem::path& path) {
  const std::string text = ReadFileOrThrow(path);
  freq_.reserve(700000);
  size_t line_no = 0, pos = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string::npos) end = text.size();
    ++line_no;
    const std::u32string line =
        StripWhitespace(DecodeUtf8(std::string_view(text).substr(pos, end - pos),
                                   StrCat(path.string(), " line ", line_no)));
    pos = end + 1;
    // gen_pfdict: word, freq = line.split(' ')[:2]; an unparsable line is an error there too.
    const CodePointPieces fields = SplitOn(line, U' ');
    KVB_REQUIRE(fields.size() >= 2, path.string(), " line ", line_no, ": expected 'word freq [tag]'");
    const std::string freq_text = EncodeUtf8(fields[1]);
    char* parse_end = nullptr;
    const long long freq = std::strtoll(freq_text.c_str(), &parse_end, 10);
    KVB_REQUIRE(!freq_text.empty() && *parse_end == '\0', path.string(), " line ", line_no,
                ": frequency '", freq_text, "' is not an integer");
    const std::u32string& word = fields[0];
    freq_[word] = freq;
    total_ += freq;
    for (size_t n = 1; n < word.size(); ++n) freq_.try_emplace(word.substr(0, n), 0);
  }
  log_total_ = std::log(static_cast<double>(total_));
}

void Jieba::LoadHmm(const std::filesystem::path& dir) {
  const std::string start_file = (dir / "prob_start.py").string();
  const std::string trans_file = (dir / "prob_trans.py").string();
  const std::string emit_file = (dir / "prob_emit.py").string();
  start_.fill(kMinFloat);
  for (auto& row : trans_) row.fill(kMinFloat);
  for (const auto& [name, p] : PyLiteralReader(ReadFileOrThrow(start_file), start_file).NumberDict())
    start_[StateIndex(name, start_file)] = p;
  for (const auto& [from, row] : PyLiteralReader(ReadFileOrThrow(trans_file), trans_file).NestedDict())
    for (const auto& [to, p] : row) trans_[StateIndex(from, trans_file)][StateIndex(to, trans_file)] = p;
  for (const auto& [state, row] : PyLiteralReader(ReadFileOrThrow(emit_file), emit_file).NestedDict()) {
    auto& table = emit_[StateIndex(state, emit_file)];
    for (const auto& [ch, p] : row) {
      KVB_REQUIRE(ch.size() == 1, emit_file, ": emission key is not one character");
      table[ch[0]] = p;
    }
  }
}

int64_t Jieba::Frequency(std::u32string_view word) const {
  auto it = freq_.find(std::u32string(word));
  return it == freq_.end() ? -1 : it->second;
}

double Jieba::Emit(int state, char32_t c) const {
  auto it = emit_[state].find(c);
  return it == emit_[state].end() ? kMinFloat : it->second;
}

JiebaTokens Jieba::Cut(std::u32string_view sentence) const {
  JiebaTokens out;
  size_t i = 0;
  while (i < sentence.size()) {
    const size_t start = i;
    if (IsDefaultHanChar(sentence[i])) {
      while (i < sentence.size() && IsDefaultHanChar(sentence[i])) ++i;
      CutDag(sentence.substr(start, i - start), out);
      continue;
    }
    // Not in the han class: re_skip `(\r\n|\s)` pieces and every other character alone.
    while (i < sentence.size() && !IsDefaultHanChar(sentence[i])) {
      const size_t n = (sentence[i] == U'\r' && i + 1 < sentence.size() && sentence[i + 1] == U'\n') ? 2 : 1;
      out.emplace_back(sentence.substr(i, n));
      i += n;
    }
  }
  return out;
}

void Jieba::CutDag(std::u32string_view block, JiebaTokens& out) const {
  const size_t n = block.size();
  // DAG[k]: the end positions i such that block[k..i] is a word with non-zero frequency.
  std::vector<std::vector<size_t>> dag(n);
  std::u32string frag;
  for (size_t k = 0; k < n; ++k) {
    frag.assign(1, block[k]);
    for (size_t i = k; i < n;) {
      auto it = freq_.find(frag);
      if (it == freq_.end()) break;
      if (it->second != 0) dag[k].push_back(i);
      ++i;
      if (i < n) frag.push_back(block[i]);
    }
    if (dag[k].empty()) dag[k].push_back(k);
  }
  // Route, right to left; ties in log-probability go to the larger end (tuple max).
  std::vector<std::pair<double, size_t>> route(n + 1, {0.0, 0});
  for (size_t idx = n; idx-- > 0;) {
    bool first = true;
    for (size_t x : dag[idx]) {
      const int64_t f = Frequency(block.substr(idx, x + 1 - idx));
      const double value = (std::log(static_cast<double>(f > 0 ? f : 1)) - log_total_) + route[x + 1].first;
      if (first || value > route[idx].first || (value == route[idx].first && x > route[idx].second)) {
        route[idx] = {value, x};
        first = false;
      }
    }
  }
  size_t x = 0, buf_start = 0, buf_len = 0;
  while (x < n) {
    const size_t y = route[x].second + 1;
    if (y - x == 1) {
      if (buf_len == 0) buf_start = x;
      ++buf_len;
    } else {
      FlushSingles(block.substr(buf_start, buf_len), out);
      buf_len = 0;
      out.emplace_back(block.substr(x, y - x));
    }
    x = y;
  }
  FlushSingles(block.substr(buf_start, buf_len), out);
}

// A run of single-character route steps: one character as is; a run that is itself a
// dictionary word (non-zero frequency) char by char; anything else through the HMM.
void Jieba::FlushSingles(std::u32string_view buf, JiebaTokens& out) const {
  if (buf.empty()) return;
  if (buf.size() == 1) {
    out.emplace_back(buf);
  } else if (Frequency(buf) <= 0) {
    CutHmm(buf, out);
  } else {
    for (char32_t c : buf) out.emplace_back(1, c);
  }
}

void Jieba::CutHmm(std::u32string_view text, JiebaTokens& out) const {
  size_t i = 0;
  while (i < text.size()) {
    const size_t start = i;
    if (IsHmmHan(text[i])) {
      while (i < text.size() && IsHmmHan(text[i])) ++i;
      Viterbi(text.substr(start, i - start), out);
      continue;
    }
    while (i < text.size() && !IsHmmHan(text[i])) ++i;
    // re_skip.split: the matches and the non-empty text between them.
    const std::u32string_view rest = text.substr(start, i - start);
    size_t p = 0, gap = 0;
    while (p < rest.size()) {
      const size_t m = MatchHmmSkip(rest, p);
      if (m == 0) {
        ++p;
        continue;
      }
      if (p > gap) out.emplace_back(rest.substr(gap, p - gap));
      out.emplace_back(rest.substr(p, m));
      p += m;
      gap = p;
    }
    if (rest.size() > gap) out.emplace_back(rest.substr(gap));
  }
}

void Jieba::Viterbi(std::u32string_view obs, JiebaTokens& out) const {
  const size_t n = obs.size();
  std::vector<StateRow> v(n);
  std::vector<std::array<int, kStates>> back(n);
  for (int y = 0; y < kStates; ++y) v[0][y] = start_[y] + Emit(y, obs[0]);
  for (size_t t = 1; t < n; ++t) {
    for (int y = 0; y < kStates; ++y) {
      const double em = Emit(y, obs[t]);
      double best = 0.0;
      int best_state = -1;
      for (int y0 : kPrevStates[y]) {
        const double prob = v[t - 1][y0] + trans_[y0][y] + em;
        // max over (prob, state) tuples: ties go to the state whose letter sorts last.
        if (best_state < 0 || prob > best ||
            (prob == best && kStateNames[y0] > kStateNames[best_state])) {
          best = prob;
          best_state = y0;
        }
      }
      v[t][y] = best;
      back[t][y] = best_state;
    }
  }
  int state = v[n - 1][kS] >= v[n - 1][kE] ? kS : kE;  // max((V, 'E'), (V, 'S'))
  std::vector<int> path(n);
  for (size_t t = n; t-- > 0;) {
    path[t] = state;
    if (t > 0) state = back[t][state];
  }
  size_t begin = 0, next = 0;
  for (size_t i = 0; i < n; ++i) {
    if (path[i] == kB) {
      begin = i;
    } else if (path[i] == kE) {
      out.emplace_back(obs.substr(begin, i + 1 - begin));
      next = i + 1;
    } else if (path[i] == kS) {
      out.emplace_back(1, obs[i]);
      next = i + 1;
    }
  }
  if (next < n) out.emplace_back(obs.substr(next));
}

}  // namespace kvb::metrics
