// pyramidkv: SnapKV scores with a per-layer budget that shrinks linearly from the bottom
// layer up (spec methods.md §3): the integer schedule with its known over-allocation,
// recomputed per prompt; `schedule: exact` uses float steps whose mean is B - w.
// `short_prompt: uniform` is KVCache-Factory's fallback to uniform SnapKV when
// L < 2 (B - w) (pitfall P2); the default keeps the clamped pyramid (AdaKV's variant).
#include "methods/allocation.h"
#include "methods/registry.h"
#include "methods/scoring_method.h"

namespace kvb {
namespace {

class PyramidKV : public ScoringMethod {
 public:
  static constexpr const char kName[] = "pyramidkv";
  static constexpr const char kSummary[] = "SnapKV scores, per-layer budgets decreasing linearly with depth";

  static void DeclareParams(ParamSchema& schema) {
    schema.Float("beta", 20, 1, 1e6, "pyramid steepness: the top layer keeps about (B - w) / beta")
        .Choice("schedule", "integer", {"integer", "exact"}, "integer: references' floored step; exact: mean = B - w")
        .Choice("short_prompt", "pyramid", {"pyramid", "uniform"},
                "L < 2(B - w): keep the clamped pyramid, or fall back to uniform SnapKV (KVCache-Factory)");
    DeclareCommon(schema, {{"pyramidkv", {{"short_prompt", "uniform"}}}});
  }

  explicit PyramidKV(const ParamValues& params)
      : ScoringMethod(params),
        beta_(params.GetFloat("beta")),
        exact_(params.GetString("schedule") == "exact"),
        uniform_fallback_(params.GetString("short_prompt") == "uniform") {}

 protected:
  SegmentCounts Allocate(const LayerView& view, const at::Tensor& scores) const override {
    const int64_t base = view.budget - window();
    if (uniform_fallback_ && view.prompt_length < 2 * base) return ScoringMethod::Allocate(view, scores);
    const PyramidSchedule schedule = MakePyramidSchedule(base, view.prompt_length, window(),
                                                         view.shape.num_layers, beta_, exact_);
    const int64_t capacity = std::min<int64_t>(schedule.Capacity(view.layer), scores.size(1));
    return SegmentCounts(scores.size(0), std::max<int64_t>(capacity, 0));
  }

 private:
  double beta_;
  bool exact_;
  bool uniform_fallback_;
};

KVB_REGISTER_METHOD(PyramidKV);

}  // namespace
}  // namespace kvb
