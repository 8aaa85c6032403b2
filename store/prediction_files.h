// LongBench-compatible prediction files: <dir>/pred/<run name>/<dataset>.jsonl, one line
// per successful sample, {"pred", "answers", "all_classes", "length"} as LongBench's
// eval.py reads them (plus "_id" and the scores kvbench computed).
//
// The files are written from the store, never appended to during a sweep: a killed run
// therefore cannot leave a duplicated or half-written line, and the files always equal
// what the store holds. Each file is replaced atomically.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "store/results_store.h"

namespace kvb {

// Writes every run's prediction files; returns the paths written.
std::vector<std::filesystem::path> WritePredictionFiles(const ResultsStore& store,
                                                        const std::filesystem::path& output_dir);

}  // namespace kvb
