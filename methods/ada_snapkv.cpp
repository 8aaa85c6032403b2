// ada_snapkv: SnapKV scores with AdaKV's head-wise budget (spec methods.md §4): the
// layer's S (B - w) non-window slots go to the segments whose scores win a layer-wide
// top-k, blended with a uniform floor of floor_alpha (B - w).
#include "methods/allocation.h"
#include "methods/registry.h"
#include "methods/scoring_method.h"

namespace kvb {
namespace {

class AdaSnapKV : public ScoringMethod {
 public:
  static constexpr const char kName[] = "ada_snapkv";
  static constexpr const char kSummary[] = "SnapKV scores, per-head budgets from a layer-wide top-k (AdaKV)";

  static void DeclareParams(ParamSchema& schema) {
    schema.Float("floor_alpha", 0.2, 0, 1, "share of each head's budget granted uniformly")
        .Bool("normalize", false, "scale each head's scores by its top-(B-w) mass share before the top-k");
    DeclareCommon(schema, {{"adakv", {{"floor_alpha", "0.2"}, {"normalize", "false"}}},
                           {"pyramidkv", {{"floor_alpha", "0.2"}, {"normalize", "true"}, {"window_reduction", "mean"}}},
                           {"headkv", {{"floor_alpha", "0.2"}, {"normalize", "true"}}}});
  }

  explicit AdaSnapKV(const ParamValues& params)
      : ScoringMethod(params), floor_alpha_(params.GetFloat("floor_alpha")), normalize_(params.GetBool("normalize")) {}

 protected:
  SegmentCounts Allocate(const LayerView& view, const at::Tensor& scores) const override {
    return AdaCounts(scores, view.budget - window(), floor_alpha_, normalize_);
  }

 private:
  double floor_alpha_;
  bool normalize_;
};

KVB_REGISTER_METHOD(AdaSnapKV);

}  // namespace
}  // namespace kvb
