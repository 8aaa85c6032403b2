// ops::DecodeAttention against naive loops in double precision, over ragged segments
// with sentinel rows in every unused capacity (a kernel reading past a segment's length
// picks up 4096s and fails), GQA ratios 1/4/8, head_dim 64/128, length-0 and full segments.
#include <gtest/gtest.h>

#include <cmath>

#include "kernels/ops.h"
#include "tests/kernels/kernel_test_util.h"

namespace kvb {
namespace {

using testing::MakeLayer;

// fp32 softmax and accumulation over a few hundred terms against a double reference.
constexpr double kAtolF32 = 1e-5;
constexpr double kRtolF32 = 1e-4;
// bf16 inputs and output: 8 mantissa bits, so ~4e-3 relative on the output.
constexpr double kAtolBf16 = 2e-2;
constexpr double kRtolBf16 = 2e-2;

at::Tensor NaiveDecodeAttention(const LayerKV& layer, const at::Tensor& queries, double scale) {
  const int segments = layer.num_segments();
  const int heads = static_cast<int>(queries.size(0));
  const int d = layer.head_dim();
  const at::Tensor k = layer.keys.to(at::kDouble), v = layer.values.to(at::kDouble), q = queries.to(at::kDouble);
  const auto* kp = k.data_ptr<double>();
  const auto* vp = v.data_ptr<double>();
  const auto* qp = q.data_ptr<double>();
  at::Tensor out = at::zeros({heads, d}, at::kDouble);
  auto* op = out.data_ptr<double>();
  for (int h = 0; h < heads; ++h) {
    const int s = h / (heads / segments);
    const int n = layer.host_length[s];
    std::vector<double> weights(n);
    double top = -INFINITY, total = 0;
    for (int t = 0; t < n; ++t) {
      double dot = 0;
      for (int j = 0; j < d; ++j) dot += qp[h * d + j] * kp[(layer.host_offset[s] + t) * d + j];
      weights[t] = dot * scale;
      top = std::max(top, weights[t]);
    }
    for (int t = 0; t < n; ++t) total += (weights[t] = std::exp(weights[t] - top));
    for (int t = 0; t < n; ++t) {
      for (int j = 0; j < d; ++j) op[h * d + j] += weights[t] / total * vp[(layer.host_offset[s] + t) * d + j];
    }
  }
  return out;
}

void CheckDecodeAttention(const std::vector<std::int32_t>& lengths, const std::vector<std::int32_t>& capacities,
                          int group, int head_dim, std::uint64_t seed, at::ScalarType dtype) {
  SCOPED_TRACE(testing::Describe(seed, lengths, head_dim) + ", group " + std::to_string(group));
  const LayerKV layer = MakeLayer(lengths, capacities, head_dim, seed, dtype);
  const at::Tensor keys_before = layer.keys.clone(), values_before = layer.values.clone();
  const int heads = static_cast<int>(lengths.size()) * group;
  const at::Tensor queries = testing::RandomTensor({heads, head_dim}, seed + 1).to(dtype);
  const double scale = 1.0 / std::sqrt(static_cast<double>(head_dim));
  const at::Tensor out = ops::DecodeAttention(layer, queries, scale);
  EXPECT_EQ(out.scalar_type(), dtype);
  const bool f32 = dtype == at::kFloat;
  testing::ExpectAllClose(out, NaiveDecodeAttention(layer, queries, scale), f32 ? kAtolF32 : kAtolBf16,
                          f32 ? kRtolF32 : kRtolBf16, "decode attention");
  EXPECT_TRUE(at::equal(layer.keys, keys_before)) << "keys (sentinels included) modified";
  EXPECT_TRUE(at::equal(layer.values, values_before)) << "values (sentinels included) modified";
}

TEST(DecodeAttention, MatchesNaiveLoopsAcrossGqaAndHeadDims) {
  std::uint64_t seed = 100;
  for (int group : {1, 4, 8}) {
    for (int head_dim : {64, 128}) {
      // Ragged, with a length-0 segment and a segment full to capacity.
      CheckDecodeAttention({5, 0, 17, 9}, {8, 3, 17, 12}, group, head_dim, seed++, at::kFloat);
      CheckDecodeAttention({1, 300}, {4, 300}, group, head_dim, seed++, at::kFloat);
    }
  }
}

TEST(DecodeAttention, Bfloat16) {
  CheckDecodeAttention({5, 0, 33, 9}, {8, 2, 40, 9}, 4, 128, 7, at::kBFloat16);
}

TEST(DecodeAttention, EmptySegmentGivesZeros) {
  const LayerKV layer = MakeLayer({0, 3}, {2, 3}, 64, 3);
  const at::Tensor out = ops::DecodeAttention(layer, testing::RandomTensor({2, 64}, 4), 0.125);
  EXPECT_TRUE(at::equal(out[0], at::zeros({64})));
}

}  // namespace
}  // namespace kvb
