// cuda::WindowScores against the ATen reference run on the same inputs on the CPU: every
// element, named tolerances, random inputs (never zeros), odd lengths, window 1 and a
// window as long as the prompt, GQA groups 1/4/8, every reduction, pooling and rounding
// option. Also: the kept sets the scores lead to agree (where the reference's k-th and
// k+1-th scores are not within tolerance of each other). Label gpu.
#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "kernels/cpu/reference_ops.h"
#include "kernels/cuda/cuda_ops.h"
#include "kernels/ops.h"
#include "tests/kernels/cuda_test_util.h"
#include "util/error.h"

namespace kvb::testing {
namespace {

// Unrounded scores differ from the reference only by summation order (dims, window rows,
// key blocks of the softmax denominator) and expf.
constexpr Tolerance kFloatScores{1e-7, 2e-4, "fp32: summation order and expf"};
// Rounded through the model dtype at up to four stages: one ulp where fp32 values straddle
// a rounding boundary (bf16 2^-8, fp16 2^-11 relative), possibly carried through pooling.
constexpr Tolerance kBFloat16Scores{1e-7, 8e-3, "bf16 rounding: one ulp at a boundary"};
constexpr Tolerance kHalfScores{1e-7, 1e-3, "fp16 rounding: one ulp at a boundary"};

struct WindowCase {
  int heads;
  int kv_heads;
  int window;
  int length;
  int head_dim;
  at::ScalarType dtype;
  ops::WindowScoreOptions options;
};

std::string Name(const WindowCase& c) {
  return StrCat("H", c.heads, "_Hkv", c.kv_heads, "_w", c.window, "_L", c.length, "_d", c.head_dim, "_",
                c.dtype, "_round", c.options.softmax_round_dtype, "_wr", static_cast<int>(c.options.window_reduction),
                "_gr", static_cast<int>(c.options.group_reduction), "_pool", static_cast<int>(c.options.pooling),
                "k", c.options.kernel_size);
}

const Tolerance& ToleranceFor(at::ScalarType round) {
  if (round == at::kBFloat16) return kBFloat16Scores;
  if (round == at::kHalf) return kHalfScores;
  return kFloatScores;
}

std::vector<WindowCase> Cases() {
  std::vector<WindowCase> cases;
  const std::vector<std::pair<int, int>> heads = {{4, 4}, {8, 2}, {16, 2}};  // G = 1, 4, 8
  const std::vector<std::pair<int, int>> shapes = {{1, 1}, {1, 2}, {8, 8}, {8, 33}, {32, 257}, {32, 1000}, {64, 4099}};
  int seed = 0;
  for (const auto& [h, hkv] : heads) {
    for (const auto& [window, length] : shapes) {
      for (at::ScalarType dtype : {at::kFloat, at::kBFloat16, at::kHalf}) {
        ops::WindowScoreOptions options;
        // Rotate the options over the cases so every combination of each option appears.
        options.window_reduction = seed % 2 == 0 ? ops::WindowReduction::kMean : ops::WindowReduction::kSum;
        options.group_reduction = std::vector<ops::GroupReduction>{ops::GroupReduction::kMean, ops::GroupReduction::kMax,
                                                                   ops::GroupReduction::kNone}[seed % 3];
        options.pooling = std::vector<ops::Pooling>{ops::Pooling::kMax, ops::Pooling::kAvg, ops::Pooling::kNone}[(seed / 3) % 3];
        options.kernel_size = std::vector<int>{7, 5, 1}[seed % 3];
        options.softmax_round_dtype = seed % 4 == 3 ? at::kFloat : dtype;
        cases.push_back({h, hkv, window, length, seed % 5 == 4 ? 64 : (seed % 7 == 6 ? 96 : 128), dtype, options});
        ++seed;
      }
    }
  }
  return cases;
}

class WindowScoresCuda : public ::testing::TestWithParam<WindowCase> {};

TEST_P(WindowScoresCuda, MatchesTheAtenReference) {
  KVB_SKIP_WITHOUT_CUDA();
  const WindowCase& c = GetParam();
  at::manual_seed(c.length * 31 + c.heads);
  const auto options = at::TensorOptions().dtype(at::kFloat);
  // Scaled so the softmax is neither flat nor one-hot.
  const at::Tensor queries = (at::randn({c.heads, c.window, c.head_dim}, options) * 1.5).to(c.dtype);
  const at::Tensor keys = (at::randn({c.kv_heads, c.length, c.head_dim}, options) * 1.5).to(c.dtype);
  const at::Tensor expected = ops::reference::WindowScores(queries, keys, c.options);
  const at::Tensor actual = ops::cuda::WindowScores(queries.cuda(), keys.cuda(), c.options).cpu();
  ASSERT_EQ(actual.sizes(), expected.sizes());
  EXPECT_TRUE(AllClose(actual, expected, ToleranceFor(c.options.softmax_round_dtype), Name(c)));
}

INSTANTIATE_TEST_SUITE_P(Shapes, WindowScoresCuda, ::testing::ValuesIn(Cases()),
                         [](const auto& info) { return Name(info.param); });

// ops::WindowScores routes CUDA tensors to the kernel, and the top-k kept sets that follow
// agree with the CPU's wherever the reference separates the k-th from the k+1-th score.
TEST(WindowScoresCudaDispatch, KeptSetsAgreeWithTheCpu) {
  KVB_SKIP_WITHOUT_CUDA();
  at::manual_seed(5);
  const at::Tensor queries = at::randn({32, 32, 128}).to(at::kBFloat16);
  const at::Tensor keys = at::randn({8, 3000, 128}).to(at::kBFloat16);
  ops::WindowScoreOptions options;
  options.softmax_round_dtype = at::kFloat;
  const at::Tensor cpu = ops::WindowScores(queries, keys, options);
  const at::Tensor gpu = ops::WindowScores(queries.cuda(), keys.cuda(), options).cpu();
  const SegmentCounts counts(8, 256);
  const KeptPositions cpu_kept = ops::SelectTopK(cpu, counts);
  const KeptPositions gpu_kept = ops::SelectTopK(gpu, counts);
  const at::Tensor sorted = std::get<0>(cpu.sort(-1, /*descending=*/true));
  for (int s = 0; s < 8; ++s) {
    const double gap = sorted[s][255].item<double>() - sorted[s][256].item<double>();
    if (gap > 1e-4 * sorted[s][255].item<double>()) {
      EXPECT_EQ(gpu_kept.per_segment[s], cpu_kept.per_segment[s]) << "segment " << s;
    }
  }
}

TEST(WindowScoresCudaChecks, RejectsBadInputs) {
  KVB_SKIP_WITHOUT_CUDA();
  const at::Tensor queries = at::randn({8, 4, 64}).cuda();
  const at::Tensor keys = at::randn({2, 16, 64}).cuda();
  ops::WindowScoreOptions options;
  EXPECT_THROW(ops::cuda::WindowScores(queries.cpu(), keys, options), Error);                  // device
  EXPECT_THROW(ops::cuda::WindowScores(queries.to(at::kHalf), keys, options), Error);          // dtype
  EXPECT_THROW(ops::cuda::WindowScores(queries, at::randn({3, 16, 64}).cuda(), options), Error);  // 8 % 3
  EXPECT_THROW(ops::cuda::WindowScores(queries, keys.narrow(1, 0, 2).contiguous(), options), Error);  // window > L
  EXPECT_THROW(ops::cuda::WindowScores(queries.transpose(0, 1), keys, options), Error);        // layout
}

}  // namespace
}  // namespace kvb::testing
