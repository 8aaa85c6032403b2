// cuda::RmsNorm and cuda::AddRmsNorm against the ATen references (ops:: on the CPU) on the same inputs:
// every element within one rounding step of the output dtype (the sums differ in order,
// rsqrtf in its last bits), and nearly every element bit for bit, which only a kernel
// that rounds twice as the reference does (x * rstd, then weight * that) achieves. Label gpu.
#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "kernels/cuda/cuda_ops.h"
#include "kernels/ops.h"
#include "tests/kernels/cuda_test_util.h"
#include "util/error.h"

namespace kvb::testing {
namespace {

Tolerance OneRoundingOf(at::ScalarType dtype) {
  return OneRoundingStepOf(dtype, "a flipped rounding of x * rstd, then of the product",
                           "summation order and rsqrtf");
}

TEST(RmsNormCudaTest, MatchesAtenReference) {
  KVB_SKIP_WITHOUT_CUDA();
  // Widths of whole 16-byte vectors up to 4 per thread take the register body (1, 2 and 4
  // vectors per thread in bf16: 576, 4096, 8192); 4100, 12288 and fp32 8192 the loop body.
  const std::vector<std::vector<std::int64_t>> shapes = {{1, 64},   {3, 128},  {37, 576},  {2, 4096},
                                                         {5, 4100}, {2, 8192}, {1, 12288}, {4, 3, 128}};
  std::uint64_t seed = 900;
  for (const at::ScalarType dtype : {at::kBFloat16, at::kHalf, at::kFloat}) {
    for (const auto& shape : shapes) {
      at::manual_seed(++seed);
      const std::int64_t width = shape.back();
      // Offset from zero (never zeros) and spread over a few binades.
      const at::Tensor x = (at::randn(shape) * 3.0 + 0.5).to(dtype);
      const at::Tensor weight = (at::randn({width}) + 1.0).to(dtype);
      const double eps = seed % 2 == 0 ? 1e-5 : 1e-6;
      const at::Tensor expected = ops::RmsNorm(x, weight, eps);
      const at::Tensor actual = ops::cuda::RmsNorm(x.cuda(), weight.cuda(), eps);
      const std::string context = StrCat("dtype=", dtype, " shape=", at::IntArrayRef(shape), " seed=", seed);
      EXPECT_EQ(actual.scalar_type(), dtype) << context;
      EXPECT_TRUE(AllClose(actual, expected, OneRoundingOf(dtype), context));
      if (dtype != at::kFloat) EXPECT_GE(ExactFraction(actual, expected), 0.99) << context;
    }
  }
}

TEST(RmsNormCudaTest, NonContiguousInputAndDispatch) {
  KVB_SKIP_WITHOUT_CUDA();
  at::manual_seed(77);
  // The qk-norm case: heads of one projection output, a strided view.
  const at::Tensor wide = (at::randn({3, 10, 128}) + 0.25).to(at::kBFloat16);
  const at::Tensor x = wide.narrow(1, 2, 5);
  const at::Tensor weight = at::randn({128}).to(at::kBFloat16);
  const at::Tensor expected = ops::RmsNorm(x, weight, 1e-6);
  const at::Tensor actual = ops::RmsNorm(x.cuda(), weight.cuda(), 1e-6);  // ops:: routes CUDA tensors here
  EXPECT_TRUE(actual.is_cuda());
  EXPECT_TRUE(AllClose(actual, expected, OneRoundingOf(at::kBFloat16), "strided view"));
  EXPECT_GE(ExactFraction(actual, expected), 0.99);
}

// The fused residual add: the sum is one rounded add, so bit for bit; the normalised rows
// as RmsNorm's (same kernel body over that sum).
TEST(RmsNormCudaTest, AddRmsNormMatchesAtenReference) {
  KVB_SKIP_WITHOUT_CUDA();
  const std::vector<std::vector<std::int64_t>> shapes = {{1, 64},   {4, 4096},  {7, 4100},
                                                         {1, 8192}, {1, 12288}, {2, 3, 576}};
  std::uint64_t seed = 1900;
  for (const at::ScalarType dtype : {at::kBFloat16, at::kHalf, at::kFloat}) {
    for (const auto& shape : shapes) {
      at::manual_seed(++seed);
      const at::Tensor x = (at::randn(shape) * 2.0 + 0.5).to(dtype);
      const at::Tensor residual = (at::randn(shape) * 0.5 - 0.25).to(dtype);
      const at::Tensor weight = (at::randn({shape.back()}) + 1.0).to(dtype);
      const ops::AddRmsNormResult expected = ops::AddRmsNorm(x, residual, weight, 1e-5);
      const ops::AddRmsNormResult actual = ops::cuda::AddRmsNorm(x.cuda(), residual.cuda(), weight.cuda(), 1e-5);
      const std::string context = StrCat("dtype=", dtype, " shape=", at::IntArrayRef(shape), " seed=", seed);
      EXPECT_TRUE(BitsOf(actual.sum).equal(BitsOf(expected.sum))) << context;
      EXPECT_TRUE(AllClose(actual.normed, expected.normed, OneRoundingOf(dtype), context));
      if (dtype != at::kFloat) EXPECT_GE(ExactFraction(actual.normed, expected.normed), 0.99) << context;
    }
  }
  // Through ops:: with a strided residual (a view of a wider tensor).
  const at::Tensor wide = at::randn({3, 256}).to(at::kBFloat16).cuda();
  const at::Tensor x = at::randn({3, 128}).to(at::kBFloat16).cuda();
  const at::Tensor weight = at::randn({128}).to(at::kBFloat16).cuda();
  const ops::AddRmsNormResult actual = ops::AddRmsNorm(x, wide.narrow(1, 64, 128), weight, 1e-6);
  const ops::AddRmsNormResult expected =
      ops::AddRmsNorm(x.cpu(), wide.narrow(1, 64, 128).cpu(), weight.cpu(), 1e-6);
  EXPECT_TRUE(BitsOf(actual.sum.cpu()).equal(BitsOf(expected.sum)));
  EXPECT_TRUE(AllClose(actual.normed, expected.normed, OneRoundingOf(at::kBFloat16), "strided residual"));
}

TEST(RmsNormCudaTest, AddRmsNormRejectsAResidualOfAnotherShape) {
  KVB_SKIP_WITHOUT_CUDA();
  const auto cuda = at::TensorOptions().device(at::kCUDA);
  EXPECT_THROW(ops::cuda::AddRmsNorm(at::randn({2, 64}, cuda), at::randn({3, 64}, cuda), at::randn({64}, cuda), 1e-6),
               Error);
}

TEST(RmsNormCudaTest, RejectsAWeightOfTheWrongWidth) {
  KVB_SKIP_WITHOUT_CUDA();
  const at::Tensor x = at::randn({2, 64}, at::TensorOptions().device(at::kCUDA));
  const at::Tensor weight = at::randn({63}, at::TensorOptions().device(at::kCUDA));
  EXPECT_THROW(ops::cuda::RmsNorm(x, weight, 1e-6), Error);
}

}  // namespace
}  // namespace kvb::testing
