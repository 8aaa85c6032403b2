// ops::RmsNorm and ops::AddRmsNorm, the ATen references: the transformers Llama-family rounding (normalise in
// fp32, round to the input dtype, then scale by the weight in that dtype).
#include "kernels/cpu/reference_ops.h"

namespace kvb::ops::reference {

at::Tensor RmsNorm(const at::Tensor& x, const at::Tensor& weight, double eps) {
  const at::Tensor x32 = x.to(at::kFloat);
  const at::Tensor normed = x32 * at::rsqrt(x32.pow(2).mean(-1, /*keepdim=*/true) + eps);
  return weight * normed.to(x.scalar_type());
}

AddRmsNormResult AddRmsNorm(const at::Tensor& x, const at::Tensor& residual, const at::Tensor& weight, double eps) {
  const at::Tensor sum = x + residual;
  return {sum, RmsNorm(sum, weight, eps)};
}

}  // namespace kvb::ops::reference
