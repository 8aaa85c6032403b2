// ops::DecodeAttentionWeights, the ATen reference: the fp32 softmax weights of one query
// per query head over its (ragged) segment, zero-padded to the longest segment.
#include <algorithm>
#include <limits>

#include "kernels/index_math.h"
#include "kernels/ops.h"
#include "util/error.h"

namespace kvb::ops {

at::Tensor DecodeAttentionWeights(const LayerKV& layer, const at::Tensor& queries, double softmax_scale) {
  const int64_t segments = layer.num_segments(), heads = queries.size(0), head_dim = layer.head_dim();
  KVB_REQUIRE(queries.dim() == 2 && queries.size(1) == head_dim, "DecodeAttentionWeights: queries must be [H, ",
              head_dim, "], got ", queries.sizes());
  KVB_REQUIRE(segments > 0 && heads % segments == 0, "DecodeAttentionWeights: ", heads,
              " query heads over ", segments, " segments");
  const int64_t group = heads / segments;
  const int64_t longest = std::max<int32_t>(1, *std::max_element(layer.host_length.begin(), layer.host_length.end()));
  const double scale = index_math::ResolveSoftmaxScale(softmax_scale, static_cast<int>(head_dim));
  const auto index_options = layer.offset.options().dtype(at::kLong);
  const at::Tensor steps = at::arange(longest, index_options);
  const at::Tensor valid = steps.unsqueeze(0) < layer.length.to(at::kLong).unsqueeze(1);  // [S, T]
  const at::Tensor rows =
      (layer.offset.to(at::kLong).unsqueeze(1) + steps.unsqueeze(0)).clamp_max(layer.keys.size(0) - 1);
  const at::Tensor keys = layer.keys.index_select(0, rows.flatten()).view({segments, longest, head_dim});
  at::Tensor logits = at::matmul(queries.to(at::kFloat).view({segments, group, head_dim}),
                                 keys.to(at::kFloat).transpose(1, 2)) * scale;  // [S, G, T]
  const at::Tensor invalid = valid.logical_not().unsqueeze(1);
  logits.masked_fill_(invalid, -std::numeric_limits<float>::infinity());
  return at::softmax(logits, -1).masked_fill(invalid, 0.0f).view({heads, longest});
}

}  // namespace kvb::ops
