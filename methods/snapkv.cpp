// snapkv: every segment keeps its top (B - w) positions by observation-window score,
// plus the window (spec methods.md §1). All of it is ScoringMethod's default.
#include "methods/registry.h"
#include "methods/scoring_method.h"

namespace kvb {
namespace {

class SnapKV : public ScoringMethod {
 public:
  static constexpr const char kName[] = "snapkv";
  static constexpr const char kSummary[] = "uniform top-(B-w) by observation-window attention, plus the window";
  static void DeclareParams(ParamSchema& schema) { DeclareCommon(schema); }
  explicit SnapKV(const ParamValues& params) : ScoringMethod(params) {}
};

KVB_REGISTER_METHOD(SnapKV);

}  // namespace
}  // namespace kvb
