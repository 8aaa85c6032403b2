// kvbench validate sweep.yaml: checks the sweep and prints the expanded plan, loading
// no model (the same checks as `run --dry-run`).
#include <CLI/CLI.hpp>
#include <iostream>
#include <memory>

#include "harness/command.h"
#include "harness/sweep_plan.h"

namespace kvb {
namespace {

struct ValidateArgs {
  std::string sweep;
  std::vector<std::string> overrides;
  std::string shard;
};

std::function<int()> SetupValidate(CLI::App& app) {
  auto args = std::make_shared<ValidateArgs>();
  app.add_option("sweep", args->sweep, "the sweep YAML file")->required();
  app.add_option("--set", args->overrides, "override a key: a.b.c=value (repeatable)");
  app.add_option("--shard", args->shard, "describe the slice i/n");
  return [args] {
    const SweepPlan plan = BuildSweepPlan(LoadSweepConfig(args->sweep, args->overrides));
    std::cout << DescribePlan(plan, args->shard.empty() ? Shard{} : ParseShard(args->shard))
              << "valid\n";
    return 0;
  };
}

KVB_REGISTER_COMMAND("validate", "Check a sweep file and print its expanded plan", SetupValidate);

}  // namespace
}  // namespace kvb
