// Where ops::Compact puts every kept row: the flat layout of the new layer (segments back
// to back, each followed by its decode room) and the gather map into it. Built on the
// host from the kept positions; shared by the ATen reference and the CUDA kernel so both
// lay out the cache the same way.
#pragma once

#include <cstdint>
#include <vector>

#include "kernels/ops.h"

namespace kvb::ops {

struct CompactPlan {
  std::vector<std::int32_t> offset;    // [S] first row of each segment
  std::vector<std::int32_t> length;    // [S] kept rows
  std::vector<std::int32_t> capacity;  // [S] kept + extra capacity
  std::vector<std::int32_t> source_rows;       // [kept] rows of the prompt's [H_kv * L, d] keys/values
  std::vector<std::int32_t> destination_rows;  // [kept] rows of the flat buffer
  std::int64_t total_rows = 0;                 // rows of the flat buffer
};

// Segment s reads KV head s * H_kv / S; positions must be ascending, unique, < length
// (checked under KVB_CONTRACTS).
CompactPlan PlanCompact(const KeptPositions& kept, std::int64_t kv_heads, std::int64_t length,
                        std::int64_t extra_capacity);

// A layer with the plan's metadata on `device` (host mirrors included) and no buffers yet.
LayerKV LayerFromPlan(const CompactPlan& plan, const at::Device& device);

}  // namespace kvb::ops
