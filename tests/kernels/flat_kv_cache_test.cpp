// FlatKVCache reporting: bytes held = sum(lengths) * head_dim * 2 * element size, per
// layer and in total, and tokens kept per segment.
#include <gtest/gtest.h>

#include "kernels/flat_kv_cache.h"
#include "kernels/ops.h"
#include "tests/kernels/kernel_test_util.h"

namespace kvb {
namespace {

TEST(FlatKVCache, BytesAndTokensFollowTheLengths) {
  FlatKVCache cache(2);
  cache.layer(0) = testing::MakeLayer({3, 0, 5}, {4, 2, 5}, 64, 1);
  cache.layer(1) = testing::MakeLayer({1, 1, 1}, {3, 3, 3}, 64, 2, at::kBFloat16);
  EXPECT_EQ(cache.layer(0).BytesHeld(), 8 * 64 * 2 * 4);
  EXPECT_EQ(cache.layer(1).BytesHeld(), 3 * 64 * 2 * 2);
  EXPECT_EQ(cache.BytesHeld(), 8 * 64 * 2 * 4 + 3 * 64 * 2 * 2);
  EXPECT_EQ(cache.layer(0).BytesAllocated(), 11 * 64 * 2 * 4);
  EXPECT_EQ(cache.BytesAllocated(), 11 * 64 * 2 * 4 + 9 * 64 * 2 * 2);
  const auto kept = cache.TokensKept();
  EXPECT_EQ(kept, (std::vector<std::vector<std::int32_t>>{{3, 0, 5}, {1, 1, 1}}));

  ops::Append(cache.layer(1), testing::RandomTensor({3, 64}, 3).to(at::kBFloat16),
              testing::RandomTensor({3, 64}, 4).to(at::kBFloat16));
  EXPECT_EQ(cache.layer(1).BytesHeld(), 6 * 64 * 2 * 2);
}

TEST(FlatKVCache, KeptPositionsTotal) {
  KeptPositions kept;
  kept.per_segment = {{1, 2}, {}, {0, 4, 7}};
  EXPECT_EQ(kept.total(), 5);
}

}  // namespace
}  // namespace kvb
