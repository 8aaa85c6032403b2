// ops::WindowScores against a naive loop written from spec methods.md §0.1, every
// element, GQA and not, every reduction / pooling option, and score_dtype: model.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "kernels/ops.h"

namespace kvb {
namespace {

// fp32 logits summed in double; differences are accumulation order only.
constexpr double kAtolF32 = 1e-6, kRtolF32 = 1e-5;
// Rounded through bf16: one bf16 ulp (2^-8 relative) may flip where fp32 and double differ.
constexpr double kAtolBf16 = 1e-6, kRtolBf16 = 8e-3;

using Grid = std::vector<std::vector<double>>;  // [rows][T]

double Round(double v, at::ScalarType dtype) {
  if (dtype == at::kBFloat16) return static_cast<float>(c10::BFloat16(static_cast<float>(v)));
  if (dtype == at::kHalf) return static_cast<float>(c10::Half(static_cast<float>(v)));
  return static_cast<float>(v);
}

Grid NaiveWindowScores(const at::Tensor& q, const at::Tensor& k, const ops::WindowScoreOptions& o) {
  const int64_t H = q.size(0), w = q.size(1), d = q.size(2), Hkv = k.size(0), L = k.size(1), G = H / Hkv;
  const int64_t T = L - w;
  auto qa = q.accessor<float, 3>();
  auto ka = k.accessor<float, 3>();
  const double scale = 1.0 / std::sqrt(static_cast<double>(d));
  const auto r = o.softmax_round_dtype;
  Grid per_head(H, std::vector<double>(T, 0.0));
  for (int64_t h = 0; h < H; ++h) {
    for (int64_t i = 0; i < w; ++i) {
      std::vector<double> logit(L);
      double top = -std::numeric_limits<double>::infinity();
      for (int64_t j = 0; j < L; ++j) {
        double dot = 0;
        for (int64_t x = 0; x < d; ++x) dot += double(qa[h][i][x]) * ka[h / G][j][x];
        const bool future = j >= T && (j - T) > i;
        logit[j] = future ? -std::numeric_limits<double>::infinity() : dot * scale;
        top = std::max(top, logit[j]);
      }
      double denom = 0;
      for (int64_t j = 0; j < L; ++j) denom += std::exp(logit[j] - top);
      for (int64_t j = 0; j < T; ++j) per_head[h][j] += Round(std::exp(logit[j] - top) / denom, r);
    }
    for (int64_t j = 0; j < T; ++j) {
      if (o.window_reduction == ops::WindowReduction::kMean) per_head[h][j] /= w;
      per_head[h][j] = Round(per_head[h][j], r);
    }
  }
  Grid grouped = per_head;
  if (o.group_reduction != ops::GroupReduction::kNone) {
    grouped.assign(Hkv, std::vector<double>(T, 0.0));
    for (int64_t s = 0; s < Hkv; ++s)
      for (int64_t j = 0; j < T; ++j) {
        double acc = o.group_reduction == ops::GroupReduction::kMax ? -1e300 : 0.0;
        for (int64_t g = 0; g < G; ++g) {
          double v = per_head[s * G + g][j];
          acc = o.group_reduction == ops::GroupReduction::kMax ? std::max(acc, v) : acc + v / G;
        }
        grouped[s][j] = Round(acc, r);
      }
  }
  if (o.pooling == ops::Pooling::kNone) return grouped;
  Grid pooled = grouped;
  const int64_t half = o.kernel_size / 2;
  for (size_t s = 0; s < grouped.size(); ++s)
    for (int64_t j = 0; j < T; ++j) {
      double mx = -std::numeric_limits<double>::infinity(), sum = 0;
      for (int64_t t = j - half; t <= j + half; ++t) {
        if (t < 0 || t >= T) continue;  // max: -inf padding; avg: zero padding
        mx = std::max(mx, grouped[s][t]);
        sum += grouped[s][t];
      }
      pooled[s][j] = Round(o.pooling == ops::Pooling::kMax ? mx : sum / o.kernel_size, r);
    }
  return pooled;
}

struct Case {
  int64_t heads, kv_heads, window, length, head_dim;
  ops::WindowReduction window_reduction;
  ops::GroupReduction group_reduction;
  ops::Pooling pooling;
  int kernel;
  at::ScalarType round;
};

void CheckCase(const Case& c, uint64_t seed) {
  at::manual_seed(seed);
  at::Tensor q = at::randn({c.heads, c.window, c.head_dim}) * 2.0;
  at::Tensor k = at::randn({c.kv_heads, c.length, c.head_dim}) * 2.0;
  ops::WindowScoreOptions o;
  o.window_reduction = c.window_reduction;
  o.group_reduction = c.group_reduction;
  o.pooling = c.pooling;
  o.kernel_size = c.kernel;
  o.softmax_round_dtype = c.round;
  at::Tensor got = ops::WindowScores(q, k, o);
  Grid want = NaiveWindowScores(q, k, o);
  const std::string label = (::testing::Message() << "seed " << seed << " H=" << c.heads << " H_kv=" << c.kv_heads
                                               << " w=" << c.window << " L=" << c.length << " k=" << c.kernel).GetString();
  ASSERT_EQ(got.scalar_type(), at::kFloat) << label;
  ASSERT_EQ(got.size(0), static_cast<int64_t>(want.size())) << label;
  ASSERT_EQ(got.size(1), c.length - c.window) << label;
  const double atol = c.round == at::kFloat ? kAtolF32 : kAtolBf16;
  const double rtol = c.round == at::kFloat ? kRtolF32 : kRtolBf16;
  auto ga = got.accessor<float, 2>();
  for (size_t s = 0; s < want.size(); ++s)
    for (size_t j = 0; j < want[s].size(); ++j)
      ASSERT_NEAR(ga[s][j], want[s][j], atol + rtol * std::abs(want[s][j])) << label << " at [" << s << "," << j << "]";
}

using WR = ops::WindowReduction;
using GR = ops::GroupReduction;
using PL = ops::Pooling;

TEST(WindowScoresTest, MatchesNaiveLoopAcrossOptions) {
  uint64_t seed = 1234;
  for (auto [heads, kv_heads] : {std::pair<int64_t, int64_t>{4, 4}, {8, 2}, {8, 1}}) {
    for (WR wr : {WR::kSum, WR::kMean})
      for (GR gr : {GR::kNone, GR::kMean, GR::kMax})
        for (PL pl : {PL::kNone, PL::kMax, PL::kAvg})
          for (int kernel : {1, 5, 7})
            CheckCase({heads, kv_heads, 4, 23, 16, wr, gr, pl, kernel, at::kFloat}, seed++);
  }
}

TEST(WindowScoresTest, ScoreDtypeModelRoundsLikeTheReferences) {
  uint64_t seed = 99;
  for (at::ScalarType dtype : {at::kBFloat16, at::kHalf})
    for (GR gr : {GR::kNone, GR::kMean, GR::kMax})
      for (PL pl : {PL::kMax, PL::kAvg})
        CheckCase({8, 2, 5, 40, 8, WR::kMean, gr, pl, 7, dtype}, seed++);
}

TEST(WindowScoresTest, RoundingCreatesTiesThatFp32DoesNot) {
  at::manual_seed(5);
  at::Tensor q = at::randn({2, 8, 16});
  at::Tensor k = at::randn({2, 300, 16}) * 0.01;  // near-uniform attention: many close scores
  ops::WindowScoreOptions o;
  o.pooling = PL::kNone;
  at::Tensor exact = ops::WindowScores(q, k, o);
  o.softmax_round_dtype = at::kBFloat16;
  at::Tensor rounded = ops::WindowScores(q, k, o);
  auto distinct = [](const at::Tensor& t) { return std::get<0>(at::_unique(t.flatten())).numel(); };
  EXPECT_LT(distinct(rounded), distinct(exact) / 4);
}

TEST(WindowScoresTest, WindowBlockIsCausalAndOtherKeysVisible) {
  // One head, w = 2, L = 3: window row 0 (position 1) must not see key 2; the scored
  // column 0 then gets 1/2 from row 0 (keys 0,1 equal) and 1/3 from row 1.
  at::Tensor q = at::zeros({1, 2, 4});
  at::Tensor k = at::zeros({1, 3, 4});
  ops::WindowScoreOptions o;
  o.pooling = PL::kNone;
  o.window_reduction = WR::kSum;
  at::Tensor s = ops::WindowScores(q, k, o);
  ASSERT_EQ(s.size(1), 1);
  EXPECT_NEAR(s[0][0].item<float>(), 0.5 + 1.0 / 3.0, 1e-6);
}

TEST(WindowScoresTest, MaxPoolPadsWithMinusInfinityAndAvgPoolCountsPadding) {
  // Negative-free scores make -inf vs 0 padding invisible for max; use avg to check /k.
  at::Tensor q = at::zeros({1, 1, 4});
  at::Tensor k = at::zeros({1, 5, 4});  // uniform: each of 4 scored columns gets 1/5
  ops::WindowScoreOptions o;
  o.pooling = PL::kAvg;
  o.kernel_size = 3;
  at::Tensor s = ops::WindowScores(q, k, o);
  EXPECT_NEAR(s[0][0].item<float>(), (2.0 / 5) / 3, 1e-6);  // edge: one zero pad counted
  EXPECT_NEAR(s[0][1].item<float>(), (3.0 / 5) / 3, 1e-6);
  o.pooling = PL::kMax;
  s = ops::WindowScores(q, k, o);
  EXPECT_NEAR(s[0][0].item<float>(), 0.2, 1e-6);
}

}  // namespace
}  // namespace kvb
