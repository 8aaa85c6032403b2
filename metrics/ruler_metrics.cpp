#include "metrics/ruler_metrics.h"

#include <set>

#include "metrics/metric_registry.h"
#include "metrics/py_text.h"
#include "util/error.h"

namespace kvb::metrics {

std::u32string PostprocessRulerPrediction(std::u32string_view prediction) {
  std::u32string s = StripWhitespace(prediction);
  for (char32_t& c : s)
    if (c <= 0x1F) c = U'\n';
  return StripWhitespace(s);
}

double StringMatchAllSample(std::u32string_view prediction, const References& references) {
  KVB_REQUIRE(!references.empty(), "string_match_all: a sample without references");
  const std::u32string pred = PyLower(prediction);
  double hits = 0;  // Python's sum() of 1.0/0.0, left to right from int 0
  for (const auto& r : references) hits += Contains(pred, PyLower(r)) ? 1.0 : 0.0;
  return hits / static_cast<double>(references.size());
}

double StringMatchPartSample(std::u32string_view prediction, const References& references) {
  KVB_REQUIRE(!references.empty(), "string_match_part: a sample without references");
  const std::u32string pred = PyLower(prediction);
  for (const auto& r : references)
    if (Contains(pred, PyLower(r))) return 1.0;
  return 0.0;
}

double AggregateRuler(const SampleScores& per_sample) {
  KVB_REQUIRE(!per_sample.empty(), "no RULER predictions to score");
  return PyRound(PySum(per_sample) / static_cast<double>(per_sample.size()) * 100, 2);
}

double NeedleAnswerWordRecall(std::u32string_view response, std::u32string_view expected) {
  const CodePointPieces expected_words = SplitWhitespace(expected);
  const std::set<std::u32string> e(expected_words.begin(), expected_words.end());
  KVB_REQUIRE(!e.empty(), "needle recall: empty expected answer");
  const CodePointPieces words = SplitWhitespace(PyLower(response));
  std::set<std::u32string> found;
  for (const auto& w : words)
    if (e.count(w)) found.insert(w);
  return static_cast<double>(found.size()) / static_cast<double>(e.size());
}

namespace {

double StringMatchAllMetric(std::u32string_view pred, const References& refs, const MetricContext&) {
  return StringMatchAllSample(pred, refs);
}
double StringMatchPartMetric(std::u32string_view pred, const References& refs, const MetricContext&) {
  return StringMatchPartSample(pred, refs);
}
double NeedleRecallMetric(std::u32string_view pred, const References& refs, const MetricContext&) {
  KVB_REQUIRE(refs.size() == 1, "needle_answer_recall takes one expected answer");
  return NeedleAnswerWordRecall(pred, refs[0]);
}

}  // namespace

KVB_REGISTER_REFERENCES_METRIC(string_match_all, StringMatchAllMetric, kHigherIsBetter,
                               Aggregation::kMeanThenPercent, "ruler-1");
KVB_REGISTER_REFERENCES_METRIC(string_match_part, StringMatchPartMetric, kHigherIsBetter,
                               Aggregation::kMeanThenPercent, "ruler-1");
KVB_REGISTER_REFERENCES_METRIC(needle_answer_recall, NeedleRecallMetric, kHigherIsBetter, Aggregation::kMean,
                               "needle-1");

}  // namespace kvb::metrics
