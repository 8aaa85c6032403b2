// Budget allocation policies the SnapKV-family methods wrap around the scorer
// (STYLE P4): PyramidKV's per-layer schedule (spec §3) and AdaKV's per-head split (§4).
#pragma once

#include <ATen/ATen.h>

#include <cstdint>

#include "kernels/ops.h"

namespace kvb {

struct PyramidSchedule {
  double min_tokens = 0;  // minN
  double max_tokens = 0;  // maxN (after the short-prompt clamp)
  double step = 0;        // per layer
  // Non-window tokens of `layer` (layer 0 gets the most).
  std::int64_t Capacity(int layer) const;
  bool exact = false;  // float schedule, rounded half-even per layer
};

// spec §3: base = B - w, minN = floor(base / beta), maxN = 2 base - minN, clamped so that
// maxN <= L - w, step floored (`exact`: all in floats, KVP's schedule whose mean is base).
// Recomputed per prompt (pitfall P3 is not emulated). One layer: step 0.
PyramidSchedule MakePyramidSchedule(std::int64_t base, std::int64_t prompt_length, std::int64_t window,
                                    int num_layers, double beta, bool exact);

// spec §4 (AdaKV): floorCap = int(base * alpha); the layer-wide top (S * base) entries of
// `scores` [S, T] f32 (optionally scaled per segment by its top-base mass share,
// `normalize`) give n_s winners per segment; c_s = round_half_even(n_s (1 - alpha) +
// floorCap), clamped to [0, T].
SegmentCounts AdaCounts(const at::Tensor& scores, std::int64_t base, double floor_alpha, bool normalize);

}  // namespace kvb
