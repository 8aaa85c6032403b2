// snapkv: kept positions on crafted scores (GQA and not), ties to the lower position,
// the window always kept, L <= B uncompressed, budget <= window rejected, query_head
// equal to the references' repeated-KV selection, protocol presets.
#include <gtest/gtest.h>

#include "tests/methods/method_test_util.h"
#include "util/error.h"

namespace kvb {
namespace {

using namespace testing_util;

TEST(SnapKVTest, KeepsTopScoredPlusWindowPerKvHead) {
  // L 12, w 2, B 5: three non-window picks per KV head. Pooling off to read ranks directly.
  LayerView view = CraftedView(4, {{{3, 4.f}, {7, 3.f}, {1, 2.f}, {9, 1.f}}, {{0, 5.f}, {8, 4.f}, {5, 3.f}}}, 12, 5);
  auto method = Create("snapkv", "{window: 2, pooling: none}");
  KeptPositions kept = method->SelectPrefill(view);
  ASSERT_EQ(kept.num_segments(), 2);
  EXPECT_EQ(kept.per_segment[0], (std::vector<int64_t>{1, 3, 7, 10, 11}));
  EXPECT_EQ(kept.per_segment[1], (std::vector<int64_t>{0, 5, 8, 10, 11}));
}

TEST(SnapKVTest, MaxPoolingSpreadsAPeakToItsNeighbours) {
  // One peak at 6 with kernel 3 makes 5, 6, 7 tie at the top; B - w = 3 keeps exactly them.
  LayerView view = CraftedView(1, {{{6, 6.f}}}, 14, 5);
  auto method = Create("snapkv", "{window: 2, kernel: 3}");
  EXPECT_EQ(method->SelectPrefill(view).per_segment[0], (std::vector<int64_t>{5, 6, 7, 12, 13}));
}

TEST(SnapKVTest, TiesGoToTheLowerPosition) {
  LayerView view = CraftedView(2, {{}}, 20, 6);  // uniform attention: every score equal
  auto method = Create("snapkv", "{window: 3}");
  EXPECT_EQ(method->SelectPrefill(view).per_segment[0], (std::vector<int64_t>{0, 1, 2, 17, 18, 19}));
}

TEST(SnapKVTest, WindowAlwaysKeptAndBudgetExact) {
  for (uint64_t seed = 0; seed < 4; ++seed) {
    LayerView view = RandomView(8, 2, 64, 20, seed);
    for (const char* granularity : {"kv_head", "query_head"}) {
      auto method = Create("snapkv", std::string("{window: 8, granularity: ") + granularity + "}");
      KeptPositions kept = method->SelectPrefill(view);
      ASSERT_EQ(kept.num_segments(), std::string(granularity) == "kv_head" ? 2 : 8);
      for (const auto& positions : kept.per_segment) {
        ASSERT_EQ(positions.size(), 20u) << "seed " << seed;
        EXPECT_EQ(std::vector<int64_t>(positions.end() - 8, positions.end()), Range(56, 64)) << "seed " << seed;
        EXPECT_TRUE(std::is_sorted(positions.begin(), positions.end()));
      }
    }
  }
}

TEST(SnapKVTest, ShortPromptIsNotCompressed) {
  LayerView view = RandomView(4, 4, 30, 30, 1);
  EXPECT_EQ(Create("snapkv", "{window: 4}")->SelectPrefill(view).per_segment[2], Range(0, 30));
}

TEST(SnapKVTest, BudgetNotAboveWindowIsAnError) {
  LayerView view = RandomView(4, 4, 100, 32, 1);
  EXPECT_THROW(Create("snapkv", "")->SelectPrefill(view), ConfigError);
}

TEST(SnapKVTest, QueryHeadEqualsRepeatedKvSelection) {
  // The references repeat K/V to H heads and select per query head: the same as kv_head
  // mode on an MHA view whose keys are the repeated ones.
  for (uint64_t seed = 10; seed < 14; ++seed) {
    LayerView gqa = RandomView(8, 2, 80, 24, seed);
    LayerView repeated = gqa;
    repeated.shape.num_kv_heads = 8;
    repeated.keys = gqa.keys.repeat_interleave(4, 0);
    repeated.values = gqa.values.repeat_interleave(4, 0);
    auto query_head = Create("snapkv", "{window: 8, granularity: query_head}");
    auto mha = Create("snapkv", "{window: 8}");
    EXPECT_EQ(query_head->SelectPrefill(gqa).per_segment, mha->SelectPrefill(repeated).per_segment) << "seed " << seed;
    EXPECT_EQ(query_head->granularity(), Granularity::kQueryHead);
  }
}

TEST(SnapKVTest, ProtocolPresetsSetDefaults) {
  auto kvpress = Create("snapkv", "{protocol: kvpress}");
  EXPECT_EQ(kvpress->params().GetInt("window"), 64);
  EXPECT_EQ(kvpress->params().GetString("pooling"), "avg");
  auto pyramid = Create("snapkv", "{protocol: pyramidkv, window: 16}");
  EXPECT_EQ(pyramid->params().GetInt("window"), 16);
  EXPECT_EQ(pyramid->granularity(), Granularity::kQueryHead);
  EXPECT_THROW(Create("snapkv", "{kernel: 4}"), ConfigError);
  EXPECT_THROW(Create("snapkv", "{windw: 4}"), ConfigError);
}

}  // namespace
}  // namespace kvb
