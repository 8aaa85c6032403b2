// ops::DecodeAttention, the ATen reference: pads the ragged segments to the longest one
// (indices built on the device from offset/length, so no host round trip), masks the
// padding, and runs softmax attention in fp32. A length-0 segment attends to nothing
// and yields zeros.
#include <algorithm>
#include <limits>

#include "kernels/cpu/reference_ops.h"
#include "util/error.h"

namespace kvb::ops::reference {

at::Tensor DecodeAttention(const LayerKV& layer, const at::Tensor& queries, double softmax_scale) {
  const int segments = layer.num_segments();
  const int64_t heads = queries.size(0);
  const int64_t head_dim = layer.head_dim();
  KVB_REQUIRE(queries.dim() == 2 && queries.size(1) == head_dim, "DecodeAttention: queries must be [H, ",
              head_dim, "], got ", queries.sizes());
  KVB_REQUIRE(segments > 0 && heads % segments == 0, "DecodeAttention: ", heads,
              " query heads do not split over ", segments, " segments");
  const int64_t group = heads / segments;
  const int64_t longest =
      std::max<int64_t>(1, *std::max_element(layer.host_length.begin(), layer.host_length.end()));
  const auto index_options = layer.offset.options().dtype(at::kLong);
  const at::Tensor steps = at::arange(longest, index_options);                             // [T]
  const at::Tensor valid = steps.unsqueeze(0) < layer.length.to(at::kLong).unsqueeze(1);  // [S, T]
  const at::Tensor rows =
      (layer.offset.to(at::kLong).unsqueeze(1) + steps.unsqueeze(0)).clamp_max(layer.keys.size(0) - 1);
  const at::Tensor keys = layer.keys.index_select(0, rows.flatten()).view({segments, longest, head_dim});
  const at::Tensor values = layer.values.index_select(0, rows.flatten()).view({segments, longest, head_dim});

  const at::Tensor q = queries.to(at::kFloat).view({segments, group, head_dim});
  at::Tensor scores = at::matmul(q, keys.to(at::kFloat).transpose(1, 2)) * softmax_scale;  // [S, G, T]
  const at::Tensor mask = valid.unsqueeze(1);                                              // [S, 1, T]
  scores = scores.masked_fill(mask.logical_not(), -std::numeric_limits<float>::infinity());
  // Rows of an empty segment are all -inf -> NaN after softmax; the second mask zeroes them.
  const at::Tensor probs = at::softmax(scores, -1).masked_fill(mask.logical_not(), 0.0f);
  // Padding rows may hold anything (NaN in unused capacity): zero them, as 0 * NaN = NaN.
  const at::Tensor clean_values = values.to(at::kFloat).masked_fill(valid.logical_not().unsqueeze(-1), 0.0f);
  const at::Tensor out = at::matmul(probs, clean_values);  // [S, G, d]
  return out.view({heads, head_dim}).to(queries.scalar_type());
}

}  // namespace kvb::ops::reference
