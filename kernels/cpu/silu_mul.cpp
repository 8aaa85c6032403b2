// ops::SiluMul, the ATen reference: silu(gate) * up, each rounded to the dtype (the
// Llama-family MLP as transformers computes it).
#include "kernels/cpu/reference_ops.h"

namespace kvb::ops::reference {

at::Tensor SiluMul(const at::Tensor& gate_up) {
  const std::int64_t width = gate_up.size(-1) / 2;
  return at::silu(gate_up.narrow(-1, 0, width)) * gate_up.narrow(-1, width, width);
}

}  // namespace kvb::ops::reference
