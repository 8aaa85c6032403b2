// pyramidkv: the integer schedule table of spec §3 (with its over-allocation), the exact
// schedule's mean, per-prompt recomputation, KVCache-Factory's short-prompt fallback.
#include <gtest/gtest.h>

#include "methods/allocation.h"
#include "tests/methods/method_test_util.h"

namespace kvb {
namespace {

using namespace testing_util;

struct Row { int64_t budget, window, min_n, max_n, step, cap0, cap31; double mean_cap; };

TEST(PyramidKVTest, IntegerScheduleTableOfSpecSection3) {
  const Row table[] = {{64, 8, 2, 110, 3, 110, 17, 63.5},       {128, 8, 6, 234, 7, 234, 17, 125.5},
                       {128, 32, 4, 188, 5, 188, 33, 110.5},    {256, 32, 11, 437, 13, 437, 34, 235.5},
                       {512, 32, 24, 936, 29, 936, 37, 486.5},  {1024, 32, 49, 1935, 60, 1935, 75, 1005},
                       {2048, 32, 100, 3932, 123, 3932, 119, 2025.5}};
  for (const Row& r : table) {
    PyramidSchedule s = MakePyramidSchedule(r.budget - r.window, 100000, r.window, 32, 20, false);
    EXPECT_EQ(s.min_tokens, r.min_n) << "B=" << r.budget << " w=" << r.window;
    EXPECT_EQ(s.max_tokens, r.max_n) << "B=" << r.budget;
    EXPECT_EQ(s.step, r.step) << "B=" << r.budget;
    EXPECT_EQ(s.Capacity(0), r.cap0) << "B=" << r.budget;
    EXPECT_EQ(s.Capacity(31), r.cap31) << "B=" << r.budget;
    double sum = 0;
    for (int l = 0; l < 32; ++l) sum += s.Capacity(l);
    EXPECT_DOUBLE_EQ(sum / 32, r.mean_cap) << "B=" << r.budget;
  }
}

TEST(PyramidKVTest, ExactScheduleMeanIsTheBase) {
  PyramidSchedule s = MakePyramidSchedule(96, 100000, 32, 32, 20, true);
  double sum = 0;
  for (int l = 0; l < 32; ++l) sum += s.Capacity(l);
  EXPECT_NEAR(sum / 32, 96, 0.5);
}

TEST(PyramidKVTest, ScheduleIsRecomputedPerPrompt) {
  // base 56, w 8: maxN 110 unclamped; a 100-token prompt clamps it to 92.
  auto method = Create("pyramidkv", "{window: 8}");
  LayerView longer = RandomView(2, 2, 400, 64, 1, /*layer=*/0, /*num_layers=*/32);
  LayerView shorter = RandomView(2, 2, 100, 64, 2, 0, 32);
  EXPECT_EQ(method->SelectPrefill(longer).per_segment[0].size(), 110u + 8);
  EXPECT_EQ(method->SelectPrefill(shorter).per_segment[0].size(), 92u + 8);
  EXPECT_EQ(method->SelectPrefill(longer).per_segment[0].size(), 110u + 8);
}

TEST(PyramidKVTest, LayersKeepTheScheduleAndTheWindow) {
  auto method = Create("pyramidkv", "{window: 4, beta: 2}");
  const PyramidSchedule s = MakePyramidSchedule(12, 200, 4, 4, 2, false);
  for (int layer = 0; layer < 4; ++layer) {
    LayerView view = RandomView(4, 2, 200, 16, layer, layer, 4);
    KeptPositions kept = method->SelectPrefill(view);
    for (const auto& positions : kept.per_segment) {
      EXPECT_EQ(static_cast<int64_t>(positions.size()), s.Capacity(layer) + 4) << "layer " << layer;
      EXPECT_EQ(positions.back(), 199);
    }
  }
}

TEST(PyramidKVTest, ShortPromptFallbackIsUniformSnapKV) {
  // L < 2 (B - w): KVCache-Factory ignores the pyramid (pitfall P2).
  LayerView view = RandomView(4, 2, 100, 64, 3, 0, 32);
  auto fallback = Create("pyramidkv", "{window: 8, short_prompt: uniform}");
  auto snapkv = Create("snapkv", "{window: 8}");
  EXPECT_EQ(fallback->SelectPrefill(view).per_segment, snapkv->SelectPrefill(view).per_segment);
  EXPECT_EQ(Create("pyramidkv", "{protocol: pyramidkv}")->params().GetString("short_prompt"), "uniform");
}

}  // namespace
}  // namespace kvb
