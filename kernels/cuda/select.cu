// ops::cuda::SelectTopK: the per-segment top-k with ATen's device primitives (the sort is
// CUB's segmented radix sort, which no hand-written kernel here would beat); the point of
// this path is what crosses to the host: only the kept positions, not the [S, T] ranking
// the reference reads back.
#include <c10/cuda/CUDAGuard.h>

#include "kernels/cuda/cuda_ops.h"
#include "util/error.h"

namespace kvb::ops::cuda {

// Ranks on the device (ATen's stable sort: CUB's segmented radix sort), marks each
// segment's first counts[s] ranks in a [S, T] mask, and reads back only the kept
// positions: nonzero() of the mask lists them segment by segment, ascending.
KeptPositions SelectTopK(const at::Tensor& scores, const SegmentCounts& counts) {
  KVB_REQUIRE(scores.defined() && scores.dim() == 2 && scores.scalar_type() == at::kFloat && scores.is_cuda(),
              "select: scores must be a [S, T] f32 CUDA tensor");
  const std::int64_t segments = scores.size(0), scored = scores.size(1);
  KVB_REQUIRE(static_cast<std::int64_t>(counts.size()) == segments, "select: ", counts.size(), " counts for ",
              segments, " segments");
  for (std::int64_t s = 0; s < segments; ++s) {
    KVB_REQUIRE(counts[s] >= 0 && counts[s] <= scored, "select: segment ", s, " count ", counts[s],
                " outside [0, ", scored, "]");
  }
  const c10::cuda::CUDAGuard guard(scores.device());
  const at::Tensor ranked = std::get<1>(at::sort(scores, /*stable=*/true, /*dim=*/-1, /*descending=*/true));
  const at::Tensor limit = at::tensor(counts, at::TensorOptions().dtype(at::kLong)).to(scores.device());
  const at::Tensor wanted = at::arange(scored, limit.options()).unsqueeze(0) < limit.unsqueeze(1);  // by rank
  const at::Tensor mask = at::zeros_like(wanted).scatter_(1, ranked, wanted);                     // by position
  const at::Tensor found = at::nonzero(mask).cpu();  // [kept, 2]: (segment, position), row-major order
  const auto rows = found.accessor<std::int64_t, 2>();
  KeptPositions kept;
  kept.per_segment.resize(segments);
  for (std::int64_t i = 0; i < found.size(0); ++i) kept.per_segment[rows[i][0]].push_back(rows[i][1]);
  return kept;
}

}  // namespace kvb::ops::cuda
