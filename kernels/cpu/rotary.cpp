// ops::ApplyRotary, the ATen reference: x * cos + rotate_half(x) * sin, each product and
// the sum rounded to the dtype (as transformers' apply_rotary_pos_emb does).
#include "kernels/cpu/reference_ops.h"

namespace kvb::ops::reference {

at::Tensor ApplyRotary(const at::Tensor& x, const at::Tensor& cos, const at::Tensor& sin) {
  const std::int64_t half = x.size(-1) / 2;
  const at::Tensor rotated = at::cat({-x.narrow(-1, half, half), x.narrow(-1, 0, half)}, -1);
  return x * cos + rotated * sin;
}

}  // namespace kvb::ops::reference
