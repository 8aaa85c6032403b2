// Helpers shared by the FlatKVCache op tests: seeded layouts with sentinel rows in every
// segment's unused capacity, and element-wise comparison with named tolerances (STYLE P7).
#pragma once

#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "kernels/flat_kv_cache.h"

namespace kvb::testing {

// A value no op ever writes: any element still equal to it after an op was untouched.
constexpr float kSentinel = 4096.0f;

// A layer whose segments hold `lengths[s]` random rows followed by capacity - length
// sentinel rows. Seeded; every row outside the valid prefix is kSentinel.
inline LayerKV MakeLayer(const std::vector<std::int32_t>& lengths, const std::vector<std::int32_t>& capacities,
                         int head_dim, std::uint64_t seed, at::ScalarType dtype = at::kFloat) {
  LayerKV layer;
  std::int32_t offset = 0;
  for (size_t s = 0; s < lengths.size(); ++s) {
    layer.host_offset.push_back(offset);
    layer.host_length.push_back(lengths[s]);
    layer.host_capacity.push_back(capacities[s]);
    offset += capacities[s];
  }
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<float> keys(static_cast<size_t>(offset) * head_dim, kSentinel);
  std::vector<float> values(keys.size(), kSentinel);
  for (size_t s = 0; s < lengths.size(); ++s) {
    for (std::int32_t row = 0; row < lengths[s]; ++row) {
      for (int j = 0; j < head_dim; ++j) {
        const size_t at = (static_cast<size_t>(layer.host_offset[s] + row)) * head_dim + j;
        keys[at] = normal(rng);
        values[at] = normal(rng);
      }
    }
  }
  const auto f32 = at::TensorOptions().dtype(at::kFloat);
  layer.keys = at::tensor(keys, f32).view({offset, head_dim}).to(dtype);
  layer.values = at::tensor(values, f32).view({offset, head_dim}).to(dtype);
  const auto i32 = at::TensorOptions().dtype(at::kInt);
  layer.offset = at::tensor(layer.host_offset, i32);
  layer.length = at::tensor(layer.host_length, i32);
  layer.capacity = at::tensor(layer.host_capacity, i32);
  return layer;
}

inline at::Tensor RandomTensor(std::vector<std::int64_t> shape, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::int64_t count = 1;
  for (auto d : shape) count *= d;
  std::vector<float> data(static_cast<size_t>(count));
  for (auto& x : data) x = normal(rng);
  return at::tensor(data, at::TensorOptions().dtype(at::kFloat)).view(shape);
}

inline std::string Describe(std::uint64_t seed, const std::vector<std::int32_t>& lengths, int head_dim) {
  std::ostringstream out;
  out << "seed " << seed << ", head_dim " << head_dim << ", lengths [";
  for (size_t i = 0; i < lengths.size(); ++i) out << (i ? "," : "") << lengths[i];
  out << "]";
  return out.str();
}

// Every element: |actual - expected| <= atol + rtol * |expected|.
inline void ExpectAllClose(const at::Tensor& actual, const at::Tensor& expected, double atol, double rtol,
                           const std::string& what) {
  ASSERT_EQ(actual.sizes(), expected.sizes()) << what;
  const at::Tensor a = actual.to(at::kDouble).contiguous().flatten();
  const at::Tensor e = expected.to(at::kDouble).contiguous().flatten();
  const auto* pa = a.data_ptr<double>();
  const auto* pe = e.data_ptr<double>();
  int reported = 0;
  for (std::int64_t i = 0; i < a.numel(); ++i) {
    if (!(std::abs(pa[i] - pe[i]) <= atol + rtol * std::abs(pe[i]))) {
      ADD_FAILURE() << what << ": element " << i << " is " << pa[i] << ", expected " << pe[i];
      if (++reported == 5) return;
    }
  }
}

}  // namespace kvb::testing
