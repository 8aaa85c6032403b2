// ops::Compact, the ATen reference: gathers each segment's kept prompt rows into a
// fresh flat buffer laid out back to back, each segment followed by its decode room.
#include "kernels/compact_plan.h"
#include "kernels/cpu/reference_ops.h"
#include "util/error.h"

namespace kvb {

std::int64_t KeptPositions::total() const {
  std::int64_t sum = 0;
  for (const auto& positions : per_segment) sum += static_cast<std::int64_t>(positions.size());
  return sum;
}

namespace ops {

CompactPlan PlanCompact(const KeptPositions& kept, std::int64_t kv_heads, std::int64_t length,
                        std::int64_t extra_capacity) {
  KVB_REQUIRE(extra_capacity >= 0, "Compact: negative extra capacity ", extra_capacity);
  const int segments = kept.num_segments();
  KVB_REQUIRE(segments > 0 && kv_heads > 0 && segments % kv_heads == 0, "Compact: ", segments,
              " segments is not a multiple of ", kv_heads, " KV heads");
  KVB_REQUIRE(kv_heads * length < (std::int64_t{1} << 31), "Compact: ", kv_heads, " x ", length,
              " prompt rows overflow 32-bit row indices");
  CompactPlan plan;
  std::int64_t next_offset = 0;
  for (int s = 0; s < segments; ++s) {
    const auto& positions = kept.per_segment[s];
    const std::int64_t kv_head = static_cast<std::int64_t>(s) * kv_heads / segments;
    for (size_t i = 0; i < positions.size(); ++i) {
      KVB_CHECK(positions[i] >= 0 && positions[i] < length, "segment ", s, " position ", positions[i]);
      KVB_CHECK(i == 0 || positions[i - 1] < positions[i], "segment ", s, " positions not ascending/unique");
      plan.source_rows.push_back(static_cast<std::int32_t>(kv_head * length + positions[i]));
      plan.destination_rows.push_back(static_cast<std::int32_t>(next_offset + static_cast<std::int64_t>(i)));
    }
    const auto held = static_cast<std::int64_t>(positions.size());
    plan.offset.push_back(static_cast<std::int32_t>(next_offset));
    plan.length.push_back(static_cast<std::int32_t>(held));
    plan.capacity.push_back(static_cast<std::int32_t>(held + extra_capacity));
    next_offset += held + extra_capacity;
    KVB_REQUIRE(next_offset < (std::int64_t{1} << 31), "Compact: the layer needs ", next_offset,
                " rows, more than 32-bit offsets hold");
  }
  plan.total_rows = next_offset;
  return plan;
}

// The new layer's metadata on `device`, host mirrors from the plan.
LayerKV LayerFromPlan(const CompactPlan& plan, const at::Device& device) {
  LayerKV layer;
  layer.host_offset = plan.offset;
  layer.host_length = plan.length;
  layer.host_capacity = plan.capacity;
  const auto int_options = at::TensorOptions().dtype(at::kInt);
  layer.offset = at::tensor(plan.offset, int_options).to(device);
  layer.length = at::tensor(plan.length, int_options).to(device);
  layer.capacity = at::tensor(plan.capacity, int_options).to(device);
  return layer;
}

namespace reference {

LayerKV Compact(const at::Tensor& keys, const at::Tensor& values, const KeptPositions& kept,
                std::int64_t extra_capacity) {
  KVB_REQUIRE(keys.dim() == 3 && values.sizes() == keys.sizes(), "Compact: keys/values must be [H_kv, L, d], got ",
              keys.sizes(), " and ", values.sizes());
  const int64_t kv_heads = keys.size(0), length = keys.size(1), head_dim = keys.size(2);
  const CompactPlan plan = PlanCompact(kept, kv_heads, length, extra_capacity);
  LayerKV layer = LayerFromPlan(plan, keys.device());
  layer.keys = at::zeros({plan.total_rows, head_dim}, keys.options());
  layer.values = at::zeros({plan.total_rows, head_dim}, values.options());
  if (!plan.source_rows.empty()) {
    const auto long_options = at::TensorOptions().dtype(at::kInt);
    const at::Tensor source = at::tensor(plan.source_rows, long_options).to(keys.device()).to(at::kLong);
    const at::Tensor destination = at::tensor(plan.destination_rows, long_options).to(keys.device()).to(at::kLong);
    layer.keys.index_copy_(0, destination, keys.reshape({kv_heads * length, head_dim}).index_select(0, source));
    layer.values.index_copy_(0, destination, values.reshape({kv_heads * length, head_dim}).index_select(0, source));
  }
  return layer;
}

}  // namespace reference
}  // namespace ops
}  // namespace kvb
