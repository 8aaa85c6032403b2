// cuda::Compact and cuda::SelectTopK against the ATen references on the CPU: the same
// layout and the same rows bit for bit (a gather does no arithmetic), the same kept sets
// (ties to the lower position, scores drawn from a few values so ties are common), over
// GQA 1/4/8 segment layouts, empty and single-row segments and odd lengths. Label gpu.
#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <vector>

#include "kernels/cpu/reference_ops.h"
#include "kernels/cuda/cuda_ops.h"
#include "kernels/ops.h"
#include "tests/kernels/cuda_test_util.h"
#include "util/error.h"

namespace kvb::testing {
namespace {

// Random ascending kept positions; segment 0 keeps nothing, segment 1 one position and
// the last segment every position, so the edge cases appear in every layout.
KeptPositions RandomKept(int segments, std::int64_t length, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  KeptPositions kept;
  kept.per_segment.resize(segments);
  for (int s = 0; s < segments; ++s) {
    for (std::int64_t p = 0; p < length; ++p) {
      const bool keep = s == segments - 1 || (s == 1 ? p == length / 2 : (s > 1 && rng() % 3 == 0));
      if (keep) kept.per_segment[s].push_back(p);
    }
  }
  return kept;
}

struct CompactCase {
  int kv_heads;
  int segments;  // kv_heads, or kv_heads * G under granularity: query_head
  int length;
  int head_dim;
  at::ScalarType dtype;
};

class CompactCuda : public ::testing::TestWithParam<CompactCase> {};

TEST_P(CompactCuda, SameLayoutAndRowsAsTheReference) {
  KVB_SKIP_WITHOUT_CUDA();
  const CompactCase& c = GetParam();
  at::manual_seed(c.length);
  const at::Tensor keys = at::randn({c.kv_heads, c.length, c.head_dim}).to(c.dtype);
  const at::Tensor values = at::randn({c.kv_heads, c.length, c.head_dim}).to(c.dtype);
  const KeptPositions kept = RandomKept(c.segments, c.length, c.length * 7 + c.segments);
  const LayerKV expected = ops::reference::Compact(keys, values, kept, /*extra_capacity=*/5);
  const LayerKV actual = ops::cuda::Compact(keys.cuda(), values.cuda(), kept, 5);
  ASSERT_EQ(actual.host_offset, expected.host_offset);
  ASSERT_EQ(actual.host_length, expected.host_length);
  ASSERT_EQ(actual.host_capacity, expected.host_capacity);
  EXPECT_TRUE(at::equal(actual.offset.cpu(), expected.offset));
  EXPECT_TRUE(at::equal(actual.length.cpu(), expected.length));
  EXPECT_TRUE(at::equal(actual.capacity.cpu(), expected.capacity));
  ASSERT_EQ(actual.keys.sizes(), expected.keys.sizes());
  for (int s = 0; s < expected.num_segments(); ++s) {
    const std::int64_t offset = expected.host_offset[s], held = expected.host_length[s];
    EXPECT_TRUE(at::equal(BitsOf(actual.keys.cpu().narrow(0, offset, held)), BitsOf(expected.keys.narrow(0, offset, held))))
        << "keys of segment " << s;
    EXPECT_TRUE(at::equal(BitsOf(actual.values.cpu().narrow(0, offset, held)),
                          BitsOf(expected.values.narrow(0, offset, held))))
        << "values of segment " << s;
  }
}

INSTANTIATE_TEST_SUITE_P(Shapes, CompactCuda,
                         ::testing::Values(CompactCase{4, 4, 1, 128, at::kBFloat16}, CompactCase{4, 4, 37, 128, at::kBFloat16},
                                           CompactCase{2, 8, 301, 64, at::kHalf}, CompactCase{2, 16, 129, 128, at::kFloat},
                                           CompactCase{8, 8, 4099, 128, at::kBFloat16}, CompactCase{1, 8, 64, 96, at::kFloat}));

TEST(SelectTopKCuda, SameKeptSetsAsTheReferenceWithTies) {
  KVB_SKIP_WITHOUT_CUDA();
  for (const auto& [segments, scored] : std::vector<std::pair<int, int>>{{1, 1}, {4, 17}, {8, 1000}, {32, 4093}}) {
    // Few distinct values: ties everywhere, resolved toward the lower position.
    const at::Tensor scores = at::randint(0, 7, {segments, scored}).to(at::kFloat) / 7.0;
    std::mt19937_64 rng(segments * 1000 + scored);
    SegmentCounts counts(segments);
    for (int s = 0; s < segments; ++s) counts[s] = s == 0 ? scored : static_cast<std::int64_t>(rng() % (scored + 1));
    const KeptPositions expected = ops::reference::SelectTopK(scores, counts);
    const KeptPositions actual = ops::cuda::SelectTopK(scores.cuda(), counts);
    ASSERT_EQ(actual.per_segment, expected.per_segment) << segments << " x " << scored;
  }
}

TEST(CompactSelectCudaChecks, RejectBadInputs) {
  KVB_SKIP_WITHOUT_CUDA();
  const at::Tensor keys = at::randn({2, 8, 64}).cuda();
  KeptPositions kept;
  kept.per_segment = {{0, 1}, {2}};
  EXPECT_THROW(ops::cuda::Compact(keys.cpu(), keys, kept, 1), Error);
  EXPECT_THROW(ops::cuda::Compact(keys, keys.to(at::kHalf), kept, 1), Error);
  EXPECT_THROW(ops::cuda::Compact(keys, keys, kept, -1), Error);
  kept.per_segment = {{0}, {1}, {2}};  // 3 segments over 2 KV heads
  EXPECT_THROW(ops::cuda::Compact(keys, keys, kept, 1), Error);
  EXPECT_THROW(ops::cuda::SelectTopK(at::rand({2, 8}).cuda(), SegmentCounts{1}), Error);
  EXPECT_THROW(ops::cuda::SelectTopK(at::rand({2, 8}).cuda(), SegmentCounts{1, 9}), Error);
}

}  // namespace
}  // namespace kvb::testing
