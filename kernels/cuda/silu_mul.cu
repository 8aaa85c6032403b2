// ops::cuda::SiluMul: checks the input and launches kernels/cuda/silu_mul_kernel.cuh over
// (column blocks, rows).
#include <ATen/cuda/CUDAContext.h>
#include <c10/cuda/CUDAGuard.h>

#include "kernels/cpu/reference_ops.h"
#include "kernels/cuda/cuda_ops.h"
#include "kernels/cuda/launch_utils.h"
#include "kernels/cuda/silu_mul_kernel.cuh"
#include "util/error.h"

namespace kvb::ops::cuda {

at::Tensor SiluMul(const at::Tensor& gate_up) {
  constexpr const char* kOp = "silu_mul";
  KVB_REQUIRE(gate_up.defined() && gate_up.dim() >= 1 && gate_up.size(-1) % 2 == 0 && gate_up.size(-1) > 0, kOp,
              ": gate_up must be [..., 2 * width], got ", gate_up.defined() ? gate_up.sizes() : at::IntArrayRef{});
  const at::Tensor input = gate_up.contiguous();
  detail::RequireCudaTensor(kOp, "gate_up", input, gate_up.device());
  const c10::cuda::CUDAGuard guard(input.device());
  std::vector<std::int64_t> sizes = input.sizes().vec();
  const std::int64_t width = sizes.back() / 2;
  sizes.back() = width;
  at::Tensor out = at::empty(sizes, input.options());
  const std::int64_t rows = out.numel() / width;
  if (rows == 0) return out;
  KVB_REQUIRE(rows <= 65535 && width <= 0x3fffffff, kOp, ": ", rows, " rows of ", width, " exceed one launch");
  const dim3 grid(static_cast<unsigned>((width + cuda_kernels::kSiluMulThreads - 1) / cuda_kernels::kSiluMulThreads),
                  static_cast<unsigned>(rows));
  detail::DispatchElementType(kOp, input.scalar_type(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    cuda_kernels::SiluMulKernel<T><<<grid, cuda_kernels::kSiluMulThreads, 0, at::cuda::getCurrentCUDAStream()>>>(
        static_cast<const T*>(input.data_ptr()), static_cast<T*>(out.data_ptr()), static_cast<int>(width));
  });
  detail::CheckLaunch(kOp, "SiluMulKernel");
  return out;
}

}  // namespace kvb::ops::cuda
