// h2o: heavy hitters (accumulated attention) plus recent tokens (spec methods.md §8,
// Part 1 §9). B = heavy + recent with recent = window. mode: prefill scores every prompt
// position by the attention all prompt queries pay it under a causal mask (KVCache-
// Factory since 9f9aa2e), keeps the top B - w plus the last w, once. mode: decode is the
// original algorithm: the same at prefill, then after every decode step the step's
// attention is added to each kept token's score and, once a segment holds more than B,
// it keeps the top B - w by score among all but the last w rows plus those w: exactly
// one token evicted per step. No pooling (pooling/kernel are ignored).
#include "methods/registry.h"
#include "methods/scoring_method.h"

namespace kvb {
namespace {

class H2O : public ScoringMethod {
 public:
  static constexpr const char kName[] = "h2o";
  static constexpr const char kSummary[] = "heavy hitters by accumulated attention + recent window (prefill once, or per decode step)";

  static void DeclareParams(ParamSchema& schema) {
    schema.Choice("mode", "prefill", {"prefill", "decode"}, "score once after prefill, or re-score and evict every step")
        .Int("chunk_rows", 256, 1, 1 << 20, "prompt query rows per attention chunk (memory H x chunk x L)");
    DeclareCommon(schema);
  }

  explicit H2O(const ParamValues& params)
      : ScoringMethod(params), decode_(params.GetString("mode") == "decode"), chunk_rows_(params.GetInt("chunk_rows")) {}

  bool evicts_while_decoding() const override { return decode_; }

  KeptPositions SelectPrefill(const LayerView& view) override {
    KeptPositions kept = ScoringMethod::SelectPrefill(view);
    if (decode_) {
      if (static_cast<int>(accumulated_.size()) <= view.layer) accumulated_.resize(view.layer + 1);
      // Every kept position's score so far; all segments hold the same count.
      const at::Tensor all = Accumulated(view);  // [S, L]
      std::vector<at::Tensor> rows;
      for (int s = 0; s < kept.num_segments(); ++s)
        rows.push_back(all[s].index_select(0, at::tensor(kept.per_segment[s]).to(all.device())));
      accumulated_[view.layer] = at::stack(rows);
      budget_ = view.budget;
    }
    return kept;
  }

  void OnDecodeStep(const DecodeView& view, LayerKV& layer) override {
    const int64_t segments = layer.num_segments(), held = layer.host_length[0];
    const at::Tensor weights = ops::DecodeAttentionWeights(layer, view.queries, 0.0);  // [H, held]
    at::Tensor& scores = accumulated_.at(view.layer);
    const at::Tensor step = ReduceToSegments(weights.slice(1, 0, held), segments);
    scores = at::cat({scores, at::zeros({segments, held - scores.size(1)}, scores.options())}, 1) + step;
    if (held <= budget_) return;
    const int64_t recent = window(), candidates = held - recent;
    KeptPositions rows = ops::SelectTopK(scores.slice(1, 0, candidates).contiguous(),
                                         SegmentCounts(segments, budget_ - recent));
    for (auto& r : rows.per_segment)
      for (int64_t i = candidates; i < held; ++i) r.push_back(i);
    ops::EvictRows(layer, rows);
    scores = at::stack([&] {
      std::vector<at::Tensor> kept;
      for (int64_t s = 0; s < segments; ++s)
        kept.push_back(scores[s].index_select(0, at::tensor(rows.per_segment[s]).to(scores.device())));
      return kept;
    }());
  }

 protected:
  at::Tensor Score(const LayerView& view) const override {
    return Accumulated(view).slice(1, 0, view.prompt_length - window()).contiguous();
  }

 private:
  at::Tensor Accumulated(const LayerView& view) const {
    ops::AccumulatedAttentionOptions options;
    options.group_reduction = group_reduction();
    options.softmax_round_dtype = ScoreRoundDtype(view);
    options.chunk_rows = chunk_rows_;
    return ops::AccumulatedAttention(view.queries, view.keys, options);
  }

  // [H, n] per-query-head weights -> [S, n] with this method's group reduction.
  at::Tensor ReduceToSegments(const at::Tensor& weights, int64_t segments) const {
    if (weights.size(0) == segments) return weights;
    const at::Tensor grouped = weights.view({segments, weights.size(0) / segments, weights.size(1)});
    return group_reduction() == ops::GroupReduction::kMax ? std::get<0>(grouped.max(1)) : grouped.mean(1);
  }

  bool decode_;
  int64_t chunk_rows_;
  int64_t budget_ = 0;
  std::vector<at::Tensor> accumulated_;  // per layer: [S, held] f32, row-aligned with the cache
};

KVB_REGISTER_METHOD(H2O);

}  // namespace
}  // namespace kvb
