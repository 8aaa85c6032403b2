// Small views and caches for method tests: crafted keys that make chosen positions win
// the window attention, random GQA views from a fixed seed, and a hand-built LayerKV.
#pragma once

#include <ATen/ATen.h>
#include <yaml-cpp/yaml.h>

#include <map>
#include <string>
#include <vector>

#include "methods/eviction_method.h"
#include "methods/registry.h"

namespace kvb::testing_util {

inline LayerView RandomView(int heads, int kv_heads, int64_t length, int64_t budget, uint64_t seed,
                            int layer = 0, int num_layers = 1, int head_dim = 8) {
  at::manual_seed(seed);
  LayerView view;
  view.layer = layer;
  view.shape = {num_layers, heads, kv_heads, head_dim};
  view.prompt_length = length;
  view.budget = budget;
  view.queries = at::randn({heads, length, head_dim}) * 2;
  view.keys = at::randn({kv_heads, length, head_dim}) * 2;
  view.values = at::randn({kv_heads, length, head_dim});
  return view;
}

// Every query is e0; key j of KV head s is e0 * weight[s][j] (0 if absent), so the window
// attention of position j grows with its weight and ties everywhere else.
inline LayerView CraftedView(int heads, const std::vector<std::map<int64_t, float>>& weights, int64_t length,
                             int64_t budget) {
  const int kv_heads = static_cast<int>(weights.size()), head_dim = 4;
  LayerView view;
  view.shape = {1, heads, kv_heads, head_dim};
  view.prompt_length = length;
  view.budget = budget;
  view.queries = at::zeros({heads, length, head_dim});
  view.queries.select(2, 0).fill_(1.0);
  view.keys = at::zeros({kv_heads, length, head_dim});
  for (int s = 0; s < kv_heads; ++s)
    for (const auto& [position, w] : weights[s]) view.keys[s][position][0] = w;
  view.values = at::zeros({kv_heads, length, head_dim});
  return view;
}

inline std::unique_ptr<EvictionMethod> Create(const std::string& name, const std::string& yaml) {
  return CreateMethod(name, yaml.empty() ? YAML::Node() : YAML::Load(yaml));
}

inline std::vector<int64_t> Range(int64_t begin, int64_t end) {
  std::vector<int64_t> out;
  for (int64_t i = begin; i < end; ++i) out.push_back(i);
  return out;
}

inline std::vector<int64_t> Concat(std::vector<int64_t> a, const std::vector<int64_t>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

// A layer whose segment s holds the given prompt positions, each row's value[0] set to its
// position (so tests can see which tokens survive), with `room` free rows per segment.
inline LayerKV MakeLayer(const at::Tensor& keys, const KeptPositions& kept, int64_t room) {
  const int64_t kv_heads = keys.size(0), d = keys.size(2);
  LayerKV layer;
  int32_t offset = 0;
  for (const auto& positions : kept.per_segment) {
    layer.host_offset.push_back(offset);
    layer.host_length.push_back(static_cast<int32_t>(positions.size()));
    layer.host_capacity.push_back(static_cast<int32_t>(positions.size() + room));
    offset += static_cast<int32_t>(positions.size() + room);
  }
  layer.keys = at::zeros({offset, d});
  layer.values = at::zeros({offset, d});
  for (int s = 0; s < kept.num_segments(); ++s)
    for (size_t i = 0; i < kept.per_segment[s].size(); ++i) {
      const int64_t p = kept.per_segment[s][i], row = layer.host_offset[s] + i;
      layer.keys[row].copy_(keys[s * kv_heads / kept.num_segments()][p]);
      layer.values[row][0] = static_cast<float>(p);
    }
  layer.offset = at::tensor(layer.host_offset, at::kInt);
  layer.length = at::tensor(layer.host_length, at::kInt);
  layer.capacity = at::tensor(layer.host_capacity, at::kInt);
  return layer;
}

// Appends one token (key row per segment, value[0] = position) the way the decoder does.
inline void AppendToken(LayerKV& layer, const at::Tensor& key, int64_t position) {
  for (int s = 0; s < layer.num_segments(); ++s) {
    const int64_t row = layer.host_offset[s] + layer.host_length[s];
    layer.keys[row].copy_(key[s]);
    layer.values[row].zero_();
    layer.values[row][0] = static_cast<float>(position);
    ++layer.host_length[s];
  }
  layer.length = at::tensor(layer.host_length, at::kInt);
}

// Prompt positions a segment holds, from value[0].
inline std::vector<int64_t> HeldPositions(const LayerKV& layer, int s) {
  std::vector<int64_t> out;
  for (int32_t i = 0; i < layer.host_length[s]; ++i)
    out.push_back(static_cast<int64_t>(layer.values[layer.host_offset[s] + i][0].item<float>()));
  return out;
}

}  // namespace kvb::testing_util
