// ops::EvictRows, the ATen reference: gathers each segment's surviving rows first, then
// writes them to the front of the segment, so overlapping moves are safe.
#include "kernels/ops.h"
#include "util/error.h"

namespace kvb::ops {

void EvictRows(LayerKV& layer, const KeptPositions& rows) {
  const int segments = layer.num_segments();
  KVB_REQUIRE(rows.num_segments() == segments, "EvictRows: ", rows.num_segments(), " row lists for ", segments,
              " segments");
  std::vector<int64_t> source, destination;
  for (int s = 0; s < segments; ++s) {
    const auto& keep = rows.per_segment[s];
    for (size_t i = 0; i < keep.size(); ++i) {
      KVB_CHECK(keep[i] >= 0 && keep[i] < layer.host_length[s], "segment ", s, " row ", keep[i]);
      KVB_CHECK(i == 0 || keep[i - 1] < keep[i], "segment ", s, " rows not ascending/unique");
      source.push_back(layer.host_offset[s] + keep[i]);
      destination.push_back(layer.host_offset[s] + static_cast<int64_t>(i));
    }
    layer.host_length[s] = static_cast<int32_t>(keep.size());
  }
  const auto device = layer.keys.device();
  if (!source.empty()) {
    const auto long_options = at::TensorOptions().dtype(at::kLong);
    const at::Tensor from = at::tensor(source, long_options).to(device);
    const at::Tensor to = at::tensor(destination, long_options).to(device);
    layer.keys.index_copy_(0, to, layer.keys.index_select(0, from));
    layer.values.index_copy_(0, to, layer.values.index_select(0, from));
  }
  layer.length.copy_(at::tensor(layer.host_length, at::TensorOptions().dtype(at::kInt)));
}

}  // namespace kvb::ops
