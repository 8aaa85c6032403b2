// h2o: prefill mode keeps the top accumulated-attention positions (vs a naive causal
// loop) plus the window; decode mode evicts exactly one token per step once full, never
// from the recent window, keeping position order.
#include <gtest/gtest.h>

#include <cmath>

#include "tests/methods/method_test_util.h"

namespace kvb {
namespace {

using namespace testing_util;

// Column sums over all query rows of causal softmax attention, group-mean over G.
std::vector<std::vector<double>> NaiveAccumulated(const LayerView& v) {
  const int64_t H = v.shape.num_q_heads, Hkv = v.shape.num_kv_heads, L = v.prompt_length, d = v.shape.head_dim;
  auto q = v.queries.accessor<float, 3>();
  auto k = v.keys.accessor<float, 3>();
  std::vector<std::vector<double>> out(Hkv, std::vector<double>(L, 0.0));
  for (int64_t h = 0; h < H; ++h)
    for (int64_t i = 0; i < L; ++i) {
      std::vector<double> logits(i + 1);
      double top = -1e300, denom = 0;
      for (int64_t j = 0; j <= i; ++j) {
        double dot = 0;
        for (int64_t x = 0; x < d; ++x) dot += double(q[h][i][x]) * k[h / (H / Hkv)][j][x];
        top = std::max(top, logits[j] = dot / std::sqrt(double(d)));
      }
      for (double l : logits) denom += std::exp(l - top);
      for (int64_t j = 0; j <= i; ++j) out[h / (H / Hkv)][j] += std::exp(logits[j] - top) / denom / (H / Hkv);
    }
  return out;
}

std::vector<int64_t> NaiveKeep(const std::vector<double>& scores, int64_t count, int64_t limit) {
  std::vector<int64_t> idx = Range(0, limit);
  std::stable_sort(idx.begin(), idx.end(), [&](int64_t a, int64_t b) { return scores[a] > scores[b]; });
  idx.resize(count);
  std::sort(idx.begin(), idx.end());
  return idx;
}

TEST(H2OTest, PrefillKeepsHeavyHittersAndWindow) {
  LayerView view = RandomView(4, 2, 60, 20, 3);
  auto method = Create("h2o", "{window: 6, chunk_rows: 7}");  // chunks that do not divide L
  KeptPositions kept = method->SelectPrefill(view);
  auto naive = NaiveAccumulated(view);
  for (int s = 0; s < 2; ++s)
    EXPECT_EQ(kept.per_segment[s], Concat(NaiveKeep(naive[s], 14, 54), Range(54, 60))) << "segment " << s;
}

TEST(H2OTest, DecodeModeEvictsExactlyOnePerStepOnceFull) {
  LayerView view = RandomView(4, 2, 40, 12, 4);
  auto method = Create("h2o", "{mode: decode, window: 4}");
  ASSERT_TRUE(method->evicts_while_decoding());
  KeptPositions kept = method->SelectPrefill(view);
  LayerKV layer = MakeLayer(view.keys, kept, 1);
  at::manual_seed(8);
  for (int64_t step = 0; step < 6; ++step) {
    const int64_t position = 40 + step;
    AppendToken(layer, at::randn({2, 8}) * 2, position);
    std::vector<std::vector<int64_t>> before = {HeldPositions(layer, 0), HeldPositions(layer, 1)};
    method->OnDecodeStep({0, step, position, at::randn({4, 8}) * 2}, layer);
    for (int s = 0; s < 2; ++s) {
      auto after = HeldPositions(layer, s);
      ASSERT_EQ(after.size(), 12u) << "step " << step;
      EXPECT_EQ(std::vector<int64_t>(after.end() - 4, after.end()), Range(position - 3, position + 1));
      EXPECT_TRUE(std::is_sorted(after.begin(), after.end()));
      int64_t evicted = 0;
      for (int64_t p : before[s]) evicted += std::find(after.begin(), after.end(), p) == after.end();
      EXPECT_EQ(evicted, 1) << "step " << step;
    }
  }
}

}  // namespace
}  // namespace kvb
