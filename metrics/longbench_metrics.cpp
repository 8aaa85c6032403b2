#include "metrics/longbench_metrics.h"

#include <algorithm>
#include <map>
#include <unordered_map>
#include <unordered_set>

#include "metrics/jieba.h"
#include "util/error.h"
#include "util/utf8.h"

namespace kvb::metrics {

const Jieba& MetricContext::jieba() const { return options.jieba ? *options.jieba : Jieba::Default(); }

namespace {

// The characters normalize_zh_answer deletes besides string.punctuation. `《` is not
// among them while `》` is, and the last one is an ASCII '.', as in metrics.py.
constexpr std::u32string_view kChinesePunctuation =
    U"！？｡。＂＃＄％＆＇（）＊＋，－／：；＜＝＞＠［＼］＾＿｀｛｜｝～｟｠｢｣､、〃》「」『』【】〔〕〖〗〘〙〚〛〜〝〞〟〰〾〿–—‘’‛“”„‟…‧﹏.";

bool IsWordAt(std::u32string_view s, size_t i) { return i < s.size() && IsUnicodeWord(s[i]); }
bool IsBoundary(std::u32string_view s, size_t i) {
  return (i > 0 && IsUnicodeWord(s[i - 1])) != IsWordAt(s, i);
}

// re.sub(r"\b(a|an|the)\b", " ", s): alternatives tried in order at each position.
std::u32string RemoveArticles(std::u32string_view s) {
  static constexpr std::u32string_view kArticles[] = {U"a", U"an", U"the"};
  std::u32string out;
  size_t i = 0;
  while (i < s.size()) {
    size_t matched = 0;
    if (IsBoundary(s, i)) {
      for (std::u32string_view article : kArticles) {
        if (s.substr(i, article.size()) == article && IsBoundary(s, i + article.size())) {
          matched = article.size();
          break;
        }
      }
    }
    if (matched > 0) {
      out += U' ';
      i += matched;
    } else {
      out += s[i++];
    }
  }
  return out;
}

// Paragraph-id extraction shared by retrieval_score / retrieval_zh_score:
// the first capture of `<prefix>(\d+)`.
std::u32string FirstIdAfter(std::u32string_view text, std::u32string_view prefix) {
  for (size_t p = text.find(prefix); p != std::u32string_view::npos; p = text.find(prefix, p + 1)) {
    size_t i = p + prefix.size();
    const size_t start = i;
    while (i < text.size() && IsUnicodeDecimal(text[i])) ++i;
    if (i > start) return std::u32string(text.substr(start, i - start));
  }
  throw Error(StrCat("ground truth '", EncodeUtf8(text), "' has no '", EncodeUtf8(prefix),
                     "<digits>' (LongBench's retrieval scorer raises IndexError here)"));
}

// right_num / len(numbers) over re.findall(r"\d+", prediction); 0.0 without numbers.
double FractionOfNumbersEqualTo(std::u32string_view prediction, std::u32string_view target) {
  const CodePointPieces numbers = FindDigitRuns(prediction);
  if (numbers.empty()) return 0.0;
  size_t right = 0;
  for (const auto& number : numbers) right += number == target;
  return static_cast<double>(right) / static_cast<double>(numbers.size());
}

// rouge 1.0.1's view of a text: `text.split(".")`, pieces with len > 0, each
// whitespace-normalised and split on " " (an all-space piece becomes the token "").
using TokenIdSentence = std::vector<int>;
std::vector<TokenIdSentence> RougeSentences(std::u32string_view text,
                                            std::unordered_map<std::u32string, int>& vocabulary) {
  std::vector<TokenIdSentence> sentences;
  for (const auto& piece : SplitOn(text, U'.')) {
    if (piece.empty()) continue;
    CodePointPieces words = SplitWhitespace(piece);
    if (words.empty()) words.emplace_back();
    TokenIdSentence ids;
    ids.reserve(words.size());
    for (auto& w : words) ids.push_back(vocabulary.emplace(std::move(w), vocabulary.size()).first->second);
    sentences.push_back(std::move(ids));
  }
  return sentences;
}

size_t DistinctTokens(const std::vector<TokenIdSentence>& sentences) {
  std::unordered_set<int> seen;
  for (const auto& s : sentences) seen.insert(s.begin(), s.end());
  return seen.size();
}

// One LCS of (x, y) as rouge's _recon_lcs picks it, added to `lcs_words` as a set.
// Returns false when the reconstruction needs more than `max_calls` recursive
// calls (Python's RecursionError).
bool AddReconstructedLcs(const TokenIdSentence& x, const TokenIdSentence& y, int max_calls,
                         std::unordered_set<int>& lcs_words, std::vector<int>& table) {
  const size_t cols = y.size() + 1;
  table.assign((x.size() + 1) * cols, 0);
  for (size_t i = 1; i <= x.size(); ++i) {
    int* row = &table[i * cols];
    const int* up = &table[(i - 1) * cols];
    for (size_t j = 1; j <= y.size(); ++j) {
      row[j] = x[i - 1] == y[j - 1] ? up[j - 1] + 1 : std::max(up[j], row[j - 1]);
    }
  }
  size_t i = x.size(), j = y.size();
  long calls = 1;  // the call that finds i == 0 or j == 0
  while (i > 0 && j > 0) {
    ++calls;
    if (x[i - 1] == y[j - 1]) {
      lcs_words.insert(x[i - 1]);
      --i, --j;
    } else if (table[(i - 1) * cols + j] > table[i * cols + j - 1]) {
      --i;
    } else {
      --j;
    }
  }
  return calls <= max_calls;
}

}  // namespace

std::u32string NormalizeAnswer(std::u32string_view s) {
  std::u32string no_punct;
  for (char32_t c : PyLower(s))
    if (!IsAsciiPunctuation(c)) no_punct += c;
  return Join(SplitWhitespace(RemoveArticles(no_punct)), U" ");
}

std::u32string NormalizeZhAnswer(std::u32string_view s) {
  std::u32string out;
  for (char32_t c : PyLower(s)) {
    if (IsAsciiPunctuation(c) || kChinesePunctuation.find(c) != std::u32string_view::npos) continue;
    if (IsPythonSpace(c)) continue;  // "".join(text.split())
    out += c;
  }
  return out;
}

double TokenF1(const CodePointPieces& prediction, const CodePointPieces& ground_truth) {
  std::unordered_map<std::u32string_view, long> counts;
  for (const auto& t : ground_truth) ++counts[t];
  long num_same = 0;
  for (const auto& t : prediction) {
    auto it = counts.find(t);
    if (it != counts.end() && it->second > 0) {
      --it->second;
      ++num_same;
    }
  }
  if (num_same == 0) return 0.0;
  const double precision = (1.0 * static_cast<double>(num_same)) / static_cast<double>(prediction.size());
  const double recall = (1.0 * static_cast<double>(num_same)) / static_cast<double>(ground_truth.size());
  return ((2 * precision) * recall) / (precision + recall);
}

double RougeL(std::u32string_view hypothesis, std::u32string_view reference, int max_recon_calls) {
  std::unordered_map<std::u32string, int> vocabulary;
  const auto hyps = RougeSentences(hypothesis, vocabulary);
  const auto refs = RougeSentences(reference, vocabulary);
  if (hyps.empty() || refs.empty()) return 0.0;  // ValueError, caught by LongBench
  const size_t m = DistinctTokens(refs);
  const size_t n = DistinctTokens(hyps);
  std::unordered_set<int> union_lcs;  // never reset between reference sentences (rouge 1.0.1)
  std::vector<int> table;
  for (const auto& ref : refs) {
    for (const auto& hyp : hyps) {
      if (!AddReconstructedLcs(ref, hyp, max_recon_calls, union_lcs, table)) return 0.0;
    }
  }
  const double llcs = static_cast<double>(union_lcs.size());
  const double r_lcs = llcs / static_cast<double>(m);
  const double p_lcs = llcs / static_cast<double>(n);
  return 2.0 * ((p_lcs * r_lcs) / (p_lcs + r_lcs + 1e-8));
}

double QaF1Score(std::u32string_view prediction, std::u32string_view ground_truth, const MetricContext&) {
  return TokenF1(SplitWhitespace(NormalizeAnswer(prediction)), SplitWhitespace(NormalizeAnswer(ground_truth)));
}

double QaF1ZhScore(std::u32string_view prediction, std::u32string_view ground_truth, const MetricContext& ctx) {
  const auto normalized_tokens = [&](std::u32string_view text) {
    CodePointPieces tokens;
    for (const auto& t : ctx.jieba().Cut(text)) {
      std::u32string n = NormalizeZhAnswer(t);
      if (!n.empty()) tokens.push_back(std::move(n));
    }
    return tokens;
  };
  return TokenF1(normalized_tokens(prediction), normalized_tokens(ground_truth));
}

double RougeScore(std::u32string_view prediction, std::u32string_view ground_truth, const MetricContext& ctx) {
  return RougeL(prediction, ground_truth, ctx.options.rouge_max_recon_calls);
}

double RougeZhScore(std::u32string_view prediction, std::u32string_view ground_truth, const MetricContext& ctx) {
  const auto joined = [&](std::u32string_view text) { return Join(ctx.jieba().Cut(text), U" "); };
  return RougeL(joined(prediction), joined(ground_truth), ctx.options.rouge_zh_max_recon_calls);
}

double ClassificationScore(std::u32string_view prediction, std::u32string_view ground_truth,
                           const MetricContext& ctx) {
  KVB_REQUIRE(ctx.all_classes != nullptr, "classification_score needs all_classes");
  std::vector<std::u32string_view> matched;
  for (const auto& c : *ctx.all_classes)
    if (Contains(prediction, c)) matched.push_back(c);
  // `for t in matched: ... matched.remove(t)`: the list iterator's index keeps
  // advancing, so the element that slides into a removed slot is skipped.
  for (size_t k = 0; k < matched.size(); ++k) {
    const std::u32string_view t = matched[k];
    if (Contains(ground_truth, t) && t != ground_truth) {
      matched.erase(std::find(matched.begin(), matched.end(), t));
    }
  }
  if (std::find(matched.begin(), matched.end(), ground_truth) == matched.end()) return 0.0;
  return 1.0 / static_cast<double>(matched.size());
}

double RetrievalScore(std::u32string_view prediction, std::u32string_view ground_truth, const MetricContext&) {
  return FractionOfNumbersEqualTo(prediction, FirstIdAfter(ground_truth, U"Paragraph "));
}

double RetrievalZhScore(std::u32string_view prediction, std::u32string_view ground_truth, const MetricContext&) {
  return FractionOfNumbersEqualTo(prediction, FirstIdAfter(ground_truth, U"段落"));
}

double CountScore(std::u32string_view prediction, std::u32string_view ground_truth, const MetricContext&) {
  return FractionOfNumbersEqualTo(prediction, ground_truth);
}

double CodeSimScore(std::u32string_view prediction, std::u32string_view ground_truth, const MetricContext& ctx) {
  std::u32string line;
  for (const auto& candidate : SplitOn(LStripChar(prediction, U'\n'), U'\n')) {
    if (!Contains(candidate, U"`") && !Contains(candidate, U"#") && !Contains(candidate, U"//")) {
      line = candidate;
      break;
    }
  }
  return FuzzRatio(line, ground_truth, ctx.options.matcher) / 100.0;
}

}  // namespace kvb::metrics

// The LongBench scorers, under the names LongBench's eval.py gives them.
#include "metrics/metric_registry.h"

namespace kvb::metrics {
KVB_REGISTER_METRIC(qa_f1_score, QaF1Score, kHigherIsBetter, Aggregation::kMeanPercent, "longbench-1");
KVB_REGISTER_METRIC(qa_f1_zh_score, QaF1ZhScore, kHigherIsBetter, Aggregation::kMeanPercent, "longbench-1");
KVB_REGISTER_METRIC(rouge_score, RougeScore, kHigherIsBetter, Aggregation::kMeanPercent, "longbench-1");
KVB_REGISTER_METRIC(rouge_zh_score, RougeZhScore, kHigherIsBetter, Aggregation::kMeanPercent, "longbench-1");
KVB_REGISTER_METRIC(classification_score, ClassificationScore, kHigherIsBetter, Aggregation::kMeanPercent,
                    "longbench-1");
KVB_REGISTER_METRIC(retrieval_score, RetrievalScore, kHigherIsBetter, Aggregation::kMeanPercent, "longbench-1");
KVB_REGISTER_METRIC(retrieval_zh_score, RetrievalZhScore, kHigherIsBetter, Aggregation::kMeanPercent,
                    "longbench-1");
KVB_REGISTER_METRIC(count_score, CountScore, kHigherIsBetter, Aggregation::kMeanPercent, "longbench-1");
KVB_REGISTER_METRIC(code_sim_score, CodeSimScore, kHigherIsBetter, Aggregation::kMeanPercent, "longbench-1");
}  // namespace kvb::metrics
