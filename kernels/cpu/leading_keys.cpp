// ops::ReadLeadingKeys / WriteLeadingKeys: index_select / index_copy_ of the first n rows
// of every segment, on whatever device the cache is.
#include "kernels/ops.h"
#include "util/error.h"

namespace kvb::ops {
namespace {

// Flat row indices of the first n rows of every segment, on the cache's device.
at::Tensor LeadingRows(const LayerKV& layer, std::int64_t n, const char* op) {
  std::vector<std::int64_t> rows;
  rows.reserve(static_cast<size_t>(layer.num_segments() * n));
  for (int s = 0; s < layer.num_segments(); ++s) {
    KVB_REQUIRE(n >= 0 && n <= layer.host_length[s], op, ": ", n, " rows of segment ", s, ", which holds ",
                layer.host_length[s]);
    for (std::int64_t i = 0; i < n; ++i) rows.push_back(layer.host_offset[s] + i);
  }
  return at::tensor(rows, at::TensorOptions().dtype(at::kLong)).to(layer.keys.device());
}

}  // namespace

at::Tensor ReadLeadingKeys(const LayerKV& layer, std::int64_t n) {
  return layer.keys.index_select(0, LeadingRows(layer, n, "ReadLeadingKeys"))
      .view({layer.num_segments(), n, layer.head_dim()});
}

void WriteLeadingKeys(LayerKV& layer, const at::Tensor& keys) {
  KVB_REQUIRE(keys.dim() == 3 && keys.size(0) == layer.num_segments() && keys.size(2) == layer.head_dim(),
              "WriteLeadingKeys: keys must be [", layer.num_segments(), ", n, ", layer.head_dim(), "], got ",
              keys.sizes());
  const at::Tensor rows = LeadingRows(layer, keys.size(1), "WriteLeadingKeys");
  if (rows.numel() == 0) return;
  layer.keys.index_copy_(0, rows, keys.reshape({-1, layer.head_dim()}).to(layer.keys.scalar_type()));
}

}  // namespace kvb::ops
