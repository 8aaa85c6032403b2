// Helpers of the CUDA kernel tests (tests/kernels/*_cuda_test.cpp): flat layers with
// sentinel rows around every segment, device copies, bitwise sentinel checks, and an
// every-element comparison with named tolerances (STYLE P7).
#pragma once

#include <ATen/ATen.h>
#include <gtest/gtest.h>
#include <torch/cuda.h>

#include <algorithm>
#include <cstdint>
#include <sstream>
#include <string>
#include <vector>

#include "kernels/flat_kv_cache.h"

namespace kvb::testing {

#define KVB_SKIP_WITHOUT_CUDA() \
  if (!torch::cuda::is_available()) GTEST_SKIP() << "no CUDA device: the gpu-labelled kernel tests need one"

// atol + rtol * |reference| per element; `why` is printed with every failure.
struct Tolerance {
  double atol;
  double rtol;
  const char* why;
};

// Rows before the first segment and after the last one, all sentinels.
constexpr int kGuardRows = 3;

// Sentinel rows are NaN by default: a kernel that reads one poisons its output, and one
// that writes one changes its bits.
constexpr float kNanSentinel = NAN;

// A layer on the CPU: segment s holds lengths[s] random rows (N(0,1), never zeros) and
// capacities[s] - lengths[s] sentinel rows; kGuardRows sentinel rows lead and trail the
// buffer.
inline LayerKV MakeCpuLayer(const std::vector<std::int32_t>& lengths, const std::vector<std::int32_t>& capacities,
                            int head_dim, at::ScalarType dtype, std::uint64_t seed,
                            float sentinel = kNanSentinel) {
  at::manual_seed(seed);
  LayerKV layer;
  std::int32_t row = kGuardRows;
  for (std::size_t s = 0; s < lengths.size(); ++s) {
    layer.host_offset.push_back(row);
    layer.host_length.push_back(lengths[s]);
    layer.host_capacity.push_back(capacities[s]);
    row += capacities[s];
  }
  const std::int64_t rows = row + kGuardRows;
  const auto float_options = at::TensorOptions().dtype(at::kFloat);
  at::Tensor keys = at::full({rows, head_dim}, sentinel, float_options);
  at::Tensor values = at::full({rows, head_dim}, sentinel, float_options);
  for (std::size_t s = 0; s < lengths.size(); ++s) {
    if (lengths[s] == 0) continue;
    keys.narrow(0, layer.host_offset[s], lengths[s]).copy_(at::randn({lengths[s], head_dim}, float_options));
    values.narrow(0, layer.host_offset[s], lengths[s]).copy_(at::randn({lengths[s], head_dim}, float_options));
  }
  layer.keys = keys.to(dtype);
  layer.values = values.to(dtype);
  const auto int_options = at::TensorOptions().dtype(at::kInt);
  const auto n = static_cast<std::int64_t>(lengths.size());
  layer.offset = at::from_blob(layer.host_offset.data(), {n}, int_options).clone();
  layer.length = at::from_blob(layer.host_length.data(), {n}, int_options).clone();
  layer.capacity = at::from_blob(layer.host_capacity.data(), {n}, int_options).clone();
  return layer;
}

// The same layer with its sentinel rows zeroed, for the ATen reference: it multiplies
// masked (zero) probabilities by the padding rows it gathers, and 0 * NaN is NaN. Rows
// past a segment's length do not change the answer as long as they are finite.
inline LayerKV WithoutSentinels(const LayerKV& layer) {
  LayerKV copy = layer;
  copy.keys = layer.keys.masked_fill(layer.keys.isnan(), 0.0);
  copy.values = layer.values.masked_fill(layer.values.isnan(), 0.0);
  return copy;
}

inline LayerKV CopyLayerTo(const LayerKV& layer, const at::Device& device) {
  LayerKV copy = layer;
  copy.keys = layer.keys.to(device).clone();
  copy.values = layer.values.to(device).clone();
  copy.offset = layer.offset.to(device).clone();
  copy.length = layer.length.to(device).clone();
  copy.capacity = layer.capacity.to(device).clone();
  return copy;
}

// The raw bits of a tensor on the CPU (NaN sentinels compare equal to themselves).
inline at::Tensor BitsOf(const at::Tensor& tensor) {
  const at::Tensor cpu = tensor.cpu().contiguous();
  switch (cpu.element_size()) {
    case 2:
      return cpu.view(at::kShort);
    case 4:
      return cpu.view(at::kInt);
    default:
      return cpu.view(at::kLong);
  }
}

// The fraction of elements whose bits equal the reference's.
inline double ExactFraction(const at::Tensor& actual, const at::Tensor& expected) {
  return BitsOf(actual).eq(BitsOf(expected)).to(at::kDouble).mean().item<double>();
}

// One rounding step of a 16-bit output dtype (relative), for kernels that round in the
// reference's places but may flip one rounding (a reduction order, an exp's last bit).
// `why` names the rounding; fp32 gets a tolerance for its fp32 arithmetic differences.
inline Tolerance OneRoundingStepOf(at::ScalarType dtype, const char* why_16bit, const char* why_fp32) {
  if (dtype == at::kBFloat16) return {1e-6, 1.0 / 64, why_16bit};
  if (dtype == at::kHalf) return {1e-6, 1.0 / 512, why_16bit};
  return {1e-6, 1e-5, why_fp32};
}

inline std::string Describe(const std::vector<std::int32_t>& values) {
  std::ostringstream out;
  out << "[";
  for (std::size_t i = 0; i < values.size(); ++i) out << (i ? "," : "") << values[i];
  out << "]";
  return out.str();
}

// Every element of `actual` against `expected` (any devices/dtypes; compared in fp64).
inline ::testing::AssertionResult AllClose(const at::Tensor& actual, const at::Tensor& expected,
                                           const Tolerance& tolerance, const std::string& context) {
  if (actual.sizes() != expected.sizes()) {
    return ::testing::AssertionFailure() << context << ": shape " << actual.sizes() << " != expected "
                                         << expected.sizes();
  }
  const at::Tensor a = actual.cpu().to(at::kDouble).flatten();
  const at::Tensor e = expected.cpu().to(at::kDouble).flatten();
  const at::Tensor bound = tolerance.atol + tolerance.rtol * e.abs();
  const at::Tensor error = (a - e).abs();
  const at::Tensor bad = (error > bound).logical_or(a.isnan()).logical_or(e.isnan());
  const std::int64_t bad_count = bad.sum().item<std::int64_t>();
  if (bad_count == 0) return ::testing::AssertionSuccess();
  const at::Tensor bad_index = bad.nonzero().flatten();
  auto failure = ::testing::AssertionFailure();
  failure << context << ": " << bad_count << " of " << a.numel() << " elements off (atol " << tolerance.atol
          << ", rtol " << tolerance.rtol << ": " << tolerance.why << "); max |error| "
          << error.nan_to_num(1e300).max().item<double>() << "; first:";
  for (std::int64_t i = 0; i < std::min<std::int64_t>(5, bad_index.numel()); ++i) {
    const std::int64_t index = bad_index[i].item<std::int64_t>();
    failure << " [" << index << "] " << a[index].item<double>() << " vs " << e[index].item<double>();
  }
  return failure;
}

}  // namespace kvb::testing
