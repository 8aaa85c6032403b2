#include "methods/scoring_method.h"

#include <numeric>

#include "util/error.h"

namespace kvb {
namespace {

// Part 2 §0.1 / §10 settings of each codebase, as named defaults (Part 1 §7).
const std::map<std::string, PresetValues>& CommonPresets() {
  static const std::map<std::string, PresetValues> presets = {
      {"adakv",  // AdaKV gqa_support (NeurIPS tables): w 32, k 7, maxpool, mean, KV-head mean
       {{"window", "32"}, {"kernel", "7"}, {"pooling", "max"}, {"window_reduction", "mean"},
        {"granularity", "kv_head"}, {"group_reduction", "mean"}, {"score_dtype", "model"}}},
      {"pyramidkv",  // KVCache-Factory LongBench: w 8, k 7, maxpool, sum, per query head
       {{"window", "8"}, {"kernel", "7"}, {"pooling", "max"}, {"window_reduction", "sum"},
        {"granularity", "query_head"}, {"score_dtype", "model"}}},
      {"headkv",  // HeadKV runs: w 8, k 7, maxpool, mean, per query head
       {{"window", "8"}, {"kernel", "7"}, {"pooling", "max"}, {"window_reduction", "mean"},
        {"granularity", "query_head"}, {"score_dtype", "model"}}},
      {"kvpress",  // SnapKVPress: w 64, k 5, avgpool, mean, KV-head mean (order moot for avgpool)
       {{"window", "64"}, {"kernel", "5"}, {"pooling", "avg"}, {"window_reduction", "mean"},
        {"granularity", "kv_head"}, {"group_reduction", "mean"}, {"score_dtype", "model"}}},
  };
  return presets;
}

ops::Pooling ParsePooling(const std::string& name) {
  return name == "max" ? ops::Pooling::kMax : name == "avg" ? ops::Pooling::kAvg : ops::Pooling::kNone;
}

}  // namespace

void ScoringMethod::DeclareCommon(ParamSchema& schema, const ProtocolExtras& extras) {
  schema.Int("window", 32, 1, 1 << 20, "observation window w: last w prompt tokens, always kept, queries score")
      .Int("kernel", 7, 1, 1023, "pooling kernel size (odd), stride 1, padding kernel/2")
      .Choice("pooling", "max", {"max", "avg", "none"}, "1-D pooling of scores along positions")
      .Choice("granularity", "kv_head", {"kv_head", "query_head"},
              "one token set per KV head, or per query head (K/V repeated, G x memory)")
      .Choice("group_reduction", "mean", {"mean", "max"}, "kv_head: reduce the G query heads' scores (before pooling)")
      .Choice("window_reduction", "mean", {"mean", "sum"}, "reduce scores over the window rows")
      .Choice("score_dtype", "float32", {"float32", "model"},
              "model: round softmax output and scores to the model dtype, as the references do");
  for (const auto& [protocol, common] : CommonPresets()) {
    PresetValues values = common;
    if (auto it = extras.find(protocol); it != extras.end())
      values.insert(values.end(), it->second.begin(), it->second.end());
    schema.AddPreset(protocol, values);
  }
}

ScoringMethod::ScoringMethod(const ParamValues& params)
    : window_(params.GetInt("window")),
      granularity_(params.GetString("granularity") == "query_head" ? Granularity::kQueryHead : Granularity::kKvHead),
      round_to_model_(params.GetString("score_dtype") == "model") {
  window_options_.kernel_size = static_cast<int>(params.GetInt("kernel"));
  if (window_options_.kernel_size % 2 == 0)
    throw ConfigError(StrCat("key 'kernel': ", window_options_.kernel_size, " must be odd"));
  window_options_.pooling = ParsePooling(params.GetString("pooling"));
  window_options_.window_reduction =
      params.GetString("window_reduction") == "sum" ? ops::WindowReduction::kSum : ops::WindowReduction::kMean;
  window_options_.group_reduction =
      granularity_ == Granularity::kQueryHead ? ops::GroupReduction::kNone
      : params.GetString("group_reduction") == "max" ? ops::GroupReduction::kMax
                                                      : ops::GroupReduction::kMean;
}

int ScoringMethod::num_segments(const ModelShape& shape) const {
  return granularity_ == Granularity::kQueryHead ? shape.num_q_heads : shape.num_kv_heads;
}

ops::GroupReduction ScoringMethod::group_reduction() const { return window_options_.group_reduction; }

at::ScalarType ScoringMethod::ScoreRoundDtype(const LayerView& view) const {
  return round_to_model_ ? view.keys.scalar_type() : at::kFloat;
}

KeptPositions ScoringMethod::KeepAll(const LayerView& view) const {
  std::vector<int64_t> all(static_cast<size_t>(view.prompt_length));
  std::iota(all.begin(), all.end(), int64_t{0});
  KeptPositions kept;
  kept.per_segment.assign(num_segments(view.shape), all);
  return kept;
}

at::Tensor ScoringMethod::Score(const LayerView& view) const {
  ops::WindowScoreOptions options = window_options_;
  options.softmax_round_dtype = ScoreRoundDtype(view);
  const int64_t first = view.prompt_length - window_;
  return ops::WindowScores(view.queries.slice(1, first, view.prompt_length), view.keys, options);
}

SegmentCounts ScoringMethod::Allocate(const LayerView& view, const at::Tensor&) const {
  return SegmentCounts(num_segments(view.shape), view.budget - window_);
}

KeptPositions ScoringMethod::SelectPrefill(const LayerView& view) {
  if (view.budget <= window_)
    throw ConfigError(StrCat("method '", name(), "': budget ", view.budget, " must exceed window ", window_,
                             " (the budget counts the window)"));
  if (view.prompt_length <= view.budget) return KeepAll(view);
  const at::Tensor scores = Score(view);  // [S, T]
  const int64_t scored = view.prompt_length - window_;
  KVB_CHECK(scores.dim() == 2 && scores.size(0) == num_segments(view.shape) && scores.size(1) == scored,
            "Score() returned ", scores.sizes());
  KeptPositions kept = ops::SelectTopK(scores, Allocate(view, scores));
  for (auto& positions : kept.per_segment)
    for (int64_t p = scored; p < view.prompt_length; ++p) positions.push_back(p);
  return kept;
}

}  // namespace kvb
