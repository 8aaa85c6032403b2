// ops::Compact, the ATen reference: gathers each segment's kept prompt rows into a
// fresh flat buffer laid out back to back, each segment followed by its decode room.
#include <numeric>

#include "kernels/ops.h"
#include "util/error.h"

namespace kvb {

std::int64_t KeptPositions::total() const {
  std::int64_t sum = 0;
  for (const auto& positions : per_segment) sum += static_cast<std::int64_t>(positions.size());
  return sum;
}

namespace ops {

LayerKV Compact(const at::Tensor& keys, const at::Tensor& values, const KeptPositions& kept,
                std::int64_t extra_capacity) {
  KVB_REQUIRE(keys.dim() == 3 && values.sizes() == keys.sizes(), "Compact: keys/values must be [H_kv, L, d], got ",
              keys.sizes(), " and ", values.sizes());
  KVB_REQUIRE(extra_capacity >= 0, "Compact: negative extra capacity ", extra_capacity);
  const int64_t kv_heads = keys.size(0);
  const int64_t length = keys.size(1);
  const int64_t head_dim = keys.size(2);
  const int segments = kept.num_segments();
  KVB_REQUIRE(segments > 0 && segments % kv_heads == 0, "Compact: ", segments,
              " segments is not a multiple of ", kv_heads, " KV heads");

  LayerKV layer;
  std::vector<int64_t> source_rows;       // into keys viewed as [H_kv * L, d]
  std::vector<int64_t> destination_rows;  // into the flat buffer
  int32_t next_offset = 0;
  for (int s = 0; s < segments; ++s) {
    const auto& positions = kept.per_segment[s];
    const int64_t kv_head = static_cast<int64_t>(s) * kv_heads / segments;
    for (size_t i = 0; i < positions.size(); ++i) {
      KVB_CHECK(positions[i] >= 0 && positions[i] < length, "segment ", s, " position ", positions[i]);
      KVB_CHECK(i == 0 || positions[i - 1] < positions[i], "segment ", s, " positions not ascending/unique");
      source_rows.push_back(kv_head * length + positions[i]);
      destination_rows.push_back(next_offset + static_cast<int64_t>(i));
    }
    const auto held = static_cast<int32_t>(positions.size());
    layer.host_offset.push_back(next_offset);
    layer.host_length.push_back(held);
    layer.host_capacity.push_back(held + static_cast<int32_t>(extra_capacity));
    next_offset += held + static_cast<int32_t>(extra_capacity);
  }

  const auto device = keys.device();
  const auto int_options = at::TensorOptions().dtype(at::kInt);
  layer.offset = at::tensor(layer.host_offset, int_options).to(device);
  layer.length = at::tensor(layer.host_length, int_options).to(device);
  layer.capacity = at::tensor(layer.host_capacity, int_options).to(device);
  layer.keys = at::zeros({next_offset, head_dim}, keys.options());
  layer.values = at::zeros({next_offset, head_dim}, values.options());
  if (!source_rows.empty()) {
    const auto long_options = at::TensorOptions().dtype(at::kLong);
    const at::Tensor source = at::tensor(source_rows, long_options).to(device);
    const at::Tensor destination = at::tensor(destination_rows, long_options).to(device);
    layer.keys.index_copy_(0, destination, keys.reshape({kv_heads * length, head_dim}).index_select(0, source));
    layer.values.index_copy_(0, destination,
                             values.reshape({kv_heads * length, head_dim}).index_select(0, source));
  }
  return layer;
}

}  // namespace ops
}  // namespace kvb
