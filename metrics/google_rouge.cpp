#include "metrics/google_rouge.h"

#include <algorithm>
#include <cstdint>
#include <map>

#include "metrics/metric_registry.h"
#include "metrics/porter_stemmer.h"
#include "metrics/py_text.h"

namespace kvb::metrics {
namespace {

bool IsRougeTokenChar(char32_t c) { return (c >= U'a' && c <= U'z') || (c >= U'0' && c <= U'9'); }

// rouge_score only stems words of more than 3 characters (tokenize.py).
constexpr std::size_t kShortestStemmedLength = 4;

// Counter(tokens), in a map: only the counts matter for unigram overlap.
std::map<std::string, std::int64_t> CountTokens(const RougeTokens& tokens) {
  std::map<std::string, std::int64_t> counts;
  for (const std::string& t : tokens) ++counts[t];
  return counts;
}

double NeedleRouge1Metric(std::u32string_view prediction, std::u32string_view target, const MetricContext&) {
  return NeedleRouge1F(prediction, target);
}

}  // namespace

RougeTokens GoogleRougeTokenize(std::u32string_view text, bool use_stemmer) {
  // Lower-case first: the [^a-z0-9] substitution runs on the lowered text, so
  // characters whose lower case is ASCII (İ -> i + U+0307, K -> k) keep their letter.
  const std::u32string lower = PyLower(text);
  RougeTokens tokens;
  std::string current;
  auto flush = [&]() {
    if (current.empty()) return;
    // The stem of an [a-z0-9]+ word is again [a-z0-9]+ and non-empty, so the
    // package's final VALID_TOKEN check drops nothing here.
    tokens.push_back(use_stemmer && current.size() >= kShortestStemmedLength ? PorterStem(current) : current);
    current.clear();
  };
  for (char32_t c : lower) {
    if (IsRougeTokenChar(c)) {
      current += static_cast<char>(c);
    } else {
      flush();
    }
  }
  flush();
  return tokens;
}

RougeNScore GoogleRouge1(const RougeTokens& target, const RougeTokens& prediction) {
  const auto target_counts = CountTokens(target);
  const auto prediction_counts = CountTokens(prediction);
  std::int64_t overlap = 0;
  for (const auto& [token, count] : target_counts) {
    const auto it = prediction_counts.find(token);
    if (it != prediction_counts.end()) overlap += std::min(count, it->second);
  }
  RougeNScore score;
  // int / int in Python 3 is the correctly rounded quotient, as the double division is.
  score.precision = static_cast<double>(overlap) / static_cast<double>(std::max<std::size_t>(prediction.size(), 1));
  score.recall = static_cast<double>(overlap) / static_cast<double>(std::max<std::size_t>(target.size(), 1));
  if (score.precision + score.recall > 0) {
    score.fmeasure = 2 * score.precision * score.recall / (score.precision + score.recall);
  }
  return score;
}

double NeedleRouge1F(std::u32string_view prediction, std::u32string_view target) {
  return GoogleRouge1(GoogleRougeTokenize(target, /*use_stemmer=*/true),
                      GoogleRougeTokenize(prediction, /*use_stemmer=*/true))
      .fmeasure;
}

KVB_REGISTER_METRIC(needle_rouge1_f, NeedleRouge1Metric, kHigherIsBetter, Aggregation::kMean, "needle-rouge1-1");

}  // namespace kvb::metrics
