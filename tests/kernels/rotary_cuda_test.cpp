// cuda::ApplyRotary against the ATen reference (ops::ApplyRotary on the CPU): elementwise
// products and a sum, each rounded to the dtype, so the kernel must give the same bits.
// Label gpu.
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

// cos/sin of real angles (positions x frequencies), as the decoder passes them.
std::pair<at::Tensor, at::Tensor> Angles(std::int64_t positions, std::int64_t head_dim, at::ScalarType dtype) {
  const at::Tensor inv_freq = 1.0 / at::pow(10000.0, at::arange(0, head_dim, 2).to(at::kFloat) / head_dim);
  const at::Tensor freqs = at::outer(at::arange(positions).to(at::kFloat) * 37 + 5, inv_freq);
  const at::Tensor angles = at::cat({freqs, freqs}, -1);
  return {angles.cos().to(dtype), angles.sin().to(dtype)};
}

TEST(RotaryCudaTest, SameBitsAsTheAtenReference) {
  KVB_SKIP_WITHOUT_CUDA();
  // [heads, n, d]: one decode token of an 8B model's q+k heads, a prompt block, odd sizes.
  const std::vector<std::vector<std::int64_t>> shapes = {{1, 1, 64}, {40, 1, 128}, {4, 37, 128}, {3, 5, 96}};
  std::uint64_t seed = 300;
  for (const at::ScalarType dtype : {at::kBFloat16, at::kHalf, at::kFloat}) {
    for (const auto& shape : shapes) {
      at::manual_seed(++seed);
      // Stored [n, heads, d] and viewed transposed, as the decoder's projection output is.
      const at::Tensor x = (at::randn({shape[1], shape[0], shape[2]}) * 2 + 0.1).to(dtype).transpose(0, 1);
      const auto [cos, sin] = Angles(shape[1], shape[2], dtype);
      const at::Tensor expected = ops::ApplyRotary(x, cos, sin);
      const at::Tensor actual = ops::cuda::ApplyRotary(x.cuda(), cos.cuda(), sin.cuda());
      const std::string context = StrCat("dtype=", dtype, " shape=", at::IntArrayRef(shape), " seed=", seed);
      ASSERT_EQ(actual.sizes(), expected.sizes()) << context;
      EXPECT_TRUE(at::equal(BitsOf(actual), BitsOf(expected))) << context;
    }
  }
}

TEST(RotaryCudaTest, OtherShapesGoThroughTheReference) {
  KVB_SKIP_WITHOUT_CUDA();
  at::manual_seed(9);
  // Keys re-rotated by one delta: [rows, d] against cos/sin [1, d] (a broadcast).
  const at::Tensor keys = at::randn({7, 64});
  const auto [cos, sin] = Angles(1, 64, at::kFloat);
  const at::Tensor actual = ops::ApplyRotary(keys.cuda(), cos.cuda(), sin.cuda());
  EXPECT_TRUE(actual.is_cuda());
  EXPECT_TRUE(at::equal(BitsOf(actual), BitsOf(ops::ApplyRotary(keys, cos, sin))));
}

}  // namespace
}  // namespace kvb::testing
