// full: keeps every prompt position (the no-eviction baseline; must equal the plain
// decoder bit for bit).
#include <numeric>

#include "methods/registry.h"

namespace kvb {
namespace {

class Full : public EvictionMethod {
 public:
  static constexpr const char kName[] = "full";
  static constexpr const char kSummary[] = "keep every prompt token (no eviction; the reference)";

  KeptPositions SelectPrefill(const LayerView& view) override {
    std::vector<std::int64_t> all(static_cast<std::size_t>(view.prompt_length));
    std::iota(all.begin(), all.end(), std::int64_t{0});
    KeptPositions kept;
    kept.per_segment.assign(view.shape.num_kv_heads, all);
    return kept;
  }
};

KVB_REGISTER_METHOD(Full);

}  // namespace
}  // namespace kvb
