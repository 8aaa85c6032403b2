// FlatKVView: what a CUDA kernel sees of one layer of a FlatKVCache (STYLE P5), in the
// spirit of FlashInfer's paged_kv_t: raw device pointers plus the int32 segment
// metadata. Plain old data, so it can be a kernel argument; includes no torch header.
// Built from a LayerKV by kernels/cuda/launch_utils.h.
#pragma once

#include <cstdint>

namespace kvb {

struct FlatKVView {
  void* keys = nullptr;              // [capacity_tokens, head_dim] model dtype
  void* values = nullptr;            // [capacity_tokens, head_dim] model dtype
  const std::int32_t* offset = nullptr;    // [S] first row of each segment
  std::int32_t* length = nullptr;          // [S] rows held (append increments it)
  const std::int32_t* capacity = nullptr;  // [S] rows reserved
  std::int32_t num_segments = 0;     // S
  std::int32_t head_dim = 0;         // d
};

}  // namespace kvb
