// The expanded sweep: every run (method x expanded parameters x budget) and every
// dataset with its sample count, built and validated before any model is loaded.
// Method parameters are parsed by the method registry's schema and dataset options by
// the dataset registry: the plan names neither a method nor a dataset (STYLE P3).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "datasets/dataset.h"
#include "harness/sweep_config.h"
#include "store/results_store.h"

namespace kvb {

struct RunPlan {
  RunRecord record;    // run_id = hash of the resolved configuration; name is unique
  YAML::Node params;   // the method's parameters, every list expanded to one value
  std::string key_path;  // "methods[1]" for messages
};

struct DatasetPlan {
  DatasetEntry entry;
  std::shared_ptr<Dataset> dataset;
  std::size_t samples = 0;  // min(dataset size, the sweep's samples limit)
};

// A deterministic slice of the sweep's samples: sample ordinal % count == index.
struct Shard {
  std::size_t index = 0;
  std::size_t count = 1;
  bool Contains(std::size_t ordinal) const { return ordinal % count == index; }
  std::string Text() const;  // "i/n", or "" for the whole sweep
};

// Parses "i/n" (0 <= i < n). Throws ConfigError.
Shard ParseShard(const std::string& text);

struct SweepPlan {
  SweepConfig config;
  std::vector<RunPlan> runs;
  std::vector<DatasetPlan> datasets;

  // Samples of this shard, over every dataset (each is prefilled once).
  std::size_t SamplesInShard(const Shard& shard) const;
};

// Validates the method parameters (registry), the budgets against each method's window,
// the datasets and their options (registry). Throws ConfigError naming file, line, key.
SweepPlan BuildSweepPlan(const SweepConfig& config);

// The dry-run / validate text: runs, datasets, samples, prefills and decodes.
std::string DescribePlan(const SweepPlan& plan, const Shard& shard);

}  // namespace kvb
