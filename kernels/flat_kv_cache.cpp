// FlatKVCache bookkeeping: bytes and tokens held, read from the host mirrors so that
// reporting never synchronises with the device.
#include "kernels/flat_kv_cache.h"

#include <numeric>

namespace kvb {

std::int64_t LayerKV::BytesHeld() const {
  if (!keys.defined()) return 0;
  const std::int64_t tokens = std::accumulate(host_length.begin(), host_length.end(), std::int64_t{0});
  return tokens * head_dim() * 2 * static_cast<std::int64_t>(keys.element_size());
}

std::int64_t LayerKV::BytesAllocated() const {
  if (!keys.defined()) return 0;
  return (keys.numel() + values.numel()) * static_cast<std::int64_t>(keys.element_size());
}

std::int64_t FlatKVCache::BytesHeld() const {
  std::int64_t total = 0;
  for (const LayerKV& layer : layers_) total += layer.BytesHeld();
  return total;
}

std::int64_t FlatKVCache::BytesAllocated() const {
  std::int64_t total = 0;
  for (const LayerKV& layer : layers_) total += layer.BytesAllocated();
  return total;
}

std::vector<std::vector<std::int32_t>> FlatKVCache::TokensKept() const {
  std::vector<std::vector<std::int32_t>> kept;
  kept.reserve(layers_.size());
  for (const LayerKV& layer : layers_) kept.push_back(layer.host_length);
  return kept;
}

}  // namespace kvb
