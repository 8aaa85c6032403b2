// ops::SelectTopK and ops::CountLayerTopK, the ATen references. Ties go to the lower
// position (spec Part 1 §3): a stable descending sort keeps equal scores in index order.
#include <algorithm>
#include <limits>

#include "kernels/cpu/reference_ops.h"
#include "util/error.h"

namespace kvb::ops {
namespace {

// Indices of `scores` along its last dim, best first, ties in index order.
at::Tensor RankDescending(const at::Tensor& scores) {
  return std::get<1>(at::sort(scores, /*stable=*/true, /*dim=*/-1, /*descending=*/true));
}

void RequireScores(const at::Tensor& scores, const char* op) {
  KVB_REQUIRE(scores.dim() == 2 && scores.scalar_type() == at::kFloat, op, ": scores must be [S, T] f32, got ",
              scores.sizes(), " ", scores.scalar_type());
}

}  // namespace

namespace reference {

KeptPositions SelectTopK(const at::Tensor& scores, const SegmentCounts& counts) {
  RequireScores(scores, "SelectTopK");
  const int64_t segments = scores.size(0), scored = scores.size(1);
  KVB_REQUIRE(static_cast<int64_t>(counts.size()) == segments, "SelectTopK: ", counts.size(), " counts for ",
              segments, " segments");
  const at::Tensor ranked = RankDescending(scores).cpu();  // [S, T] int64
  const auto order = ranked.accessor<int64_t, 2>();
  KeptPositions kept;
  kept.per_segment.resize(segments);
  for (int64_t s = 0; s < segments; ++s) {
    KVB_REQUIRE(counts[s] >= 0 && counts[s] <= scored, "SelectTopK: segment ", s, " count ", counts[s],
                " outside [0, ", scored, "]");
    auto& positions = kept.per_segment[s];
    for (int64_t r = 0; r < counts[s]; ++r) positions.push_back(order[s][r]);
    std::sort(positions.begin(), positions.end());
  }
  return kept;
}

}  // namespace reference

SegmentCounts CountLayerTopK(const at::Tensor& scores, std::int64_t total, std::int64_t floor_per_segment) {
  RequireScores(scores, "CountLayerTopK");
  const int64_t segments = scores.size(0), scored = scores.size(1);
  KVB_REQUIRE(floor_per_segment >= 0 && floor_per_segment <= scored, "CountLayerTopK: floor ",
              floor_per_segment, " outside [0, ", scored, "]");
  KVB_REQUIRE(total >= segments * floor_per_segment && total <= segments * scored, "CountLayerTopK: total ",
              total, " outside [", segments * floor_per_segment, ", ", segments * scored, "]");
  at::Tensor work = scores.clone();
  if (floor_per_segment > 0) {
    // Each segment's own top entries win first: lift them above every score.
    const at::Tensor protect = RankDescending(scores).slice(1, 0, floor_per_segment);
    work.scatter_(1, protect, std::numeric_limits<float>::infinity());
  }
  // Across segments, equal scores go to the lower (segment, position) flat index.
  const at::Tensor winners = RankDescending(work.reshape({-1})).slice(0, 0, total);
  const at::Tensor per_segment =
      at::bincount(at::floor_divide(winners, scored), /*weights=*/{}, /*minlength=*/segments).cpu();
  SegmentCounts counts(segments);
  for (int64_t s = 0; s < segments; ++s) counts[s] = per_segment[s].item<int64_t>();
  return counts;
}

}  // namespace kvb::ops
