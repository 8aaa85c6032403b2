// ops::WindowScores, the ATen reference (spec methods.md §0.1): fp32 logits of the w
// window queries against all L keys, causal inside the w x w window block, softmax over
// all keys, window columns dropped, reduced over window rows, over the GQA group, then
// pooled. Under score_dtype: model the intermediate scores are rounded to the model
// dtype after every stage at which the references hold a model-dtype tensor (softmax,
// window reduction, group reduction, pooling), so their ties reappear.
#include <limits>

#include "kernels/cpu/reference_ops.h"
#include "kernels/cpu/score_reduction.h"
#include "kernels/index_math.h"
#include "kernels/ops.h"
#include "util/error.h"

namespace kvb::ops::reference {

at::Tensor WindowScores(const at::Tensor& window_queries, const at::Tensor& keys,
                        const WindowScoreOptions& options) {
  KVB_REQUIRE(window_queries.dim() == 3 && keys.dim() == 3 && window_queries.size(2) == keys.size(2),
              "WindowScores: expected queries [H, w, d] and keys [H_kv, L, d], got ", window_queries.sizes(),
              " and ", keys.sizes());
  const int64_t heads = window_queries.size(0), window = window_queries.size(1);
  const int64_t kv_heads = keys.size(0), length = keys.size(1), head_dim = keys.size(2);
  KVB_REQUIRE(kv_heads > 0 && heads % kv_heads == 0, "WindowScores: ", heads, " query heads over ", kv_heads,
              " KV heads");
  KVB_REQUIRE(window >= 1 && window <= length, "WindowScores: window ", window, " for ", length, " keys");
  KVB_REQUIRE(options.kernel_size >= 1 && options.kernel_size % 2 == 1, "WindowScores: kernel_size ",
              options.kernel_size, " must be odd");
  const int64_t group = heads / kv_heads, scored = length - window;
  const double scale = index_math::ResolveSoftmaxScale(options.softmax_scale, static_cast<int>(head_dim));

  const at::Tensor repeated_keys = keys.to(at::kFloat).repeat_interleave(group, 0);             // [H, L, d]
  at::Tensor logits = at::matmul(window_queries.to(at::kFloat), repeated_keys.transpose(1, 2)) * scale;  // [H, w, L]
  const at::Tensor future = at::ones({window, window}, logits.options().dtype(at::kBool)).triu(1);
  logits.slice(2, scored, length).masked_fill_(future, -std::numeric_limits<float>::infinity());
  const at::ScalarType round = options.softmax_round_dtype;
  const at::Tensor probs = internal::RoundThrough(at::softmax(logits, -1), round).slice(2, 0, scored);  // [H, w, T]
  at::Tensor scores = options.window_reduction == WindowReduction::kSum ? probs.sum(1) : probs.mean(1);
  scores = internal::RoundThrough(scores, round);                                                      // [H, T]
  scores = internal::RoundThrough(internal::ReduceGroups(scores, kv_heads, options.group_reduction), round);
  return internal::RoundThrough(internal::Pool(scores, options.pooling, options.kernel_size), round).contiguous();
}

}  // namespace kvb::ops::reference
