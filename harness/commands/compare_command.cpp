// kvbench compare <baseline> <candidate> [--tolerance 0.5] [--metric NAME ...]
// Exit code 1 when any cell is worse by more than the tolerance (or missing): CI's gate.
#include <CLI/CLI.hpp>
#include <iostream>
#include <memory>

#include "harness/command.h"
#include "reports/compare.h"

namespace kvb {
namespace {

struct CompareArgs {
  std::string baseline;
  std::string candidate;
  CompareOptions options;
};

std::function<int()> SetupCompare(CLI::App& app) {
  auto args = std::make_shared<CompareArgs>();
  app.add_option("baseline", args->baseline, "baseline output directory or results.db")->required();
  app.add_option("candidate", args->candidate, "candidate output directory or results.db")->required();
  app.add_option("--tolerance", args->options.tolerance, "allowed drop in score points (0..100 scale)")
      ->check(CLI::NonNegativeNumber);
  app.add_option("--metric", args->options.metrics, "compare only these metrics (repeatable)");
  return [args] {
    const ResultsStore baseline = ResultsStore::OpenReadOnly(ResultsStore::DatabasePath(args->baseline));
    const ResultsStore candidate = ResultsStore::OpenReadOnly(ResultsStore::DatabasePath(args->candidate));
    const Comparison comparison = CompareStores(baseline, candidate, args->options);
    std::cout << FormatComparison(comparison, args->options);
    return comparison.regressions + comparison.missing > 0 ? 1 : 0;
  };
}

KVB_REGISTER_COMMAND("compare", "Per-cell score deltas between two result stores; non-zero exit on a drop",
                     SetupCompare);

}  // namespace
}  // namespace kvb
