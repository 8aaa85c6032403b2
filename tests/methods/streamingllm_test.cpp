// streamingllm: sinks + recent at prefill; mode decode rolls the window, one token per
// step once full, sinks kept; positions: cache rewrites the sinks rotated by the eviction
// count, from their original keys each time (tests/model/streamingllm_positions_test checks
// the attention against the paper's numbering).
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

// A stand-in rotation that adds delta: the sink rows must read original + shift, never
// a rotation of an already rotated row.
at::Tensor AddDelta(const at::Tensor& keys, std::int64_t delta) { return keys + static_cast<double>(delta); }

TEST(StreamingLLMTest, CachePositionsRewriteTheSinksByTheShift) {
  LayerView view = RandomView(4, 2, 30, 8, 3);
  view.rotate_keys = AddDelta;
  auto method = Create("streamingllm", "{mode: decode, sinks: 2, positions: cache}");
  method->BeginPrompt(view.shape, view.prompt_length, view.budget);
  const KeptPositions kept = method->SelectPrefill(view);
  LayerKV layer = MakeLayer(view.keys, kept, 1);
  const at::Tensor original = ops::ReadLeadingKeys(layer, 2).clone();
  const at::Tensor recent = layer.keys.narrow(0, 2, 6).clone();
  method->AfterPrefill(view, layer);
  EXPECT_TRUE(at::equal(ops::ReadLeadingKeys(layer, 2), original + 22.0)) << "30 - 8 tokens evicted at prefill";
  EXPECT_TRUE(at::equal(layer.keys.narrow(0, 2, 6), recent)) << "only the sinks move";
  for (int64_t step = 0; step < 3; ++step) {
    AppendToken(layer, at::randn({2, 8}), 30 + step);
    method->OnDecodeStep({0, step, 30 + step, at::randn({4, 8}), AddDelta}, layer);
    EXPECT_TRUE(at::equal(ops::ReadLeadingKeys(layer, 2), original + (23.0 + step))) << "step " << step;
  }
}

TEST(StreamingLLMTest, CachePositionsWithoutEvictionChangeNothing) {
  LayerView view = RandomView(4, 2, 8, 8, 4);
  view.rotate_keys = [](const at::Tensor&, std::int64_t) -> at::Tensor { throw Error("must not rotate"); };
  auto method = Create("streamingllm", "{positions: cache}");
  method->BeginPrompt(view.shape, view.prompt_length, view.budget);
  LayerKV layer = MakeLayer(view.keys, method->SelectPrefill(view), 4);
  const at::Tensor before = layer.keys.clone();
  method->AfterPrefill(view, layer);
  EXPECT_TRUE(at::equal(layer.keys, before));
}

}  // namespace
}  // namespace kvb
