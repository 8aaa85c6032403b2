// kvbench run sweep.yaml [--set key=value ...] [--dry-run] [--shard i/n] [--gpus 0,1]
#include <spawn.h>
#include <sys/wait.h>

#include <CLI/CLI.hpp>
#include <iostream>
#include <memory>
#include <sstream>

#include "harness/command.h"
#include "harness/progress.h"
#include "harness/sweep_plan.h"
#include "harness/sweep_runner.h"
#include "reports/report_writer.h"
#include "store/prediction_files.h"
#include "util/error.h"

extern char** environ;

namespace kvb {
namespace {

struct RunArgs {
  std::string sweep;
  std::vector<std::string> overrides;
  bool dry_run = false;
  std::string shard;
  std::string gpus;
  std::string command_line;
  bool no_report = false;
};

// A whole sweep ends with its report (<output>/report), so the first command a newcomer
// runs ends with something to open; shards leave it to whoever merges them.
void WriteFinalReport(const SweepConfig& config) {
  const std::filesystem::path dir = config.output / "report";
  WriteReport(ResultsStore::OpenReadOnly(ResultsStore::DatabasePath(config.output)), dir);
  std::cout << "report: " << (dir / "report.md").string() << "\n";
}

std::vector<std::string> SplitGpus(const std::string& text) {
  std::vector<std::string> gpus;
  std::stringstream stream(text);
  for (std::string gpu; std::getline(stream, gpu, ',');) {
    if (gpu.empty() || gpu.find_first_not_of("0123456789") != std::string::npos) {
      throw ConfigError(StrCat("--gpus ", text, ": expected device numbers, e.g. 0,1,2,3"));
    }
    gpus.push_back(gpu);
  }
  return gpus;
}

// What --gpus would start: worker k runs shard k/n on cuda:<k-th listed GPU>.
std::string DescribeGpuWorkers(const std::vector<std::string>& gpus, const SweepPlan& plan) {
  std::string text;
  for (std::size_t k = 0; k < gpus.size(); ++k) {
    const Shard shard{k, gpus.size()};
    text += StrCat("worker ", k, ": cuda:", gpus[k], " shard ", shard.Text(), ", ",
                   plan.SamplesInShard(shard), " samples\n");
  }
  return text;
}

// One worker process per GPU, each running shard k/n of the same sweep into the same
// store (SQLite serialises their transactions); the parent waits for all of them.
int RunOnGpus(const RunArgs& args, const SweepPlan& plan) {
  const std::vector<std::string> gpus = SplitGpus(args.gpus);
  std::vector<pid_t> workers;
  for (std::size_t k = 0; k < gpus.size(); ++k) {
    std::vector<std::string> argv = {"kvbench", "run", args.sweep};
    for (const std::string& o : args.overrides) argv.insert(argv.end(), {"--set", o});
    argv.insert(argv.end(), {"--set", "model.device=cuda:" + gpus[k], "--shard",
                             StrCat(k, "/", gpus.size())});
    std::vector<char*> raw;
    for (std::string& a : argv) raw.push_back(a.data());
    raw.push_back(nullptr);
    pid_t pid = 0;
    if (posix_spawn(&pid, "/proc/self/exe", nullptr, nullptr, raw.data(), environ) != 0) {
      throw Error(StrCat("cannot start the worker for GPU ", gpus[k]));
    }
    workers.push_back(pid);
  }
  int failures = 0;
  for (pid_t pid : workers) {
    int status = 0;
    waitpid(pid, &status, 0);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) ++failures;
  }
  WritePredictionFiles(ResultsStore::OpenReadOnly(ResultsStore::DatabasePath(plan.config.output)),
                       plan.config.output);
  if (failures) std::cerr << "kvbench: " << failures << " of " << workers.size() << " GPU workers failed\n";
  return failures ? 1 : 0;
}

std::function<int()> SetupRun(CLI::App& app) {
  auto args = std::make_shared<RunArgs>();
  app.add_option("sweep", args->sweep, "the sweep YAML file")->required();
  app.add_option("--set", args->overrides, "override a key: a.b.c=value (repeatable)");
  app.add_flag("--dry-run", args->dry_run, "print the expanded plan and exit");
  app.add_option("--shard", args->shard, "run the deterministic slice i/n of the samples");
  app.add_option("--gpus", args->gpus, "one worker per listed GPU, e.g. 0,1,2,3");
  app.add_flag("--no-report", args->no_report, "do not write <output>/report at the end");
  return [args] {
    const SweepConfig config = LoadSweepConfig(args->sweep, args->overrides);
    const SweepPlan plan = BuildSweepPlan(config);
    const Shard shard = args->shard.empty() ? Shard{} : ParseShard(args->shard);
    if (!args->gpus.empty() && !args->shard.empty()) {
      throw ConfigError("--gpus and --shard cannot be combined");
    }
    if (args->dry_run) {
      std::cout << DescribePlan(plan, shard);
      if (!args->gpus.empty()) std::cout << DescribeGpuWorkers(SplitGpus(args->gpus), plan);
      return 0;
    }
    if (!args->gpus.empty()) {
      const int status = RunOnGpus(*args, plan);
      if (status == 0 && !args->no_report) WriteFinalReport(config);
      return status;
    }
    RunnerOptions options;
    options.shard = shard;
    options.command_line = "kvbench run " + args->sweep;
    for (const std::string& o : args->overrides) options.command_line += " --set " + o;
    if (!args->shard.empty()) options.command_line += " --shard " + args->shard;
    options.progress_terminal = Progress::StdoutIsTerminal();
    const RunnerSummary summary = RunSweep(plan, options);
    std::cout << "done: " << summary.samples << " samples (" << summary.skipped
              << " already stored), " << summary.results << " results written, " << summary.failed
              << " failed -> " << config.output.string() << "\n";
    if (shard.count == 1 && !args->no_report) WriteFinalReport(config);
    return 0;
  };
}

KVB_REGISTER_COMMAND("run", "Run a sweep (methods x budgets x datasets) into a results store", SetupRun);

}  // namespace
}  // namespace kvb
