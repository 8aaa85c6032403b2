#include "reports/compare.h"

#include <algorithm>
#include <cstdio>
#include <map>
#include <sstream>
#include <tuple>

#include "reports/report_data.h"

namespace kvb {
namespace {

using CellKey = std::tuple<std::string, std::string, std::string>;  // run name, dataset, metric

struct CellMean {
  double sum = 0.0;
  std::int64_t count = 0;
  bool higher_is_better = true;
};

std::map<CellKey, CellMean> CellMeans(const ResultsStore& store, const CompareOptions& options) {
  std::map<std::string, std::string> name_of;
  for (const RunRecord& run : store.Runs()) name_of[run.run_id] = run.name;
  std::map<CellKey, CellMean> cells;
  for (const StoredResult& row : store.Results()) {
    if (row.result.failed) continue;
    for (const MetricScore& score : row.result.scores) {
      if (!options.metrics.empty() && std::find(options.metrics.begin(), options.metrics.end(),
                                                score.metric) == options.metrics.end()) {
        continue;
      }
      CellMean& cell = cells[{name_of.at(row.run_id), row.result.sample.dataset, score.metric}];
      cell.sum += 100.0 * score.value;
      ++cell.count;
      cell.higher_is_better = score.higher_is_better;
    }
  }
  return cells;
}

}  // namespace

Comparison CompareStores(const ResultsStore& baseline, const ResultsStore& candidate,
                         const CompareOptions& options) {
  const auto base = CellMeans(baseline, options);
  const auto cand = CellMeans(candidate, options);
  std::map<CellKey, CellDelta> merged;
  for (const auto& [key, mean] : base) {
    CellDelta& d = merged[key];
    std::tie(d.run_name, d.dataset, d.metric) = key;
    d.in_baseline = true;
    d.baseline = mean.sum / mean.count;
    d.higher_is_better = mean.higher_is_better;
  }
  for (const auto& [key, mean] : cand) {
    CellDelta& d = merged[key];
    std::tie(d.run_name, d.dataset, d.metric) = key;
    d.in_candidate = true;
    d.candidate = mean.sum / mean.count;
    if (!d.in_baseline) d.higher_is_better = mean.higher_is_better;
  }
  Comparison comparison;
  for (auto& [key, d] : merged) {
    if (d.in_baseline && d.in_candidate) {
      d.delta = d.candidate - d.baseline;
      const double gain = d.higher_is_better ? d.delta : -d.delta;
      d.regression = gain < -options.tolerance;
      if (d.regression) ++comparison.regressions;
      if (gain > options.tolerance) ++comparison.improvements;
    } else if (d.in_baseline) {
      d.regression = true;  // a cell that vanished cannot pass CI silently
      ++comparison.missing;
    }
    comparison.cells.push_back(d);
  }
  return comparison;
}

std::string FormatComparison(const Comparison& comparison, const CompareOptions& options) {
  std::ostringstream out;
  char line[512];
  std::snprintf(line, sizeof(line), "%-32s %-20s %-22s %9s %9s %8s\n", "run", "dataset", "metric",
                "baseline", "candidate", "delta");
  out << line;
  for (const CellDelta& d : comparison.cells) {
    const std::string base = d.in_baseline ? FormatScore(d.baseline) : "-";
    const std::string cand = d.in_candidate ? FormatScore(d.candidate) : "-";
    const std::string delta = d.in_baseline && d.in_candidate
                                  ? (d.delta >= 0 ? "+" : "") + FormatScore(d.delta)
                                  : "";
    const char* flag = d.regression ? (d.in_candidate ? "  REGRESSION" : "  MISSING") : "";
    std::snprintf(line, sizeof(line), "%-32s %-20s %-22s %9s %9s %8s%s\n", d.run_name.c_str(),
                  d.dataset.c_str(), (d.metric + (d.higher_is_better ? " (+)" : " (-)")).c_str(),
                  base.c_str(), cand.c_str(), delta.c_str(), flag);
    out << line;
  }
  out << comparison.cells.size() << " cells, " << comparison.regressions
      << " worse by more than " << FormatScore(options.tolerance) << ", "
      << comparison.improvements << " better, " << comparison.missing
      << " missing in the candidate\n";
  return out.str();
}

}  // namespace kvb
