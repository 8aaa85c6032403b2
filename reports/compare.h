// kvbench compare: per-cell deltas between two result stores. A cell is (run name,
// dataset, metric), scored as 100 x the mean over successful samples. Whether a change
// is a drop comes from the direction stored with each score (STYLE P14): this code
// names no metric.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "store/results_store.h"

namespace kvb {

struct CompareOptions {
  double tolerance = 0.5;            // in score points (0..100 scale)
  std::vector<std::string> metrics;  // only these metrics; empty = all
};

struct CellDelta {
  std::string run_name;
  std::string dataset;
  std::string metric;
  bool higher_is_better = true;
  bool in_baseline = false;
  bool in_candidate = false;
  double baseline = 0.0;
  double candidate = 0.0;
  double delta = 0.0;       // candidate - baseline
  bool regression = false;  // worse by more than the tolerance, or missing in candidate
};

struct Comparison {
  std::vector<CellDelta> cells;  // sorted by run, dataset, metric
  std::int64_t regressions = 0;
  std::int64_t improvements = 0;
  std::int64_t missing = 0;  // cells in the baseline that the candidate lacks
};

Comparison CompareStores(const ResultsStore& baseline, const ResultsStore& candidate,
                         const CompareOptions& options);

// A fixed-width table of every cell and a one-line summary.
std::string FormatComparison(const Comparison& comparison, const CompareOptions& options);

}  // namespace kvb
