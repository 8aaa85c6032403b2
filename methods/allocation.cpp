#include "methods/allocation.h"

#include <algorithm>
#include <cmath>

#include "util/error.h"

namespace kvb {

std::int64_t PyramidSchedule::Capacity(int layer) const {
  const double capacity = max_tokens - layer * step;
  // nearbyint under the default rounding mode is round-half-even, like Python's round().
  return exact ? static_cast<std::int64_t>(std::nearbyint(capacity)) : static_cast<std::int64_t>(capacity);
}

PyramidSchedule MakePyramidSchedule(std::int64_t base, std::int64_t prompt_length, std::int64_t window,
                                    int num_layers, double beta, bool exact) {
  PyramidSchedule s;
  s.exact = exact;
  s.min_tokens = exact ? base / beta : std::floor(base / beta);
  s.max_tokens = 2.0 * base - s.min_tokens;
  if (s.max_tokens >= prompt_length - window) {  // short-prompt clamp
    s.max_tokens = static_cast<double>(prompt_length - window);
    s.min_tokens = 2.0 * base - s.max_tokens;
  }
  if (num_layers > 1) {
    s.step = (s.max_tokens - s.min_tokens) / (num_layers - 1);
    if (!exact) s.step = std::floor(s.step);
  }
  return s;
}

SegmentCounts AdaCounts(const at::Tensor& scores, std::int64_t base, double floor_alpha, bool normalize) {
  const int64_t segments = scores.size(0), scored = scores.size(1);
  KVB_CHECK(base >= 0 && base <= scored, "base ", base, " for ", scored, " scored positions");
  at::Tensor ranked = scores;
  if (normalize) {
    // rho_s = (sum of the top-base scores) / (sum of all): a per-segment scale (§4 step 4).
    const at::Tensor top = std::get<0>(at::topk(scores, base, /*dim=*/1)).sum(1);
    ranked = scores * (top / scores.sum(1)).unsqueeze(1);
  }
  const SegmentCounts winners = ops::CountLayerTopK(ranked, segments * base, 0);
  const auto floor_cap = static_cast<int64_t>(static_cast<double>(base) * floor_alpha);  // int(): truncation
  SegmentCounts counts(segments);
  for (int64_t s = 0; s < segments; ++s) {
    const float blended = static_cast<float>(winners[s]) * static_cast<float>(1.0 - floor_alpha) + floor_cap;
    counts[s] = std::clamp<int64_t>(static_cast<int64_t>(std::nearbyint(blended)), 0, scored);
  }
  return counts;
}

}  // namespace kvb
