// ScoringMethod: the template every SnapKV-family method fills in (STYLE P4). A subclass
// implements Score() (what each non-window position is worth, per segment) and, when its
// budget is not uniform, Allocate() (how many non-window positions each segment keeps).
// The base handles what all of them share (spec methods.md Part 1 §1-§3):
//   - budget B counts the window: B <= window is a ConfigError; L <= B keeps everything;
//   - each segment keeps its Allocate() count of top-scored positions (ops::SelectTopK,
//     ties to the lower position) plus the last `window` positions, ascending.
// Common keys: window, kernel, pooling, granularity, group_reduction, window_reduction,
// score_dtype and the `protocol: adakv|pyramidkv|headkv|kvpress` presets.
#pragma once

#include <map>
#include <string>

#include "methods/eviction_method.h"
#include "methods/method_params.h"

namespace kvb {

// Method-specific keys a protocol preset also sets (e.g. Ada's normalize under headkv).
using ProtocolExtras = std::map<std::string, PresetValues>;

class ScoringMethod : public EvictionMethod {
 public:
  explicit ScoringMethod(const ParamValues& params);

  // Declares the common keys and the four presets, each merged with `extras[protocol]`.
  static void DeclareCommon(ParamSchema& schema, const ProtocolExtras& extras = {});

  Granularity granularity() const override { return granularity_; }
  KeptPositions SelectPrefill(const LayerView& view) override;

 protected:
  // [S, L - w] f32, S = num_segments(view.shape): higher is kept first.
  // Default: the observation-window scores of spec §0.1.
  virtual at::Tensor Score(const LayerView& view) const;
  // Non-window positions kept per segment, each in [0, L - w]. Default: B - w each.
  virtual SegmentCounts Allocate(const LayerView& view, const at::Tensor& scores) const;

  int64_t window() const { return window_; }
  int num_segments(const ModelShape& shape) const;
  // The model dtype under score_dtype: model, else f32.
  at::ScalarType ScoreRoundDtype(const LayerView& view) const;
  ops::GroupReduction group_reduction() const;
  // Every position of every segment (no compression).
  KeptPositions KeepAll(const LayerView& view) const;

 private:
  int64_t window_;
  Granularity granularity_;
  ops::WindowScoreOptions window_options_;
  bool round_to_model_;
};

}  // namespace kvb
