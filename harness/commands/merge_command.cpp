// kvbench merge out1 out2 ... -o out: joins shard stores (idempotent; refuses a run
// name bound to two different configs) and rewrites the prediction files.
#include <CLI/CLI.hpp>
#include <iostream>
#include <memory>

#include "harness/command.h"
#include "store/prediction_files.h"
#include "store/results_store.h"

namespace kvb {
namespace {

struct MergeArgs {
  std::vector<std::string> inputs;
  std::string out;
};

std::function<int()> SetupMerge(CLI::App& app) {
  auto args = std::make_shared<MergeArgs>();
  app.add_option("inputs", args->inputs, "output directories (or results.db files) to merge")->required();
  app.add_option("-o,--out", args->out, "the merged output directory")->required();
  return [args] {
    ResultsStore merged = ResultsStore::Open(ResultsStore::DatabasePath(args->out));
    for (const std::string& input : args->inputs) {
      const ResultsStore source = ResultsStore::OpenReadOnly(ResultsStore::DatabasePath(input));
      const std::int64_t added = merged.MergeFrom(source);
      std::cout << input << ": " << added << " results added\n";
    }
    WritePredictionFiles(merged, args->out);
    return 0;
  };
}

KVB_REGISTER_COMMAND("merge", "Merge result stores (shards) into one", SetupMerge);

}  // namespace
}  // namespace kvb
