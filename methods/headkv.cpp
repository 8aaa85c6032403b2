// headkv: SnapKV scores with a static layer x head budget table from head-importance
// scores (spec methods.md §6): `heads: copy` (retrieval heads, HeadKV-R), `reason`
// (retrieval-reasoning heads, HeadKV-R2) or a score-file path. copy/reason resolve to
// <head_scores_dir>/headkv_<head_scores_model>_{retrieval,retrieval_reasoning}_heads.json.
// Under kv_head each KV head gets its group's rounded mean capacity (Part 1 §10).
// A capacity above L - w keeps L - w: the surplus is lost, as in the reference (P9).
#include <algorithm>

#include "methods/head_scores.h"
#include "methods/registry.h"
#include "methods/scoring_method.h"
#include "util/error.h"

namespace kvb {
namespace {

class HeadKV : public ScoringMethod {
 public:
  static constexpr const char kName[] = "headkv";
  static constexpr const char kSummary[] = "SnapKV scores, static per-head budgets from retrieval(-reasoning) head scores";

  static void DeclareParams(ParamSchema& schema) {
    schema.String("heads", "reason", "copy | reason | path to a {\"layer-head\": [scores]} file")
        .String("head_scores_dir", "", "directory holding the official score files (copy/reason)")
        .String("head_scores_model", "Meta-Llama-3-8B-Instruct", "model name in the official file names")
        .Float("beta", 1.01, 1.0000001, 1e6, "share of B - w given uniformly is 1 - 1/beta; the rest by importance")
        .Float("temp", 1, 1e-6, 1e6, "importance temperature: p <- p^temp / sum")
        .Choice("base", "budget_minus_window", {"budget_minus_window", "budget"},
                "capacity base: B - w (HeadKV) or B (KVCache-Factory, ~w more per head)");
    DeclareCommon(schema, {{"pyramidkv", {{"base", "budget"}, {"window_reduction", "mean"}}},
                           {"headkv", {{"base", "budget_minus_window"}}}});
  }

  explicit HeadKV(const ParamValues& params) : ScoringMethod(params), params_(params) {
    importance_ = LoadHeadImportance(ScorePath());
  }

 protected:
  SegmentCounts Allocate(const LayerView& view, const at::Tensor& scores) const override {
    const auto& table = Table(view);
    SegmentCounts counts(table[view.layer].begin(), table[view.layer].end());
    for (auto& c : counts) c = std::clamp<int64_t>(c, 0, scores.size(1));
    return counts;
  }

 private:
  std::string ScorePath() const {
    const std::string& heads = params_.GetString("heads");
    if (heads != "copy" && heads != "reason") return heads;
    const std::string& dir = params_.GetString("head_scores_dir");
    if (dir.empty())
      throw ConfigError(StrCat("method 'headkv', key 'head_scores_dir': needed to resolve heads: ", heads));
    return StrCat(dir, "/headkv_", params_.GetString("head_scores_model"), "_",
                  heads == "copy" ? "retrieval" : "retrieval_reasoning", "_heads.json");
  }

  // [Lyr][S] non-window capacities for this model shape and budget, cached per budget.
  const std::vector<std::vector<int64_t>>& Table(const LayerView& view) const {
    if (table_budget_ == view.budget && !table_.empty()) return table_;
    const ModelShape& shape = view.shape;
    if (importance_.num_layers != shape.num_layers || importance_.num_heads != shape.num_q_heads)
      throw Error(StrCat("headkv: head-score file ", ScorePath(), " is ", importance_.num_layers, " layers x ",
                         importance_.num_heads, " heads, the model has ", shape.num_layers, " x ", shape.num_q_heads));
    double total = 0;
    for (double m : importance_.mean) total += m;
    // All-zero scores (e.g. copy heads of a model that never copied) give no shares.
    if (!(total > 0))
      throw Error(StrCat("headkv: head-score file ", ScorePath(), " has no positive score (sum ", total,
                         "); it cannot rank heads"));
    HeadCapacityOptions options;
    options.base = params_.GetString("base") == "budget" ? view.budget : view.budget - window();
    options.beta = params_.GetFloat("beta");
    options.temp = params_.GetFloat("temp");
    table_ = HeadCapacities(importance_, options);
    if (granularity() == Granularity::kKvHead) table_ = GroupMeanCapacities(table_, shape.num_kv_heads);
    table_budget_ = view.budget;
    return table_;
  }

  ParamValues params_;
  HeadImportance importance_;
  mutable std::vector<std::vector<int64_t>> table_;
  mutable int64_t table_budget_ = -1;
};

KVB_REGISTER_METHOD(HeadKV);

}  // namespace
}  // namespace kvb
