// What every report format shows, computed once from the stored rows (STYLE P14: the
// writers are siblings fed by the same data, so their numbers cannot disagree).
//
// Scores are shown as 100 x the mean of the stored per-sample values (LongBench's
// convention), over successful samples. Each dataset's primary metric is the metric
// most of its results carry (the runner stores the dataset's own metric).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "store/results_store.h"

namespace kvb {

// A configuration without its budget: one row of the paper table, one curve.
struct MethodVariant {
  std::string key;    // method + canonical params JSON
  std::string label;  // "snapkv" or "snapkv {window:32}" when a method has several variants
};

struct ScoreCell {
  double score = 0.0;  // 100 x mean
  std::int64_t samples = 0;
  std::int64_t failed = 0;
  bool higher_is_better = true;
};

// Mean cost of one run over its successful samples.
struct RunCost {
  std::string run_name;
  std::string variant_label;
  std::int64_t budget = 0;
  std::int64_t samples = 0;
  double prefill_ms = 0.0;
  double decode_ms_per_token = 0.0;
  double peak_mib = 0.0;
  double kv_mib_kept = 0.0;
  double kv_mib_full = 0.0;
  double compression = 0.0;  // full / kept bytes
};

// Mean score on a 2-D grid of sample metadata (needle: depth x length; RULER: task x
// length), for one run and dataset.
struct GridTable {
  std::string dataset;
  std::string run_name;
  std::string variant_label;
  std::int64_t budget = 0;
  std::string row_key;  // metadata key of the rows ("depth", "task")
  std::string col_key;  // metadata key of the columns ("length")
  std::vector<std::string> rows;
  std::vector<std::string> cols;
  std::map<std::pair<std::string, std::string>, double> cells;  // (row, col) -> 100 x mean
};

struct ReportData {
  std::string source;  // the store's path
  std::vector<std::int64_t> budgets;           // ascending
  std::vector<std::string> datasets;           // sorted
  std::map<std::string, std::string> primary_metric;  // dataset -> metric
  std::vector<MethodVariant> variants;         // in first-seen order (run name order)
  // (variant key, budget, dataset) -> cell on the dataset's primary metric.
  std::map<std::tuple<std::string, std::int64_t, std::string>, ScoreCell> cells;
  std::vector<RunCost> costs;
  std::vector<GridTable> grids;

  // The dataset's primary metric, or "" when none of its samples was scored.
  std::string PrimaryMetric(const std::string& dataset) const {
    auto it = primary_metric.find(dataset);
    return it == primary_metric.end() ? "" : it->second;
  }
  const ScoreCell* Cell(const std::string& variant, std::int64_t budget,
                        const std::string& dataset) const;
  // Mean over the datasets this variant has at this budget; nullopt if it has none.
  std::optional<double> Average(const std::string& variant, std::int64_t budget) const;
};

ReportData BuildReportData(const ResultsStore& store);

// "12.34" (two decimals, as the papers print).
std::string FormatScore(double value);

}  // namespace kvb
