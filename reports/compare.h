// kvbench compare: per-cell deltas between two result sets. A cell is (run name,
// dataset, metric), scored as 100 x the mean over successful samples, rounded to 6
// decimals so that a store and its exported cells CSV compare equal at tolerance 0. Whether a change
// is a drop comes from the direction stored with each score (STYLE P14): this code
// names no metric.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <tuple>
#include <vector>

#include "store/results_store.h"

namespace kvb {

struct CompareOptions {
  double tolerance = 0.5;            // in score points (0..100 scale)
  std::vector<std::string> metrics;  // only these metrics; empty = all
  // Golden files: a rise beyond the tolerance fails too, so a change that moves scores
  // either way is seen (and the golden files regenerated on purpose).
  bool fail_on_improvement = false;
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

  bool Fails(const CompareOptions& options) const {
    return regressions + missing + (options.fail_on_improvement ? improvements : 0) > 0;
  }
};

// The comparable cells of one result set. A store gives them from its rows; a cells CSV
// (`kvbench cells`, what tests/golden commits) holds them as text.
struct CellMean {
  double score = 0.0;  // 100 x mean, rounded to 6 decimals
  std::int64_t samples = 0;
  bool higher_is_better = true;
};
using CellKey = std::tuple<std::string, std::string, std::string>;  // run name, dataset, metric
using CellTable = std::map<CellKey, CellMean>;

CellTable CellsFromStore(const ResultsStore& store);
// "run,dataset,metric,higher_is_better,score,samples" lines, sorted, score with 6 decimals.
std::string CellsCsv(const CellTable& cells);
// Reads CellsCsv's format; a malformed line is a kvb::Error naming file and line.
CellTable ReadCellsCsv(const std::filesystem::path& file);
// A store directory, a results.db, or a cells .csv file.
CellTable LoadCells(const std::filesystem::path& path);

// Every stored prediction as "run,dataset,sample_id,prediction" lines (failed: "FAILED: "
// + error), sorted: the strict golden check that sees a changed answer even where the mean
// score does not move.
std::string PredictionsCsv(const ResultsStore& store);

Comparison CompareCells(const CellTable& baseline, const CellTable& candidate, const CompareOptions& options);
Comparison CompareStores(const ResultsStore& baseline, const ResultsStore& candidate,
                         const CompareOptions& options);

// A fixed-width table of every cell and a one-line summary.
std::string FormatComparison(const Comparison& comparison, const CompareOptions& options);

}  // namespace kvb
