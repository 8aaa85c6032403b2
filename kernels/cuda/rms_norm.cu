// ops::cuda::RmsNorm and ops::cuda::AddRmsNorm: check the inputs and launch
// kernels/cuda/rms_norm_kernel.cuh, one block per row: the register body where the row is
// whole aligned 16-byte vectors that fit, instantiated with as few vectors per thread as
// the width needs (each one more costs registers in every thread), else the loop body.
#include <ATen/cuda/CUDAContext.h>
#include <c10/cuda/CUDAGuard.h>

#include <type_traits>

#include "kernels/cpu/reference_ops.h"
#include "kernels/cuda/cuda_ops.h"
#include "kernels/cuda/launch_utils.h"
#include "kernels/cuda/rms_norm_kernel.cuh"
#include "kernels/cuda/vec16.cuh"
#include "util/error.h"

namespace kvb::ops::cuda {
namespace {

constexpr const char* kOp = "rms_norm";

void RequireWeight(const at::Tensor& x, const at::Tensor& weight) {
  KVB_REQUIRE(x.defined() && x.dim() >= 1 && x.size(-1) > 0, kOp, ": x must have a non-empty last dim");
  KVB_REQUIRE(weight.defined() && weight.dim() == 1 && weight.size(0) == x.size(-1), kOp, ": weight must be [",
              x.size(-1), "], got ", weight.defined() ? weight.sizes() : at::IntArrayRef{});
}

// `residual` and `sum` undefined: plain RMSNorm of x into out.
void Launch(const at::Tensor& x, const at::Tensor& residual, const at::Tensor& weight, const at::Tensor& sum,
            const at::Tensor& out, double eps) {
  detail::RequireCudaTensor(kOp, "x", x, x.device());
  detail::RequireCudaTensor(kOp, "weight", weight, x.device());
  if (residual.defined()) detail::RequireCudaTensor(kOp, "residual", residual, x.device());
  const c10::cuda::CUDAGuard guard(x.device());
  const std::int64_t rows = x.numel() / x.size(-1);
  if (rows == 0) return;
  KVB_REQUIRE(rows <= 0x7fffffff, kOp, ": ", rows, " rows exceed one launch");
  cuda_kernels::RmsNormParams p;
  p.x = x.data_ptr();
  p.residual = residual.defined() ? residual.data_ptr() : nullptr;
  p.weight = weight.data_ptr();
  p.sum = sum.defined() ? sum.data_ptr() : nullptr;
  p.out = out.data_ptr();
  p.width = static_cast<int>(x.size(-1));
  p.eps = static_cast<float>(eps);
  const auto stream = at::cuda::getCurrentCUDAStream();
  const unsigned blocks = static_cast<unsigned>(rows);
  const bool aligned =
      detail::RowsAreVectorAligned(x) && detail::RowsAreVectorAligned(weight) && detail::RowsAreVectorAligned(out) &&
      (!residual.defined() || (detail::RowsAreVectorAligned(residual) && detail::RowsAreVectorAligned(sum)));
  detail::DispatchElementType(kOp, x.scalar_type(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    constexpr int kElems = cuda_kernels::Vec16<T>::kElems;
    const int vecs_per_thread = (p.width / kElems + cuda_kernels::kRmsNormThreads - 1) / cuda_kernels::kRmsNormThreads;
    const auto launch = [&](auto kernel) { kernel<<<blocks, cuda_kernels::kRmsNormThreads, 0, stream>>>(p); };
    const auto launch_registers = [&](auto add_residual) {
      constexpr bool kAdd = decltype(add_residual)::value;
      if (vecs_per_thread <= 1) return launch(cuda_kernels::RmsNormRowInRegistersKernel<T, kAdd, 1>);
      if (vecs_per_thread <= 2) return launch(cuda_kernels::RmsNormRowInRegistersKernel<T, kAdd, 2>);
      launch(cuda_kernels::RmsNormRowInRegistersKernel<T, kAdd, cuda_kernels::kRmsNormMaxVecs>);
    };
    if (aligned && vecs_per_thread <= cuda_kernels::kRmsNormMaxVecs) {
      residual.defined() ? launch_registers(std::true_type{}) : launch_registers(std::false_type{});
    } else {
      residual.defined() ? launch(cuda_kernels::RmsNormKernel<T, true>) : launch(cuda_kernels::RmsNormKernel<T, false>);
    }
  });
  detail::CheckLaunch(kOp, "RmsNormKernel");
}

}  // namespace

at::Tensor RmsNorm(const at::Tensor& x, const at::Tensor& weight, double eps) {
  RequireWeight(x, weight);
  // A weight in another dtype promotes in the reference's last product: keep its result.
  if (weight.scalar_type() != x.scalar_type()) return reference::RmsNorm(x, weight, eps);
  const at::Tensor input = x.contiguous();
  at::Tensor out = at::empty_like(input);
  Launch(input, at::Tensor(), weight.contiguous(), at::Tensor(), out, eps);
  return out;
}

AddRmsNormResult AddRmsNorm(const at::Tensor& x, const at::Tensor& residual, const at::Tensor& weight, double eps) {
  RequireWeight(x, weight);
  KVB_REQUIRE(residual.defined() && residual.sizes() == x.sizes(), kOp, ": residual must be ", x.sizes(), ", got ",
              residual.defined() ? residual.sizes() : at::IntArrayRef{});
  if (weight.scalar_type() != x.scalar_type() || residual.scalar_type() != x.scalar_type()) {
    return reference::AddRmsNorm(x, residual, weight, eps);
  }
  const at::Tensor input = x.contiguous();
  AddRmsNormResult result{at::empty_like(input), at::empty_like(input)};
  Launch(input, residual.contiguous(), weight.contiguous(), result.sum, result.normed, eps);
  return result;
}

}  // namespace kvb::ops::cuda
