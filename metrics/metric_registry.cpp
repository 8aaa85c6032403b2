#include "metrics/metric_registry.h"
#include "util/edit_distance.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>

#include "metrics/py_number.h"
#include "util/error.h"

namespace kvb::metrics {
std::string AggregationName(Aggregation aggregation) {
  switch (aggregation) {
    case Aggregation::kMeanPercent:
      return "mean_percent";
    case Aggregation::kMeanThenPercent:
      return "mean_then_percent";
    case Aggregation::kMean:
      return "mean";
    case Aggregation::kAccuracyPercent:
      return "accuracy_percent";
  }
  return "unknown";
}

double AggregateScores(Aggregation aggregation, const std::vector<double>& per_sample) {
  KVB_REQUIRE(!per_sample.empty(), "no samples to aggregate");
  const double n = static_cast<double>(per_sample.size());
  const double sum = PySum(per_sample);
  switch (aggregation) {
    case Aggregation::kMeanPercent:
      return PyRound(100 * sum / n, 2);
    case Aggregation::kMeanThenPercent:
      return PyRound(sum / n * 100, 2);
    case Aggregation::kMean:
      return sum / n;
    case Aggregation::kAccuracyPercent:
      return 100 * sum / n;
  }
  throw Error(StrCat("unknown aggregation ", static_cast<int>(aggregation)));
}

MetricRegistry& MetricRegistry::Get() {
  static MetricRegistry registry;
  return registry;
}

void MetricRegistry::Add(MetricInfo info, const char* where) {
  auto it = metrics_.find(info.name);
  if (it != metrics_.end()) {
    std::fprintf(stderr, "kvbench: metric '%s' registered twice: %s and %s\n", info.name.c_str(),
                 it->second.second.c_str(), where);
    std::abort();
  }
  std::string name = info.name;
  metrics_.emplace(std::move(name), std::make_pair(std::move(info), std::string(where)));
}

const MetricInfo& MetricRegistry::Find(std::string_view name) const {
  auto it = metrics_.find(name);
  if (it != metrics_.end()) return it->second.first;
  std::vector<std::string> names = Names();
  std::string known;
  for (const auto& candidate : names) known += (known.empty() ? "" : ", ") + candidate;
  const std::string nearest = NearestName(name, names);
  const std::string hint = nearest.empty() ? "" : StrCat("; did you mean '", nearest, "'?");
  throw ConfigError(StrCat("unknown metric '", name, "'", hint, " (registered: ", known, ")"));
}

std::vector<std::string> MetricRegistry::Names() const {
  std::vector<std::string> names;
  for (const auto& [name, entry] : metrics_) names.push_back(name);
  return names;
}

}  // namespace kvb::metrics
