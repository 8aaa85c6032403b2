// kvbench compare <baseline> <candidate> [--tolerance 0.5] [--metric NAME ...]
// Exit code 1 when any cell is worse by more than the tolerance (or missing): CI's gate.
// Either side is an output directory, a results.db, or a cells CSV (`kvbench cells`).
//
// kvbench cells <output> [-o cells.csv] [--predictions]: the comparable cells of a store
// as CSV (or every prediction), the compact forms tests/golden commits.
#include <CLI/CLI.hpp>
#include <iostream>
#include <memory>

#include "harness/command.h"
#include "reports/compare.h"
#include "util/file.h"

namespace kvb {
namespace {

struct CompareArgs {
  std::string baseline;
  std::string candidate;
  CompareOptions options;
};

std::function<int()> SetupCompare(CLI::App& app) {
  auto args = std::make_shared<CompareArgs>();
  app.add_option("baseline", args->baseline, "baseline output directory, results.db or cells .csv")->required();
  app.add_option("candidate", args->candidate, "candidate output directory, results.db or cells .csv")->required();
  app.add_option("--tolerance", args->options.tolerance, "allowed drop in score points (0..100 scale)")
      ->check(CLI::NonNegativeNumber);
  app.add_option("--metric", args->options.metrics, "compare only these metrics (repeatable)");
  app.add_flag("--fail-on-improvement", args->options.fail_on_improvement,
               "a rise beyond the tolerance fails too (golden files: any move is a change to review)");
  return [args] {
    const Comparison comparison =
        CompareCells(LoadCells(args->baseline), LoadCells(args->candidate), args->options);
    std::cout << FormatComparison(comparison, args->options);
    return comparison.Fails(args->options) ? 1 : 0;
  };
}

struct CellsArgs {
  std::string source;
  std::string output;
  bool predictions = false;
};

std::function<int()> SetupCells(CLI::App& app) {
  auto args = std::make_shared<CellsArgs>();
  app.add_option("source", args->source, "output directory or results.db")->required();
  app.add_option("-o,--output", args->output, "write the CSV here (default: stdout)");
  app.add_flag("--predictions", args->predictions, "export every stored prediction instead (run,dataset,sample_id,prediction)");
  return [args] {
    const std::string csv =
        args->predictions
            ? PredictionsCsv(ResultsStore::OpenReadOnly(ResultsStore::DatabasePath(args->source)))
            : CellsCsv(LoadCells(args->source));
    if (args->output.empty()) {
      std::cout << csv;
    } else {
      WriteFileAtomically(args->output, csv);
    }
    return 0;
  };
}

KVB_REGISTER_COMMAND("cells", "Export a store's comparable cells (run, dataset, metric -> score) as CSV",
                     SetupCells);
KVB_REGISTER_COMMAND("compare", "Per-cell score deltas between two result stores; non-zero exit on a drop",
                     SetupCompare);

}  // namespace
}  // namespace kvb
