// RULER's scoring (NVIDIA/RULER scripts/eval, spec §2.4) and the needle-in-a-haystack
// answer-word recall that the PyramidKV/HeadKV heatmaps average (spec §3).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "metrics/py_number.h"

namespace kvb::metrics {

// All reference strings of one RULER sample (`outputs`).
using References = std::vector<std::u32string>;

// evaluate.py postprocess_pred: strip, every U+0000–U+001F -> "\n", strip again.
std::u32string PostprocessRulerPrediction(std::u32string_view prediction);

// Per sample: the fraction of references r with r.lower() in pred.lower().
double StringMatchAllSample(std::u32string_view prediction, const References& references);
// Per sample: 1.0 if any reference is a case-insensitive substring, else 0.0.
double StringMatchPartSample(std::u32string_view prediction, const References& references);

// Task score: round(sum(per_sample) / len * 100, 2), Python left-to-right sum and rounding.
double AggregateRuler(const SampleScores& per_sample);

// Heatmap score: |set(response.lower().split()) ∩ E| / |E| with E the distinct
// whitespace tokens of `expected` ("day." keeps its period, so "day" misses).
double NeedleAnswerWordRecall(std::u32string_view response, std::u32string_view expected);
// The expected answer PyramidKV/HeadKV's visualisers use.
inline constexpr std::u32string_view kNeedleExpectedAnswer =
    U"eat a sandwich and sit in dolores park on a sunny day.";

}  // namespace kvb::metrics
