// Every per-sample metric registers itself, with the metadata that tells consumers
// how to aggregate it and which direction is better (STYLE P14), so `compare` and
// the reports never name a metric. One line in the metric's own .cpp:
//
//   KVB_REGISTER_METRIC(qa_f1_score, QaF1Score, kHigherIsBetter, Aggregation::kMeanPercent);
#pragma once

#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "metrics/longbench_metrics.h"

namespace kvb::metrics {

// How per-sample scores become the reported number.
enum class Aggregation {
  kMeanPercent,      // round(100 * sum / count, 2), Python rounding (LongBench eval.py scorer)
  kMeanThenPercent,  // round(sum / count * 100, 2), Python rounding (RULER evaluate.py)
  kMean,             // sum / count, unrounded (needle heatmap cells)
  kAccuracyPercent,  // 100 * sum / count of 0/1 scores, unrounded (BABILong eval)
};
std::string AggregationName(Aggregation aggregation);
// Applies `aggregation` to per-sample scores in file order (sums left to right, as Python).
double AggregateScores(Aggregation aggregation, const std::vector<double>& per_sample);

inline constexpr bool kHigherIsBetter = true;
inline constexpr bool kLowerIsBetter = false;

// (prediction, ground truth, context) -> score for one reference answer.
using SampleMetricFn =
    std::function<double(std::u32string_view, std::u32string_view, const MetricContext&)>;
// (prediction, all references of the sample, context) -> score, for metrics that look at
// every reference at once (RULER string_match_all).
using ReferencesMetricFn =
    std::function<double(std::u32string_view, const std::vector<std::u32string>&, const MetricContext&)>;

struct MetricInfo {
  std::string name;  // the scorer's name in the official code, e.g. "qa_f1_score"
  bool higher_is_better = true;
  Aggregation aggregation = Aggregation::kMeanPercent;
  std::string version;  // bump when the numbers a metric produces change
  SampleMetricFn score;                // set for per-answer metrics (max over answers)
  ReferencesMetricFn score_references;  // set for metrics over all references at once
};

class MetricRegistry {
 public:
  static MetricRegistry& Get();
  // Aborts at start-up on a duplicate name (a programming error), naming both sites.
  void Add(MetricInfo info, const char* where);
  // Unknown name: kvb::ConfigError listing the registered names and the nearest one.
  const MetricInfo& Find(std::string_view name) const;
  std::vector<std::string> Names() const;

 private:
  std::map<std::string, std::pair<MetricInfo, std::string>, std::less<>> metrics_;
};

struct MetricRegistrar {
  MetricRegistrar(MetricInfo info, const char* where) { MetricRegistry::Get().Add(std::move(info), where); }
};

}  // namespace kvb::metrics

#define KVB_METRIC_STR_INNER(x) #x
#define KVB_METRIC_STR(x) KVB_METRIC_STR_INNER(x)
#define KVB_REGISTER_METRIC(name, fn, direction, aggregation, version)                 \
  static ::kvb::metrics::MetricRegistrar kvb_metric_registrar_##name(                 \
      ::kvb::metrics::MetricInfo{#name, direction, aggregation, version, fn, nullptr}, \
      __FILE__ ":" KVB_METRIC_STR(__LINE__))

#define KVB_REGISTER_REFERENCES_METRIC(name, fn, direction, aggregation, version)      \
  static ::kvb::metrics::MetricRegistrar kvb_metric_registrar_##name(                 \
      ::kvb::metrics::MetricInfo{#name, direction, aggregation, version, nullptr, fn}, \
      __FILE__ ":" KVB_METRIC_STR(__LINE__))
