// ada_snapkv: per-head counts with floor_alpha 0.2 (and 0.5 for half-even rounding),
// normalize, and the kept sets on a real view (window kept, layer total ~ S (B - w)).
#include <gtest/gtest.h>

#include <numeric>

#include "methods/allocation.h"
#include "tests/methods/method_test_util.h"

namespace kvb {
namespace {

using namespace testing_util;

at::Tensor Rows(const std::vector<std::vector<float>>& rows) {
  at::Tensor t = at::empty({int64_t(rows.size()), int64_t(rows[0].size())});
  for (size_t s = 0; s < rows.size(); ++s)
    for (size_t j = 0; j < rows[s].size(); ++j) t[s][j] = rows[s][j];
  return t;
}

// Segment 0 wins all its 10 slots, segment 1 five, segment 2 none: n = {10, 5, 0}.
at::Tensor ThreeHeads() {
  return Rows({{100, 99, 98, 97, 96, 95, 94, 93, 92, 91},
               {50, 49, 48, 47, 46, 1, 1, 1, 1, 1},
               {0.5, 0.4, 0.3, 0.2, 0.1, 0, 0, 0, 0, 0}});
}

TEST(AdaSnapKVTest, CountsWithFloorAlphaPointTwo) {
  // base 5: floorCap = int(1.0) = 1; c = round(0.8 n + 1) = {9, 5, 1}.
  EXPECT_EQ(AdaCounts(ThreeHeads(), 5, 0.2, false), (SegmentCounts{9, 5, 1}));
}

TEST(AdaSnapKVTest, RoundingIsHalfEven) {
  // alpha 0.5: floorCap = int(2.5) = 2 (truncation); c = round(0.5 n + 2) = {7, round(4.5) = 4, 2}.
  EXPECT_EQ(AdaCounts(ThreeHeads(), 5, 0.5, false), (SegmentCounts{7, 4, 2}));
}

TEST(AdaSnapKVTest, NormalizeScalesByTopMassShare) {
  // rho = {8/16, 4/4}: normalised {2,2,2,2} and {3,1,0,0}; the global top 4 becomes
  // segment 1's 3, then segment 0's 2s (lower segment first): n = {3, 1}.
  at::Tensor scores = Rows({{4, 4, 4, 4}, {3, 1, 0, 0}});
  EXPECT_EQ(AdaCounts(scores, 2, 0.0, false), (SegmentCounts{4, 0}));
  EXPECT_EQ(AdaCounts(scores, 2, 0.0, true), (SegmentCounts{3, 1}));
}

TEST(AdaSnapKVTest, KeepsWindowAndAboutTheLayerBudget) {
  LayerView view = RandomView(8, 4, 120, 24, 7);
  auto method = Create("ada_snapkv", "{window: 8}");
  KeptPositions kept = method->SelectPrefill(view);
  ASSERT_EQ(kept.num_segments(), 4);
  int64_t total = 0;
  for (const auto& positions : kept.per_segment) {
    ASSERT_GE(positions.size(), 8u + 3);  // window + floor int(16 * 0.2)
    EXPECT_EQ(std::vector<int64_t>(positions.end() - 8, positions.end()), Range(112, 120));
    total += positions.size() - 8;
  }
  EXPECT_NEAR(total, 4 * 16, 4);  // per-head rounding
  EXPECT_TRUE(Create("ada_snapkv", "{protocol: headkv}")->params().GetBool("normalize"));
}

}  // namespace
}  // namespace kvb
