// kvbench slurm sweep.yaml --array N [--partition P] [--gpus-per-task G] [--time T]
// Writes <output>/slurm/: sweep.sbatch (an N-task job array, task k runs shard k/N into
// its own store <output>/shards/k, since SQLite over a network file system is unsafe
// for concurrent writers), merge.sbatch (joins the shards into <output>), and
// submit.sh (submits both, the merge after the array succeeds).
#include <sys/stat.h>

#include <CLI/CLI.hpp>
#include <iostream>
#include <memory>
#include <sstream>

#include "harness/command.h"
#include "harness/sweep_plan.h"
#include "util/error.h"
#include "util/file.h"

namespace kvb {
namespace {

struct SlurmArgs {
  std::string sweep;
  std::vector<std::string> overrides;
  int array = 0;
  std::string partition;
  int gpus_per_task = 1;
  std::string time = "24:00:00";
  std::string kvbench;
};

std::string Quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

std::string Header(const SlurmArgs& args, const std::string& name, const std::filesystem::path& logs) {
  std::ostringstream out;
  out << "#!/bin/bash\n#SBATCH --job-name=" << name << "\n";
  if (!args.partition.empty()) out << "#SBATCH --partition=" << args.partition << "\n";
  out << "#SBATCH --time=" << args.time << "\n#SBATCH --output=" << (logs / (name + "-%A_%a.log")).string()
      << "\nset -euo pipefail\n";
  return out.str();
}

std::function<int()> SetupSlurm(CLI::App& app) {
  auto args = std::make_shared<SlurmArgs>();
  app.add_option("sweep", args->sweep, "the sweep YAML file")->required();
  app.add_option("--array", args->array, "number of array tasks (shards)")->required()->check(CLI::PositiveNumber);
  app.add_option("--set", args->overrides, "override a key: a.b.c=value (repeatable)");
  app.add_option("--partition", args->partition, "Slurm partition");
  app.add_option("--gpus-per-task", args->gpus_per_task, "GPUs per array task");
  app.add_option("--time", args->time, "time limit per task");
  app.add_option("--kvbench", args->kvbench, "kvbench binary the jobs run (default: this one)");
  return [args] {
    // Validate the whole sweep now, on the login node, rather than in N failed jobs.
    const SweepPlan plan = BuildSweepPlan(LoadSweepConfig(args->sweep, args->overrides));
    const std::filesystem::path output = std::filesystem::absolute(plan.config.output);
    const std::filesystem::path dir = output / "slurm";
    std::filesystem::create_directories(dir / "logs");
    const std::string exe = args->kvbench.empty() ? std::filesystem::read_symlink("/proc/self/exe").string()
                                                  : args->kvbench;
    const std::string sweep = std::filesystem::absolute(args->sweep).string();
    std::string sets;
    for (const std::string& o : args->overrides) sets += " --set " + Quote(o);

    std::ostringstream array;
    array << Header(*args, "kvbench-sweep", dir / "logs") << "#SBATCH --array=0-" << args->array - 1 << "\n";
    if (args->gpus_per_task > 0) array << "#SBATCH --gres=gpu:" << args->gpus_per_task << "\n";
    array << "# Task k runs shard k/" << args->array << " of " << plan.SamplesInShard({}) << " samples.\n"
          << Quote(exe) << " run " << Quote(sweep) << sets << " --shard \"${SLURM_ARRAY_TASK_ID}/" << args->array
          << "\" --set \"output=" << (output / "shards").string() << "/${SLURM_ARRAY_TASK_ID}\"\n";
    std::ostringstream merge;
    merge << Header(*args, "kvbench-merge", dir / "logs") << Quote(exe) << " merge";
    for (int k = 0; k < args->array; ++k) merge << " " << Quote((output / "shards" / std::to_string(k)).string());
    merge << " -o " << Quote(output.string()) << "\n"
          << Quote(exe) << " report " << Quote(output.string()) << " -o " << Quote((output / "report").string()) << "\n";
    std::ostringstream submit;
    submit << "#!/bin/bash\nset -euo pipefail\ncd " << Quote(dir.string()) << "\n"
           << "array=$(sbatch --parsable sweep.sbatch)\n"
           << "sbatch --dependency=afterok:${array} merge.sbatch\n"
           << "echo \"submitted array ${array} and its merge\"\n";
    WriteFileAtomically(dir / "sweep.sbatch", array.str());
    WriteFileAtomically(dir / "merge.sbatch", merge.str());
    WriteFileAtomically(dir / "submit.sh", submit.str());
    chmod((dir / "submit.sh").c_str(), 0755);
    std::cout << "wrote " << (dir / "sweep.sbatch").string() << ", merge.sbatch and submit.sh; run "
              << (dir / "submit.sh").string() << "\n";
    return 0;
  };
}

KVB_REGISTER_COMMAND("slurm", "Write an sbatch job array (one shard per task) and its merge step", SetupSlurm);

}  // namespace
}  // namespace kvb
