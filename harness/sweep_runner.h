// Runs a sweep plan: samples outside, configurations inside (DESIGN.md "One prefill,
// many caches"). Each sample of this shard is built once and prefilled once; every run
// that has not stored it yet gets its own compressed cache from that prefill, decodes
// greedily, is scored, and is written to the store in one transaction. A sample that
// fails (out of memory, a prompt over the context) is stored as failed, and the sweep
// goes on; a resumed sweep retries it.
#pragma once

#include <cstddef>
#include <string>

#include "harness/sweep_plan.h"

namespace kvb {

struct RunnerOptions {
  Shard shard;
  std::string command_line;  // recorded with the session
  bool progress_terminal = false;
};

struct RunnerSummary {
  std::size_t samples = 0;   // in this shard
  std::size_t skipped = 0;   // every run had it stored already
  std::size_t results = 0;   // (run, sample) results written
  std::size_t failed = 0;    // of which failed
};

RunnerSummary RunSweep(const SweepPlan& plan, const RunnerOptions& options);

// The git commit of the kvbench source tree (or "unknown"), and the versions of the
// libraries that can change numbers, as a JSON object.
std::string SourceGitCommit();
std::string LibraryVersionsJson();

}  // namespace kvb
