// A small store with known numbers, shared by the report tests.
#pragma once

#include <filesystem>
#include <string>

#include "store/results_store.h"

namespace kvb::testing {

struct FixtureRun {
  std::string method;
  std::string params;
  std::int64_t budget;
  double score;  // every sample of this run scores this (0..1)
};

// Two methods x two budgets x datasets "qa" (4 samples) and "needle" (depth x length
// grid, 2 x 2). Scores: `score` for every sample, except needle depth 50 gets score/2.
inline void WriteFixtureStore(const std::filesystem::path& db, double shift = 0.0,
                              bool lower_is_better = false) {
  ResultsStore store = ResultsStore::Open(db);
  const FixtureRun runs[] = {{"alpha", "{}", 64, 0.5},
                             {"alpha", "{}", 128, 0.75},
                             {"beta", "{\"window\":8}", 64, 0.25},
                             {"beta", "{\"window\":8}", 128, 0.5}};
  for (const FixtureRun& f : runs) {
    RunRecord run;
    run.name = f.method + "_b" + std::to_string(f.budget);
    run.config_json = run.name + f.params;
    run.run_id = StableHash(run.config_json);
    run.method = f.method;
    run.method_params_json = f.params;
    run.budget = f.budget;
    store.AddRun(run);
    for (int i = 0; i < 4; ++i) {
      ResultRecord r;
      r.run_id = run.run_id;
      r.sample = {"qa", "q" + std::to_string(i), i, 100, StableHash("q" + std::to_string(i)),
                  "[\"a\"]", "{}"};
      r.prediction = "a";
      r.scores = {{"f1", f.score + shift, !lower_is_better}};
      r.timings = {10.0, 2.0, 30.0, 5};
      r.memory = {1 << 20, f.budget * 1024, 256 * 1024, f.budget, 256};
      store.WriteResult(r);
    }
    int i = 0;
    for (int depth : {0, 50}) {
      for (int length : {1000, 2000}) {
        ResultRecord r;
        r.run_id = run.run_id;
        const std::string id = "n" + std::to_string(depth) + "_" + std::to_string(length);
        r.sample = {"needle", id, i++, length, StableHash(id), "[\"x\"]",
                    "{\"depth\":" + std::to_string(depth) + ",\"length\":" + std::to_string(length) + "}"};
        r.prediction = "x";
        r.scores = {{"match", depth == 50 ? f.score / 2 : f.score, true}};
        store.WriteResult(r);
      }
    }
  }
}

}  // namespace kvb::testing
