// Device code of ops::WindowScores (spec methods.md §0.1) without the [H, w, L] logits:
// two passes over the keys, each recomputing the logits of one tile at a time.
//
//   1. Row statistics. A block owns one KV head and kStatsKeysPerBlock keys; its warps
//      take the G * w window rows of that head (query head g, window row i) in turn, a
//      lane one key of a kTileKeys tile, and keep each row's online softmax state (max,
//      sum of exp) in shared memory. One partial per (row, block) goes to global memory;
//      WindowRowStatsMergeKernel folds the partials of a row in block order.
//   2. Scores. A block owns one KV head and kTileKeys scored keys (positions < T); warp
//      g' takes query heads g', g' + warps, ...; for each, it sums the (rounded) softmax
//      probabilities of the w window rows in window order, reduces over the window (sum
//      or mean) and rounds; the block then reduces over the group (mean, max or none) in
//      head order and rounds again. Pooling runs afterwards (ATen, on [S, T]).
//
// Rounding mirrors the reference: with round_dtype != float every stage the reference
// holds in the model dtype is rounded to nearest-even there and back. Sums run in a fixed
// order, so results are deterministic; they differ from ATen's only by summation order.
#pragma once

#include <cuda_runtime.h>

#include <cstdint>

#include "kernels/cuda/vec16.cuh"

namespace kvb::cuda_kernels {

constexpr int kWindowWarps = 8;
constexpr int kWindowThreads = kWindowWarps * 32;
constexpr int kTileKeys = 32;                      // one key per lane
constexpr int kStatsKeysPerBlock = 8 * kTileKeys;  // keys a statistics block walks

enum class WindowRound : int { kNone = 0, kHalf = 1, kBFloat16 = 2 };

struct WindowScoreParams {
  const void* queries = nullptr;  // [H, w, d] model dtype
  const void* keys = nullptr;     // [H_kv, L, d] model dtype
  int heads = 0;                  // H
  int kv_heads = 0;               // H_kv
  int window = 0;                 // w
  int length = 0;                 // L
  int head_dim = 0;               // d
  float scale = 0.f;              // softmax scale
  int stats_blocks = 0;           // ceil(L / kStatsKeysPerBlock)
  float* partial_max = nullptr;   // [H * w, stats_blocks]
  float* partial_sum = nullptr;   // [H * w, stats_blocks]
  float* row_max = nullptr;       // [H * w]
  float* row_sum = nullptr;       // [H * w]
  bool window_mean = true;        // else sum
  int group_reduction = 0;        // 0 none ([H, T] out), 1 mean, 2 max ([H_kv, T] out)
  WindowRound round = WindowRound::kNone;
  float* scores = nullptr;        // [S, T] f32
};

__device__ __forceinline__ float RoundTo(float value, WindowRound round) {
  switch (round) {
    case WindowRound::kHalf:
      return __half2float(__float2half_rn(value));
    case WindowRound::kBFloat16:
      return __bfloat162float(__float2bfloat16_rn(value));
    default:
      return value;
  }
}

template <typename T>
__device__ __forceinline__ float ElementToFloat(T value);
template <>
__device__ __forceinline__ float ElementToFloat<float>(float value) { return value; }
template <>
__device__ __forceinline__ float ElementToFloat<__half>(__half value) { return __half2float(value); }
template <>
__device__ __forceinline__ float ElementToFloat<__nv_bfloat16>(__nv_bfloat16 value) {
  return __bfloat162float(value);
}

// Loads keys [first, first + kTileKeys) of one KV head into tile[k][d] (row stride d + 1,
// so lane k reading its row hits a distinct bank). Rows past L are left unread.
template <typename T>
__device__ void LoadKeyTile(const WindowScoreParams& p, int kv_head, int first, float* tile) {
  const T* keys = static_cast<const T*>(p.keys) + (static_cast<std::int64_t>(kv_head) * p.length) * p.head_dim;
  const int elements = kTileKeys * p.head_dim;
  for (int e = threadIdx.x; e < elements; e += blockDim.x) {
    const int k = e / p.head_dim, dim = e % p.head_dim;
    if (first + k < p.length) {
      tile[k * (p.head_dim + 1) + dim] =
          ElementToFloat<T>(keys[static_cast<std::int64_t>(first + k) * p.head_dim + dim]);
    }
  }
}

// scale * <query row, key of this lane> in fp32, the dims in order.
template <typename T>
__device__ __forceinline__ float Logit(const WindowScoreParams& p, int head, int row, const float* tile, int lane) {
  const T* query = static_cast<const T*>(p.queries) +
                   (static_cast<std::int64_t>(head) * p.window + row) * p.head_dim;
  const float* key = tile + lane * (p.head_dim + 1);
  float dot = 0.f;
  for (int dim = 0; dim < p.head_dim; ++dim) dot = fmaf(ElementToFloat<T>(__ldg(query + dim)), key[dim], dot);
  return dot * p.scale;
}

// Pass 1. Dynamic shared memory: kTileKeys * (d + 1) floats of keys, then 2 * G * w
// floats of row state.
template <typename T>
__global__ void __launch_bounds__(kWindowThreads) WindowRowStatsKernel(const WindowScoreParams p) {
  extern __shared__ float shared[];
  const int kv_head = blockIdx.y;
  const int group = p.heads / p.kv_heads;
  const int rows = group * p.window;  // row r: query head kv_head * G + r / w, window row r % w
  float* tile = shared;
  float* state_max = shared + kTileKeys * (p.head_dim + 1);
  float* state_sum = state_max + rows;
  for (int r = threadIdx.x; r < rows; r += blockDim.x) {
    state_max[r] = -INFINITY;
    state_sum[r] = 0.f;
  }
  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  const int scored = p.length - p.window;  // T: window rows see keys < T + row
  const int block_first = blockIdx.x * kStatsKeysPerBlock;
  for (int first = block_first; first < min(p.length, block_first + kStatsKeysPerBlock); first += kTileKeys) {
    __syncthreads();  // previous tile consumed, state initialised
    LoadKeyTile<T>(p, kv_head, first, tile);
    __syncthreads();
    const int key = first + lane;
    for (int r = warp; r < rows; r += kWindowWarps) {
      const int head = kv_head * group + r / p.window, row = r % p.window;
      const bool visible = key < p.length && key <= scored + row;
      const float logit = visible ? Logit<T>(p, head, row, tile, lane) : -INFINITY;
      float tile_max = logit;
      for (int offset = 16; offset > 0; offset /= 2) tile_max = fmaxf(tile_max, __shfl_xor_sync(0xffffffffu, tile_max, offset));
      if (tile_max == -INFINITY) continue;  // warp-uniform: no visible key in this tile
      float weight = visible ? expf(logit - tile_max) : 0.f;
      for (int offset = 16; offset > 0; offset /= 2) weight += __shfl_xor_sync(0xffffffffu, weight, offset);
      if (lane == 0) {
        const float new_max = fmaxf(state_max[r], tile_max);
        state_sum[r] = state_sum[r] * expf(state_max[r] - new_max) + weight * expf(tile_max - new_max);
        state_max[r] = new_max;
      }
    }
  }
  __syncthreads();
  for (int r = threadIdx.x; r < rows; r += blockDim.x) {
    const std::int64_t slot = (static_cast<std::int64_t>(kv_head) * rows + r) * p.stats_blocks + blockIdx.x;
    p.partial_max[slot] = state_max[r];
    p.partial_sum[slot] = state_sum[r];
  }
}

// One thread per window row (H * w of them): folds the blocks' partials in block order.
__global__ void WindowRowStatsMergeKernel(const WindowScoreParams p) {
  const int r = blockIdx.x * blockDim.x + threadIdx.x;
  if (r >= p.heads * p.window) return;
  float running_max = -INFINITY, running_sum = 0.f;
  for (int b = 0; b < p.stats_blocks; ++b) {
    const std::int64_t slot = static_cast<std::int64_t>(r) * p.stats_blocks + b;
    const float block_max = p.partial_max[slot];
    if (block_max == -INFINITY) continue;
    const float new_max = fmaxf(running_max, block_max);
    running_sum = running_sum * expf(running_max - new_max) + p.partial_sum[slot] * expf(block_max - new_max);
    running_max = new_max;
  }
  p.row_max[r] = running_max;
  p.row_sum[r] = running_sum;
}

// Pass 2. Dynamic shared memory: kTileKeys * (d + 1) floats of keys, then G * kTileKeys
// floats of per-head window-reduced scores.
template <typename T>
__global__ void __launch_bounds__(kWindowThreads) WindowScoresKernel(const WindowScoreParams p) {
  extern __shared__ float shared[];
  const int kv_head = blockIdx.y;
  const int group = p.heads / p.kv_heads;
  const int scored = p.length - p.window;
  const int first = blockIdx.x * kTileKeys;
  float* tile = shared;
  float* head_scores = shared + kTileKeys * (p.head_dim + 1);  // [G][kTileKeys]
  LoadKeyTile<T>(p, kv_head, first, tile);
  __syncthreads();
  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  const int key = first + lane;
  for (int g = warp; g < group; g += kWindowWarps) {
    const int head = kv_head * group + g;
    float total = 0.f;
    if (key < scored) {
      for (int row = 0; row < p.window; ++row) {
        const int r = head * p.window + row;
        const float probability = expf(Logit<T>(p, head, row, tile, lane) - p.row_max[r]) / p.row_sum[r];
        total += RoundTo(probability, p.round);
      }
    }
    const float reduced = RoundTo(p.window_mean ? total / p.window : total, p.round);
    if (p.group_reduction == 0) {
      if (key < scored) p.scores[static_cast<std::int64_t>(head) * scored + key] = reduced;
    } else {
      head_scores[g * kTileKeys + lane] = reduced;
    }
  }
  if (p.group_reduction == 0) return;
  __syncthreads();
  if (threadIdx.x < kTileKeys && key < scored) {
    float value = head_scores[lane];
    for (int g = 1; g < group; ++g) {
      const float next = head_scores[g * kTileKeys + lane];
      value = p.group_reduction == 1 ? value + next : fmaxf(value, next);
    }
    if (p.group_reduction == 1) value /= group;
    p.scores[static_cast<std::int64_t>(kv_head) * scored + key] = RoundTo(value, p.round);
  }
}

}  // namespace kvb::cuda_kernels
