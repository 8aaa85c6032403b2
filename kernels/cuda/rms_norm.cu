// ops::cuda::RmsNorm: checks the inputs and launches kernels/cuda/rms_norm_kernel.cuh,
// one block per row.
#include <ATen/cuda/CUDAContext.h>
#include <c10/cuda/CUDAGuard.h>

#include "kernels/cpu/reference_ops.h"
#include "kernels/cuda/cuda_ops.h"
#include "kernels/cuda/launch_utils.h"
#include "kernels/cuda/rms_norm_kernel.cuh"
#include "util/error.h"

namespace kvb::ops::cuda {

at::Tensor RmsNorm(const at::Tensor& x, const at::Tensor& weight, double eps) {
  constexpr const char* kOp = "rms_norm";
  KVB_REQUIRE(x.defined() && x.dim() >= 1 && x.size(-1) > 0, kOp, ": x must have a non-empty last dim");
  KVB_REQUIRE(weight.defined() && weight.dim() == 1 && weight.size(0) == x.size(-1), kOp, ": weight must be [",
              x.size(-1), "], got ", weight.defined() ? weight.sizes() : at::IntArrayRef{});
  // A weight in another dtype promotes in the reference's last product: keep its result.
  if (weight.scalar_type() != x.scalar_type()) return reference::RmsNorm(x, weight, eps);
  const at::Tensor input = x.contiguous();
  const at::Tensor scale = weight.contiguous();
  detail::RequireCudaTensor(kOp, "x", input, x.device());
  detail::RequireCudaTensor(kOp, "weight", scale, x.device());
  const c10::cuda::CUDAGuard guard(x.device());
  at::Tensor out = at::empty_like(input);
  const std::int64_t rows = input.numel() / input.size(-1);
  if (rows == 0) return out;
  KVB_REQUIRE(rows <= 0x7fffffff, kOp, ": ", rows, " rows exceed one launch");
  const auto width = static_cast<int>(input.size(-1));
  detail::DispatchElementType(kOp, input.scalar_type(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    cuda_kernels::RmsNormKernel<T><<<static_cast<unsigned>(rows), cuda_kernels::kRmsNormThreads, 0,
                                     at::cuda::getCurrentCUDAStream()>>>(
        static_cast<const T*>(input.data_ptr()), static_cast<const T*>(scale.data_ptr()),
        static_cast<T*>(out.data_ptr()), width, static_cast<float>(eps));
  });
  detail::CheckLaunch(kOp, "RmsNormKernel");
  return out;
}

}  // namespace kvb::ops::cuda
