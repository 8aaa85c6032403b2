// EvictionMethod: what an eviction method is to the rest of kvbench. The decoder calls
// SelectPrefill once per layer, right after that layer's attention over the full prompt
// (DESIGN.md "One sample, end to end"), and OnDecodeStep after each decode step's
// attention when the method evicts while decoding. Methods only call kernels/ops.h.
#pragma once

#include <ATen/ATen.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "kernels/flat_kv_cache.h"
#include "kernels/ops.h"
#include "methods/method_params.h"

namespace kvb {

struct ModelShape {
  int num_layers = 0;
  int num_q_heads = 0;   // H
  int num_kv_heads = 0;  // H_kv
  int head_dim = 0;      // d
  int group_size() const { return num_q_heads / num_kv_heads; }  // G
};

// One segment per KV head (default) or per query head (the older papers' layout,
// K/V repeated, G x the memory). spec methods.md Part 1 §1.
enum class Granularity { kKvHead, kQueryHead };

// Rotates post-RoPE keys [S, n, d] forward by `delta` positions (negative: back). RoPE
// rotations compose, R(a) R(b) = R(a + b), so a key cached at position p moves to p + delta
// without its pre-RoPE value. The decoder supplies it (it owns the rotary embedding; methods
// do not depend on model/); it throws where the rotations do not compose (dynamic NTK).
using KeyRotation = std::function<at::Tensor(const at::Tensor& keys, std::int64_t delta)>;

// What a method sees of one layer during prefill. Tensors are on the model's device,
// in the model dtype, post-RoPE, batch dimension dropped.
struct LayerView {
  int layer = 0;
  ModelShape shape;
  std::int64_t prompt_length = 0;  // L
  std::int64_t budget = 0;         // B: tokens per segment, window included (Part 1 §2)
  at::Tensor queries;              // [H, L, d]
  at::Tensor keys;                 // [H_kv, L, d]
  at::Tensor values;               // [H_kv, L, d]
  KeyRotation rotate_keys;
};

// What a decode-time method sees after one decode step's attention.
struct DecodeView {
  int layer = 0;
  std::int64_t step = 0;      // 0 for the first generated token
  std::int64_t position = 0;  // absolute position of the token just appended (L + step)
  at::Tensor queries;         // [H, d] this step's queries
  KeyRotation rotate_keys;
};

class EvictionMethod;
namespace method_registry_internal {
void Stamp(EvictionMethod& method, const std::string& name, const ParamValues& params);
}

class EvictionMethod {
 public:
  virtual ~EvictionMethod() = default;

  // The registered name ("snapkv"); set by the registry when it creates the method.
  virtual const std::string& name() const { return name_; }
  // The parsed parameters this instance was created with (every declared key).
  const ParamValues& params() const { return params_; }
  virtual Granularity granularity() const { return Granularity::kKvHead; }

  // Called once per prompt before layer 0 (schedules that depend on L, e.g. PyramidKV).
  virtual void BeginPrompt(const ModelShape& shape, std::int64_t prompt_length,
                           std::int64_t budget) {}

  // Kept prompt positions per segment for this layer: S = H_kv (kKvHead) or H
  // (kQueryHead) lists, each sorted ascending and unique, within [0, L).
  virtual KeptPositions SelectPrefill(const LayerView& view) = 0;

  // Called once this layer's kept rows are in `layer` (after SelectPrefill); may rewrite
  // rows in place (StreamingLLM `positions: cache` re-rotates its sinks here).
  virtual void AfterPrefill(const LayerView& view, LayerKV& layer) {}

  // Rows to reserve per segment beyond the kept prompt tokens, so decoding appends in
  // place: max_new_tokens for methods that only grow.
  virtual std::int64_t DecodeReserve(std::int64_t max_new_tokens) const { return max_new_tokens; }

  // Decode-time eviction (H2O and StreamingLLM `mode: decode`). Called after each
  // step's attention; may drop rows from `layer`'s segments, keeping position order.
  virtual bool evicts_while_decoding() const { return false; }
  virtual void OnDecodeStep(const DecodeView& view, LayerKV& layer) {}

 private:
  friend void method_registry_internal::Stamp(EvictionMethod&, const std::string&, const ParamValues&);
  std::string name_;
  ParamValues params_;
};

}  // namespace kvb
