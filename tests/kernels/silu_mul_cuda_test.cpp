// cuda::SiluMul against the ATen reference (ops::SiluMul on the CPU): within one rounding
// step of the dtype (the CPU's vectorised exp and the device's expf may differ in a last
// bit, which can flip the rounding of silu), and against ATen's own CUDA ops nearly bit
// for bit, which needs both of the reference's roundings. Label gpu.
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

Tolerance OneRoundingOf(at::ScalarType dtype) {
  return OneRoundingStepOf(dtype, "a flipped rounding of silu, then of the product", "expf against the CPU's exp");
}

TEST(SiluMulCudaTest, MatchesAtenReference) {
  KVB_SKIP_WITHOUT_CUDA();
  // [rows, 2 * width]: one decode token of an 8B MLP, a batch of configurations, odd widths.
  const std::vector<std::vector<std::int64_t>> shapes = {{1, 2}, {1, 28672}, {20, 28672}, {3, 2 * 333}, {2, 5, 64}};
  std::uint64_t seed = 4100;
  for (const at::ScalarType dtype : {at::kBFloat16, at::kHalf, at::kFloat}) {
    for (const auto& shape : shapes) {
      at::manual_seed(++seed);
      // Gates over the range where silu bends (and a few large ones where it saturates).
      const at::Tensor gate_up = (at::randn(shape) * 4.0 + 0.3).to(dtype);
      const at::Tensor expected = ops::SiluMul(gate_up);
      const at::Tensor actual = ops::cuda::SiluMul(gate_up.cuda());
      const at::Tensor aten_cuda = ops::reference::SiluMul(gate_up.cuda());
      const std::string context = StrCat("dtype=", dtype, " shape=", at::IntArrayRef(shape), " seed=", seed);
      ASSERT_EQ(actual.sizes(), expected.sizes()) << context;
      EXPECT_TRUE(AllClose(actual, expected, OneRoundingOf(dtype), context));
      EXPECT_GE(ExactFraction(actual, aten_cuda), 0.999) << context;
    }
  }
}

TEST(SiluMulCudaTest, StridedInputAndDispatch) {
  KVB_SKIP_WITHOUT_CUDA();
  at::manual_seed(12);
  const at::Tensor wide = (at::randn({4, 300}) * 3).to(at::kBFloat16);
  const at::Tensor gate_up = wide.narrow(1, 10, 256);  // rows are not contiguous
  const at::Tensor actual = ops::SiluMul(gate_up.cuda());
  EXPECT_TRUE(actual.is_cuda());
  EXPECT_TRUE(AllClose(actual, ops::SiluMul(gate_up), OneRoundingOf(at::kBFloat16), "strided"));
}

TEST(SiluMulCudaTest, RejectsAnOddLastDim) {
  KVB_SKIP_WITHOUT_CUDA();
  EXPECT_THROW(ops::cuda::SiluMul(at::randn({2, 7}, at::TensorOptions().device(at::kCUDA))), Error);
}

}  // namespace
}  // namespace kvb::testing
