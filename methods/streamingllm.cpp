// streamingllm: attention sinks plus a recent window (spec methods.md §7). mode: prefill
// keeps positions [0, sinks) and the last B - sinks once (the LongBench baseline);
// mode: decode also rolls the window while generating, evicting the oldest non-sink
// token whenever a segment holds more than B.
//
// positions: absolute (the default, as every reference but the original) leaves each key
// at its prompt position. positions: cache is the paper's numbering: a key's position is
// its index in the cache, the query's is the cache length. kvbench gets that attention
// without renumbering the cache. RoPE scores depend only on query position minus key
// position, and the non-sink rows are always one contiguous run of positions ending at
// the newest token, so their distances to the query are the same in both numberings. Only
// the sinks differ: in cache numbering they sit `shift` positions nearer the query, shift =
// tokens evicted so far. So when a layer first evicts, it copies its sink rows aside
// ([S, sinks, d], still post-RoPE at positions 0..sinks-1) and from then on writes them
// back rotated by `shift` whenever it grows: one rotation from the original each time, so
// rounding never accumulates, while queries and new keys keep absolute positions (CUDA
// graphs stay valid in mode prefill, where the shift is fixed after prefill).
#include <algorithm>
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
        .Choice("positions", "absolute", {"absolute", "cache"},
                "absolute: keys keep their prompt positions; cache: positions within the cache (the paper's)");
  }

  explicit StreamingLLM(const ParamValues& params)
      : sinks_(params.GetInt("sinks")),
        decode_(params.GetString("mode") == "decode"),
        cache_positions_(params.GetString("positions") == "cache") {}

  bool evicts_while_decoding() const override { return decode_; }

  void BeginPrompt(const ModelShape& shape, std::int64_t, std::int64_t) override {
    sink_keys_.assign(shape.num_layers, at::Tensor());
    shift_.assign(shape.num_layers, 0);
  }

  KeptPositions SelectPrefill(const LayerView& view) override {
    if (view.budget <= sinks_)
      throw ConfigError(StrCat("method 'streamingllm': budget ", view.budget, " must exceed sinks ", sinks_));
    budget_ = view.budget;
    std::vector<int64_t> positions(static_cast<size_t>(view.prompt_length));
    std::iota(positions.begin(), positions.end(), int64_t{0});
    if (view.prompt_length > view.budget)
      positions.erase(positions.begin() + sinks_, positions.end() - (view.budget - sinks_));
    if (cache_positions_) {
      if (shift_.size() <= static_cast<size_t>(view.layer)) {  // BeginPrompt sizes them; callers may skip it
        shift_.resize(view.layer + 1, 0);
        sink_keys_.resize(view.layer + 1);
      }
      shift_[view.layer] = std::max<int64_t>(0, view.prompt_length - view.budget);
    }
    KeptPositions kept;
    kept.per_segment.assign(view.shape.num_kv_heads, positions);
    return kept;
  }

  void AfterPrefill(const LayerView& view, LayerKV& layer) override {
    if (cache_positions_ && shift_[view.layer] > 0) WriteShiftedSinks(view.layer, view.rotate_keys, layer);
  }

  void OnDecodeStep(const DecodeView& view, LayerKV& layer) override {
    KeptPositions rows;
    int64_t evicted = 0;  // the same in every segment: they all hold the same count
    for (int s = 0; s < layer.num_segments(); ++s) {
      std::vector<int64_t> keep(layer.host_length[s]);
      std::iota(keep.begin(), keep.end(), int64_t{0});
      const int64_t excess = std::max<int64_t>(0, layer.host_length[s] - budget_);
      keep.erase(keep.begin() + sinks_, keep.begin() + sinks_ + excess);  // the oldest non-sink rows
      evicted = std::max(evicted, excess);
      rows.per_segment.push_back(std::move(keep));
    }
    if (evicted == 0) return;
    ops::EvictRows(layer, rows);
    if (cache_positions_) {
      shift_[view.layer] += evicted;
      WriteShiftedSinks(view.layer, view.rotate_keys, layer);
    }
  }

 private:
  void WriteShiftedSinks(int layer_index, const KeyRotation& rotate, LayerKV& layer) {
    KVB_REQUIRE(rotate, "method 'streamingllm', positions: cache: the decoder supplied no key rotation");
    at::Tensor& original = sink_keys_[layer_index];
    if (!original.defined()) original = ops::ReadLeadingKeys(layer, sinks_);  // not rotated yet
    ops::WriteLeadingKeys(layer, rotate(original, shift_[layer_index]));
  }

  int64_t sinks_;
  bool decode_;
  bool cache_positions_;
  int64_t budget_ = 0;
  std::vector<at::Tensor> sink_keys_;  // [layer]: the sink rows before any rotation (positions: cache)
  std::vector<int64_t> shift_;         // [layer]: tokens evicted so far (positions: cache)
};

KVB_REGISTER_METHOD(StreamingLLM);

}  // namespace
}  // namespace kvb
