// Prediction -> stored scores: the dataset's post-processing rule, then every metric the
// sample names (its own and its extras), each the max over the references, with the
// direction the metric registered (so compare and reports never name a metric).
#pragma once

#include <string>
#include <vector>

#include "datasets/dataset.h"
#include "store/results_store.h"

namespace kvb {

// LongBench's first-line rule, RULER's control-character cleanup, needle's strip.
std::string PostProcessPrediction(const std::string& prediction, PostProcess rule);

std::vector<MetricScore> ScorePrediction(const std::string& prediction, const ScoringInputs& scoring);

}  // namespace kvb
