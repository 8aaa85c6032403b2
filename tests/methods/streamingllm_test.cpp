// streamingllm: sinks + recent at prefill; mode decode rolls the window, one token per
// step once full, sinks kept.
#include <gtest/gtest.h>

#include "tests/methods/method_test_util.h"
#include "util/error.h"

namespace kvb {
namespace {

using namespace testing_util;

TEST(StreamingLLMTest, KeepsSinksAndRecent) {
  LayerView view = RandomView(4, 2, 50, 10, 1);
  auto method = Create("streamingllm", "");
  KeptPositions kept = method->SelectPrefill(view);
  ASSERT_EQ(kept.num_segments(), 2);
  for (const auto& positions : kept.per_segment) EXPECT_EQ(positions, Concat(Range(0, 4), Range(44, 50)));
  EXPECT_FALSE(method->evicts_while_decoding());
  EXPECT_EQ(Create("streamingllm", "{sinks: 2}")->SelectPrefill(view).per_segment[1],
            Concat(Range(0, 2), Range(42, 50)));
  EXPECT_EQ(method->SelectPrefill(RandomView(4, 2, 10, 10, 1)).per_segment[0], Range(0, 10));
  EXPECT_THROW(method->SelectPrefill(RandomView(4, 2, 50, 4, 1)), ConfigError);
  EXPECT_THROW(Create("streamingllm", "{positions: cache}"), ConfigError);
}

TEST(StreamingLLMTest, DecodeModeRollsTheWindow) {
  LayerView view = RandomView(4, 2, 30, 8, 2);
  auto method = Create("streamingllm", "{mode: decode, sinks: 2}");
  ASSERT_TRUE(method->evicts_while_decoding());
  KeptPositions kept = method->SelectPrefill(view);
  LayerKV layer = MakeLayer(view.keys, kept, 1);
  for (int64_t step = 0; step < 5; ++step) {
    AppendToken(layer, at::randn({2, 8}), 30 + step);
    method->OnDecodeStep({0, step, 30 + step, at::randn({4, 8})}, layer);
    for (int s = 0; s < 2; ++s)
      EXPECT_EQ(HeldPositions(layer, s), Concat(Range(0, 2), Range(30 + step - 5, 31 + step))) << "step " << step;
  }
}

}  // namespace
}  // namespace kvb
