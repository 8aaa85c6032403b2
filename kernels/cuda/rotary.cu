// ops::cuda::ApplyRotary: the decoder's case (x [heads, n, d] with a contiguous last dim,
// cos/sin [n, d] in x's dtype) runs kernels/cuda/rotary_kernel.cuh; any other shape or
// dtype mix broadcasts through the ATen reference.
#include <ATen/cuda/CUDAContext.h>
#include <c10/cuda/CUDAGuard.h>

#include "kernels/cpu/reference_ops.h"
#include "kernels/cuda/cuda_ops.h"
#include "kernels/cuda/launch_utils.h"
#include "kernels/cuda/rotary_kernel.cuh"
#include "util/error.h"

namespace kvb::ops::cuda {
namespace {

bool KernelCase(const at::Tensor& x, const at::Tensor& cos, const at::Tensor& sin) {
  return x.dim() == 3 && x.size(2) % 2 == 0 && x.stride(2) == 1 && cos.dim() == 2 && cos.size(0) == x.size(1) &&
         cos.size(1) == x.size(2) && sin.sizes() == cos.sizes() && cos.scalar_type() == x.scalar_type() &&
         sin.scalar_type() == x.scalar_type() && x.size(1) <= 0x7fffffff && x.size(0) <= 65535;
}

}  // namespace

at::Tensor ApplyRotary(const at::Tensor& x, const at::Tensor& cos, const at::Tensor& sin) {
  constexpr const char* kOp = "apply_rotary";
  KVB_REQUIRE(x.defined() && cos.defined() && sin.defined(), kOp, ": undefined input");
  if (!KernelCase(x, cos, sin)) return reference::ApplyRotary(x, cos, sin);
  const at::Tensor cos_rows = cos.contiguous(), sin_rows = sin.contiguous();
  detail::RequireCudaTensor(kOp, "cos", cos_rows, x.device());
  detail::RequireCudaTensor(kOp, "sin", sin_rows, x.device());
  KVB_REQUIRE(x.is_cuda() && x.device() == cos.device(), kOp, ": x is on ", x.device(), ", cos on ", cos.device());
  const c10::cuda::CUDAGuard guard(x.device());
  at::Tensor out = at::empty(x.sizes(), x.options());
  if (out.numel() == 0) return out;
  cuda_kernels::RotaryParams p;
  p.x = x.data_ptr();
  p.head_stride = x.stride(0);
  p.position_stride = x.stride(1);
  p.cos = cos_rows.data_ptr();
  p.sin = sin_rows.data_ptr();
  p.out = out.data_ptr();
  p.positions = static_cast<int>(x.size(1));
  p.head_dim = static_cast<int>(x.size(2));
  const dim3 grid(static_cast<unsigned>(x.size(1)), static_cast<unsigned>(x.size(0)));
  detail::DispatchElementType(kOp, x.scalar_type(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    cuda_kernels::RotaryKernel<T><<<grid, cuda_kernels::kRotaryThreads, 0, at::cuda::getCurrentCUDAStream()>>>(p);
  });
  detail::CheckLaunch(kOp, "RotaryKernel");
  return out;
}

}  // namespace kvb::ops::cuda
