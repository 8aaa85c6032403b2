// FlatKVCache: the one KV cache of kvbench. Per layer, one K and one V buffer
// [capacity_tokens, head_dim] shared by the layer's segments; each segment (a KV head,
// or a query head under granularity: query_head) holds its own number of tokens, so
// head-wise budgets save real memory instead of masking it.
//
// Contracts (checked by KVB_CHECK in debug builds, STYLE P10):
//  - segments of a layer are laid out back to back: offset[s+1] = offset[s] + capacity[s];
//  - 0 <= length[s] <= capacity[s];
//  - the first `length[s]` rows of a segment are valid, in ascending prompt position,
//    followed by generated tokens in generation order; keys are stored after RoPE and
//    never renumbered, except the sink rows that StreamingLLM's `positions: cache`
//    re-rotates (methods/streamingllm.cpp).
#pragma once

#include <ATen/ATen.h>

#include <cstdint>
#include <vector>

namespace kvb {

// The cache of one layer. Metadata lives on the same device as the buffers (the
// kernels read it there); `host_length` mirrors `length` on the host so that
// reporting and capacity checks never synchronise with the device.
struct LayerKV {
  at::Tensor keys;      // [capacity_tokens, head_dim] model dtype
  at::Tensor values;    // [capacity_tokens, head_dim] model dtype
  at::Tensor offset;    // [S] int32: first row of each segment
  at::Tensor length;    // [S] int32: tokens held
  at::Tensor capacity;  // [S] int32: rows reserved
  std::vector<std::int32_t> host_offset;
  std::vector<std::int32_t> host_length;
  std::vector<std::int32_t> host_capacity;

  int num_segments() const { return static_cast<int>(host_length.size()); }
  int head_dim() const { return static_cast<int>(keys.size(1)); }
  // Bytes of K and V actually held: sum(length) * head_dim * 2 * element size.
  std::int64_t BytesHeld() const;
  // Bytes of the K and V buffers (held plus reserved room for decoding).
  std::int64_t BytesAllocated() const;
};

class FlatKVCache {
 public:
  FlatKVCache() = default;
  explicit FlatKVCache(int num_layers) : layers_(num_layers) {}

  int num_layers() const { return static_cast<int>(layers_.size()); }
  LayerKV& layer(int index) { return layers_.at(index); }
  const LayerKV& layer(int index) const { return layers_.at(index); }

  std::int64_t BytesHeld() const;
  std::int64_t BytesAllocated() const;
  // Tokens held per segment, per layer: [layer][segment].
  std::vector<std::vector<std::int32_t>> TokensKept() const;

 private:
  std::vector<LayerKV> layers_;
};

}  // namespace kvb
