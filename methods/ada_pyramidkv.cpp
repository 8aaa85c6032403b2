// ada_pyramidkv: the PyramidKV layer budget cap_l, split across the layer's heads by
// AdaKV's allocation (spec methods.md §5). Schedule recomputed per prompt (not P3's freeze).
#include "methods/allocation.h"
#include "methods/registry.h"
#include "methods/scoring_method.h"

namespace kvb {
namespace {

class AdaPyramidKV : public ScoringMethod {
 public:
  static constexpr const char kName[] = "ada_pyramidkv";
  static constexpr const char kSummary[] = "PyramidKV per-layer budgets, split per head by AdaKV's top-k";

  static void DeclareParams(ParamSchema& schema) {
    schema.Float("beta", 20, 1, 1e6, "pyramid steepness: the top layer keeps about (B - w) / beta")
        .Choice("schedule", "integer", {"integer", "exact"}, "integer: references' floored step; exact: mean = B - w")
        .Float("floor_alpha", 0.2, 0, 1, "share of each head's budget granted uniformly")
        .Bool("normalize", false, "scale each head's scores by its top-budget mass share before the top-k");
    DeclareCommon(schema, {{"adakv", {{"floor_alpha", "0.2"}, {"normalize", "false"}}}});
  }

  explicit AdaPyramidKV(const ParamValues& params)
      : ScoringMethod(params),
        beta_(params.GetFloat("beta")),
        exact_(params.GetString("schedule") == "exact"),
        floor_alpha_(params.GetFloat("floor_alpha")),
        normalize_(params.GetBool("normalize")) {}

 protected:
  SegmentCounts Allocate(const LayerView& view, const at::Tensor& scores) const override {
    const PyramidSchedule schedule = MakePyramidSchedule(view.budget - window(), view.prompt_length, window(),
                                                         view.shape.num_layers, beta_, exact_);
    const int64_t layer_base = std::clamp<int64_t>(schedule.Capacity(view.layer), 0, scores.size(1));
    return AdaCounts(scores, layer_base, floor_alpha_, normalize_);
  }

 private:
  double beta_;
  bool exact_;
  double floor_alpha_;
  bool normalize_;
};

KVB_REGISTER_METHOD(AdaPyramidKV);

}  // namespace
}  // namespace kvb
