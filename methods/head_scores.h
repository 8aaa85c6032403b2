// HeadKV's head-importance files and capacity table (spec methods.md §6, Part 1 §10).
// File format: one JSON object {"layer-head": [per-instance scores], ...} over query
// heads, layer-major; a head's importance is the mean of its list.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace kvb {

struct HeadImportance {
  int num_layers = 0;
  int num_heads = 0;             // query heads
  std::vector<double> mean;      // [num_layers * num_heads], layer-major
};

// Throws kvb::Error naming the file on a malformed key, a gap, or unparsable JSON.
HeadImportance LoadHeadImportance(const std::string& path);

struct HeadCapacityOptions {
  std::int64_t base = 0;  // B - w (HeadKV) or B (KVCache-Factory, pitfall P8)
  double beta = 1.01;
  double temp = 1.0;
};

// cap[l][h] = round_half_even(p[l,h] * P * Lyr * H + (base - P)), P = floor(base / beta),
// p = normalised mean importance raised to `temp` and renormalised. [Lyr][H].
std::vector<std::vector<std::int64_t>> HeadCapacities(const HeadImportance& importance,
                                                      const HeadCapacityOptions& options);

// Per KV head: the rounded (half-even) mean of its group's G query-head capacities.
std::vector<std::vector<std::int64_t>> GroupMeanCapacities(const std::vector<std::vector<std::int64_t>>& caps,
                                                           int num_kv_heads);

}  // namespace kvb
