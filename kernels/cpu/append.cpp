// ops::Append, the ATen reference: one token per segment, written in place at row
// offset[s] + length[s]. The capacity check reads the host mirror (no device sync).
#include "kernels/cpu/reference_ops.h"
#include "util/error.h"

namespace kvb::ops::reference {

void Append(LayerKV& layer, const at::Tensor& keys, const at::Tensor& values) {
  const int segments = layer.num_segments();
  KVB_REQUIRE(keys.dim() == 2 && keys.size(0) == segments && keys.size(1) == layer.head_dim(),
              "Append: keys must be [", segments, ", ", layer.head_dim(), "], got ", keys.sizes());
  KVB_REQUIRE(values.sizes() == keys.sizes(), "Append: values ", values.sizes(), " != keys ", keys.sizes());
  for (int s = 0; s < segments; ++s) {
    KVB_REQUIRE(layer.host_length[s] < layer.host_capacity[s], "Append: segment ", s, " is full (",
                layer.host_capacity[s], " rows); reserve more decode room");
  }
  const at::Tensor rows = (layer.offset + layer.length).to(at::kLong);
  layer.keys.index_copy_(0, rows, keys.to(layer.keys.scalar_type()));
  layer.values.index_copy_(0, rows, values.to(layer.values.scalar_type()));
  layer.length.add_(1);
  for (int s = 0; s < segments; ++s) ++layer.host_length[s];
}

}  // namespace kvb::ops::reference
