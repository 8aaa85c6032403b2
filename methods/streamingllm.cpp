// streamingllm: attention sinks plus a recent window (spec methods.md §7). mode: prefill
// keeps positions [0, sinks) and the last B - sinks once (the LongBench baseline);
// mode: decode also rolls the window while generating, evicting the oldest non-sink
// token whenever a segment holds more than B. Positions stay absolute (keys after RoPE);
// the paper's cache-relative positions (positions: cache) need the decoder to re-rotate
// keys and are not implemented yet.
#include <numeric>

#include "methods/registry.h"
#include "util/error.h"

namespace kvb {
namespace {

class StreamingLLM : public EvictionMethod {
 public:
  static constexpr const char kName[] = "streamingllm";
  static constexpr const char kSummary[] = "attention sinks + most recent tokens (prefill once, or rolling while decoding)";

  static void DeclareParams(ParamSchema& schema) {
    schema.Int("sinks", 4, 0, 1 << 20, "initial tokens always kept")
        .Choice("mode", "prefill", {"prefill", "decode"}, "evict once after prefill, or also roll while decoding")
        .Choice("positions", "absolute", {"absolute", "cache"}, "absolute: keys keep their positions (cache: not yet)");
  }

  explicit StreamingLLM(const ParamValues& params)
      : sinks_(params.GetInt("sinks")), decode_(params.GetString("mode") == "decode") {
    if (params.GetString("positions") == "cache")
      throw ConfigError("method 'streamingllm', key 'positions': 'cache' (re-rotated keys) is not implemented");
  }

  bool evicts_while_decoding() const override { return decode_; }

  KeptPositions SelectPrefill(const LayerView& view) override {
    if (view.budget <= sinks_)
      throw ConfigError(StrCat("method 'streamingllm': budget ", view.budget, " must exceed sinks ", sinks_));
    budget_ = view.budget;
    std::vector<int64_t> positions(static_cast<size_t>(view.prompt_length));
    std::iota(positions.begin(), positions.end(), int64_t{0});
    if (view.prompt_length > view.budget)
      positions.erase(positions.begin() + sinks_, positions.end() - (view.budget - sinks_));
    KeptPositions kept;
    kept.per_segment.assign(view.shape.num_kv_heads, positions);
    return kept;
  }

  void OnDecodeStep(const DecodeView&, LayerKV& layer) override {
    KeptPositions rows;
    bool evict = false;
    for (int s = 0; s < layer.num_segments(); ++s) {
      std::vector<int64_t> keep(layer.host_length[s]);
      std::iota(keep.begin(), keep.end(), int64_t{0});
      if (layer.host_length[s] > budget_) {  // drop the oldest non-sink row
        keep.erase(keep.begin() + sinks_, keep.begin() + sinks_ + (layer.host_length[s] - budget_));
        evict = true;
      }
      rows.per_segment.push_back(std::move(keep));
    }
    if (evict) ops::EvictRows(layer, rows);
  }

 private:
  int64_t sinks_;
  bool decode_;
  int64_t budget_ = 0;
};

KVB_REGISTER_METHOD(StreamingLLM);

}  // namespace
}  // namespace kvb
