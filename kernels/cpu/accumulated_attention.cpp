// ops::AccumulatedAttention, the ATen reference: fp32 causal softmax attention of all
// prompt queries, chunk by chunk of query rows, column-summed (H2O's heavy-hitter score).
#include <algorithm>
#include <limits>

#include "kernels/cpu/score_reduction.h"
#include "kernels/index_math.h"
#include "kernels/ops.h"
#include "util/error.h"

namespace kvb::ops {

at::Tensor AccumulatedAttention(const at::Tensor& queries, const at::Tensor& keys,
                                const AccumulatedAttentionOptions& options) {
  KVB_REQUIRE(queries.dim() == 3 && keys.dim() == 3 && queries.size(1) == keys.size(1) &&
                  queries.size(2) == keys.size(2),
              "AccumulatedAttention: expected queries [H, L, d] and keys [H_kv, L, d], got ", queries.sizes(),
              " and ", keys.sizes());
  const int64_t heads = queries.size(0), kv_heads = keys.size(0), length = keys.size(1);
  KVB_REQUIRE(kv_heads > 0 && heads % kv_heads == 0, "AccumulatedAttention: ", heads, " query heads over ",
              kv_heads, " KV heads");
  KVB_REQUIRE(options.chunk_rows > 0, "AccumulatedAttention: chunk_rows must be positive");
  const double scale = index_math::ResolveSoftmaxScale(options.softmax_scale, static_cast<int>(keys.size(2)));
  const at::Tensor repeated_keys = keys.to(at::kFloat).repeat_interleave(heads / kv_heads, 0).transpose(1, 2);
  const at::Tensor key_index = at::arange(length, queries.options().dtype(at::kLong));
  at::Tensor sums = at::zeros({heads, length}, queries.options().dtype(at::kFloat));
  for (int64_t start = 0; start < length; start += options.chunk_rows) {
    const int64_t rows = std::min(options.chunk_rows, length - start);
    at::Tensor logits = at::matmul(queries.slice(1, start, start + rows).to(at::kFloat), repeated_keys) * scale;
    const at::Tensor future = key_index.unsqueeze(0) > (key_index.slice(0, start, start + rows).unsqueeze(1));
    logits.masked_fill_(future, -std::numeric_limits<float>::infinity());  // [H, rows, L]
    sums += internal::RoundThrough(at::softmax(logits, -1), options.softmax_round_dtype).sum(1);
  }
  sums = internal::RoundThrough(sums, options.softmax_round_dtype);
  return internal::RoundThrough(internal::ReduceGroups(sums, kv_heads, options.group_reduction),
                                options.softmax_round_dtype)
      .contiguous();
}

}  // namespace kvb::ops
