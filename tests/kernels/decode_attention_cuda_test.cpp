// cuda::DecodeAttention(Batched) against ops::DecodeAttention (the ATen reference) run on
// the same inputs on the CPU: every element, named tolerances, NaN sentinel rows around
// every segment (a read past a segment's length poisons the output), fixed seeds, many
// shapes. Label gpu: skips without a CUDA device.
#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "kernels/cuda/cuda_ops.h"
#include "kernels/ops.h"
#include "tests/kernels/cuda_test_util.h"
#include "util/error.h"

namespace kvb::testing {
namespace {

// The reference softmaxes in fp32 from the same inputs, so only the order of the sums
// (split-K chunks, warps, exp2 vs exp) and the final rounding differ.
constexpr Tolerance kFloatTolerance{2e-5, 2e-4, "fp32: summation order over up to ~20k rows"};
constexpr Tolerance kHalfTolerance{1e-4, 2e-3, "fp16 output: one ulp (2^-10 relative) when fp32 results straddle a rounding boundary"};
constexpr Tolerance kBFloat16Tolerance{1e-3, 1.6e-2, "bf16 output: one ulp (2^-7 relative) when fp32 results straddle a rounding boundary"};

const Tolerance& ToleranceFor(at::ScalarType dtype) {
  switch (dtype) {
    case at::kFloat:
      return kFloatTolerance;
    case at::kHalf:
      return kHalfTolerance;
    default:
      return kBFloat16Tolerance;
  }
}

enum class LengthProfile { kRagged, kLong };

struct DecodeCase {
  at::ScalarType dtype;
  int head_dim;
  int segments;  // S
  int group;     // G = H / S
  LengthProfile profile;
  std::uint64_t seed;
};

std::string Name(const DecodeCase& c) {
  return StrCat("dtype=", c.dtype, " d=", c.head_dim, " S=", c.segments, " G=", c.group,
                c.profile == LengthProfile::kLong ? " long" : " ragged", " seed=", c.seed);
}

// Ragged: odd lengths, a length-1 and a length-0 segment, a segment full to capacity.
// Long: several split-K chunks per segment, skewed Ada-style (one long, others shorter).
void MakeLengths(const DecodeCase& c, std::vector<std::int32_t>& lengths, std::vector<std::int32_t>& capacities) {
  std::mt19937 rng(static_cast<std::uint32_t>(c.seed));
  const int max_length = c.profile == LengthProfile::kLong ? 20000 : 700;
  std::uniform_int_distribution<int> length_of(2, max_length);
  std::uniform_int_distribution<int> slack_of(1, 5);
  lengths.clear();
  capacities.clear();
  for (int s = 0; s < c.segments; ++s) {
    lengths.push_back(length_of(rng) | 1);  // odd
    capacities.push_back(lengths.back() + slack_of(rng));
  }
  if (c.profile == LengthProfile::kLong) {
    lengths[0] = max_length + 1;
    capacities[0] = lengths[0] + 3;
  }
  if (c.segments >= 2) lengths[1] = 1;
  if (c.segments >= 3) lengths[2] = 0;
  capacities.back() = lengths.back();  // full to capacity: the next rows are the guard
}

void CheckDecode(const DecodeCase& c) {
  std::vector<std::int32_t> lengths;
  std::vector<std::int32_t> capacities;
  MakeLengths(c, lengths, capacities);
  const std::string context = StrCat(Name(c), " lengths=", Describe(lengths));
  // The ATen fallback (head_dims without a kernel) runs the reference on the device layer,
  // which propagates NaN from padding rows (see WithoutSentinels): finite sentinels there.
  const bool has_kernel = c.head_dim == 64 || c.head_dim == 128;
  const LayerKV cpu_layer =
      MakeCpuLayer(lengths, capacities, c.head_dim, c.dtype, c.seed, has_kernel ? kNanSentinel : 4096.0f);
  const LayerKV gpu_layer = CopyLayerTo(cpu_layer, at::kCUDA);
  const int heads = c.segments * c.group;
  const at::Tensor queries = at::randn({heads, c.head_dim}).to(c.dtype);
  const double scale = 1.0 / std::sqrt(static_cast<double>(c.head_dim)) * 1.3;

  const at::Tensor expected = ops::DecodeAttention(WithoutSentinels(cpu_layer), queries, scale);
  const at::Tensor actual = ops::cuda::DecodeAttention(gpu_layer, queries.cuda(), scale);
  ASSERT_EQ(actual.scalar_type(), c.dtype) << context;
  ASSERT_TRUE(actual.is_cuda()) << context;
  EXPECT_TRUE(AllClose(actual, expected, ToleranceFor(c.dtype), context));
  // Read-only op: the buffers, sentinels included, keep every bit; lengths unchanged.
  EXPECT_TRUE(at::equal(BitsOf(gpu_layer.keys), BitsOf(cpu_layer.keys))) << context << ": keys changed";
  EXPECT_TRUE(at::equal(BitsOf(gpu_layer.values), BitsOf(cpu_layer.values))) << context << ": values changed";
  EXPECT_TRUE(at::equal(gpu_layer.length.cpu(), cpu_layer.length)) << context << ": lengths changed";
  // A length-0 segment yields exact zeros.
  for (int s = 0; s < c.segments; ++s) {
    if (lengths[s] != 0) continue;
    EXPECT_EQ(actual.narrow(0, s * c.group, c.group).abs().max().item<double>(), 0.0) << context;
  }
}

class DecodeAttentionCudaTest : public ::testing::TestWithParam<DecodeCase> {};

TEST_P(DecodeAttentionCudaTest, MatchesAtenReference) {
  KVB_SKIP_WITHOUT_CUDA();
  CheckDecode(GetParam());
}

std::vector<DecodeCase> AllCases() {
  std::vector<DecodeCase> cases;
  std::uint64_t seed = 1000;
  for (const at::ScalarType dtype : {at::kBFloat16, at::kHalf, at::kFloat}) {
    for (const int head_dim : {64, 128}) {
      // (S, G): MHA / query_head granularity, Llama-3 GQA 4, GQA 8, a group of 7
      // (Qwen2.5-7B, not a power of two), a group of 16 (two head blocks per segment).
      for (const auto& [segments, group] : std::vector<std::pair<int, int>>{{6, 1}, {8, 4}, {4, 8}, {4, 7}, {2, 16}}) {
        for (const LengthProfile profile : {LengthProfile::kRagged, LengthProfile::kLong}) {
          cases.push_back({dtype, head_dim, segments, group, profile, seed++});
        }
      }
    }
  }
  // head_dim without a kernel: the ATen fallback must give the reference's answer.
  cases.push_back({at::kBFloat16, 96, 4, 4, LengthProfile::kRagged, seed++});
  cases.push_back({at::kFloat, 32, 3, 2, LengthProfile::kRagged, seed++});
  return cases;
}

INSTANTIATE_TEST_SUITE_P(Shapes, DecodeAttentionCudaTest, ::testing::ValuesIn(AllCases()),
                         [](const ::testing::TestParamInfo<DecodeCase>& info) {
                           const DecodeCase& c = info.param;
                           const char* dtype = c.dtype == at::kFloat ? "f32" : c.dtype == at::kHalf ? "f16" : "bf16";
                           return StrCat(dtype, "_d", c.head_dim, "_S", c.segments, "_G", c.group,
                                         c.profile == LengthProfile::kLong ? "_long" : "_ragged", "_seed", c.seed);
                         });

// N caches of one sample in one call, with different segment counts (one under
// query_head granularity) and lengths; 37 caches exercise the 32-per-launch split.
TEST(DecodeAttentionBatchedCudaTest, MatchesPerCacheReference) {
  KVB_SKIP_WITHOUT_CUDA();
  for (const int num_caches : {5, 37}) {
    for (const at::ScalarType dtype : {at::kBFloat16, at::kFloat}) {
      const int heads = 16;
      const int head_dim = 128;
      const std::uint64_t seed = 77 + num_caches;
      std::mt19937 rng(static_cast<std::uint32_t>(seed));
      std::uniform_int_distribution<int> length_of(0, num_caches > 8 ? 300 : 9000);
      std::vector<LayerKV> cpu_layers;
      std::vector<LayerKV> gpu_layers;
      for (int n = 0; n < num_caches; ++n) {
        const int segments = n % 3 == 2 ? heads : (n % 3 == 1 ? 2 : 4);
        std::vector<std::int32_t> lengths;
        std::vector<std::int32_t> capacities;
        for (int s = 0; s < segments; ++s) {
          lengths.push_back(length_of(rng));
          capacities.push_back(lengths.back() + (s % 2));
        }
        cpu_layers.push_back(MakeCpuLayer(lengths, capacities, head_dim, dtype, seed * 100 + n));
        gpu_layers.push_back(CopyLayerTo(cpu_layers.back(), at::kCUDA));
      }
      const at::Tensor queries = at::randn({num_caches, heads, head_dim}).to(dtype);
      std::vector<const LayerKV*> gpu_pointers;
      for (const LayerKV& layer : gpu_layers) gpu_pointers.push_back(&layer);
      const double scale = 0.1;
      const at::Tensor actual = ops::cuda::DecodeAttentionBatched(gpu_pointers, queries.cuda(), scale);
      ASSERT_EQ(actual.sizes(), queries.sizes());
      for (int n = 0; n < num_caches; ++n) {
        const std::string context = StrCat("batched N=", num_caches, " dtype=", dtype, " seed=", seed, " cache ", n,
                                           " S=", cpu_layers[n].num_segments(), " lengths=",
                                           Describe(cpu_layers[n].host_length));
        const at::Tensor expected = ops::DecodeAttention(WithoutSentinels(cpu_layers[n]), queries[n], scale);
        EXPECT_TRUE(AllClose(actual[n], expected, ToleranceFor(dtype), context));
        EXPECT_TRUE(at::equal(BitsOf(gpu_layers[n].keys), BitsOf(cpu_layers[n].keys))) << context;
      }
    }
  }
}

TEST(DecodeAttentionCudaTest, RejectsBadInputsWithNamedErrors) {
  KVB_SKIP_WITHOUT_CUDA();
  const LayerKV cpu_layer = MakeCpuLayer({5, 7}, {6, 8}, 64, at::kHalf, 3);
  const LayerKV gpu_layer = CopyLayerTo(cpu_layer, at::kCUDA);
  const auto expect_error = [](const auto& call, const std::string& fragment) {
    try {
      call();
      ADD_FAILURE() << "no error; expected one mentioning '" << fragment << "'";
    } catch (const Error& error) {
      EXPECT_NE(std::string(error.what()).find(fragment), std::string::npos) << error.what();
    }
  };
  const at::Tensor queries = at::randn({4, 64}).to(at::kHalf).cuda();
  expect_error([&] { ops::cuda::DecodeAttention(gpu_layer, queries.to(at::kFloat), 1.0); }, "dtype");
  expect_error([&] { ops::cuda::DecodeAttention(gpu_layer, queries.cpu(), 1.0); }, "CUDA tensor");
  expect_error([&] { ops::cuda::DecodeAttention(gpu_layer, queries.narrow(0, 0, 3), 1.0); }, "do not split");
  expect_error([&] { ops::cuda::DecodeAttention(cpu_layer, queries, 1.0); }, "layer.keys");
  expect_error([&] { ops::cuda::DecodeAttention(gpu_layer, queries.t().contiguous().t(), 1.0); }, "contiguous");
}

}  // namespace
}  // namespace kvb::testing
