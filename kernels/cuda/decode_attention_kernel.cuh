// Device code of decode attention over flattened variable-length segments (STYLE P5):
// one query per query head, the G query heads of a segment read it once, split-K over
// the segment's rows, and the split-K merge in the same launch. Takes FlatKVView only;
// no torch header.
//
// Work split. A block (kDecodeWarps warps) owns one (cache, segment, head block, chunk):
// up to kGroup query heads of one segment against `chunk_rows` rows of it. Within a
// block, warp w takes tiles w, w + kDecodeWarps, ... of kRowsPerWarpTile rows; within
// a warp, kThreadsPerRow lanes share one row and each lane holds 16 bytes of it (so
// a row is one coalesced read), and the warp covers 32 / kThreadsPerRow rows per step.
// The warps' online-softmax states (max, sum, unnormalised output) are merged in shared
// memory and written as one partial per chunk. The block that finishes last among the
// chunks of its (cache, segment, head block) -- an atomic arrival counter tells it --
// combines the partials and writes the output: no second kernel, whose launch and tail
// cost as much as the whole read at 16k tokens. Softmax runs in the log2 domain
// (queries pre-scaled by scale * log2 e). The tensor-core kernel for larger groups
// (decode_attention_mma_kernel.cuh) shares the block's work (ClaimBlockWork), the warp
// states and everything after them (FinishChunk).
#pragma once

#include <cuda_runtime.h>

#include <cstdint>

#include "kernels/cuda/vec16.cuh"
#include "kernels/flat_kv_view.h"
#include "kernels/index_math.h"

namespace kvb::cuda_kernels {

// Caches one launch can take: the views travel in the kernel argument (48 bytes each),
// which must stay under the 4 KiB argument limit; the launcher loops over larger N.
constexpr int kDecodeMaxCachesPerLaunch = 32;
constexpr int kDecodeWarps = 4;
constexpr int kDecodeThreads = kDecodeWarps * 32;

struct DecodeAttentionParams {
  FlatKVView caches[kDecodeMaxCachesPerLaunch];
  int num_caches = 0;       // N of this launch
  int num_query_heads = 0;  // H, the same for every cache
  int chunk_rows = 0;       // rows of a segment per block; a multiple of the block tile
  int num_chunks = 0;       // covers the largest capacity of the launch
  int head_blocks = 0;      // ceil(max G / kGroup): blocks per segment along the heads
  int max_segments = 0;     // gridDim.y (gridDim.x = num_chunks * head_blocks, gridDim.z = N)
  float scale_log2 = 0.f;   // softmax_scale * log2(e)
  const void* queries = nullptr;  // [N, H, d] model dtype
  void* out = nullptr;            // [N, H, d] model dtype
  float* partial_out = nullptr;   // [num_chunks, N * H, d] unnormalised
  float* partial_max = nullptr;   // [num_chunks, N * H] running max (log2 domain)
  float* partial_sum = nullptr;   // [num_chunks, N * H] sum of exp2(logit - max)
  // [N * max_segments * head_blocks] arrivals per (cache, segment, head block); zero
  // before the launch, and the last block sets its counter back to zero, so the buffer
  // stays zero between launches (and replays of a captured graph).
  unsigned* arrivals = nullptr;
};

// Chunk partials each merge lane has in flight at once: the merge runs after every other
// block of its segment has finished, so its L2 round trips are the kernel's tail.
constexpr int kMergeChunksInFlight = 8;

// Online-softmax state of one merge lane: running max (log2 domain), the sum of
// exp2(logit - max) and 4 dims of the unnormalised output.
struct MergeState {
  float max = -INFINITY;
  float sum = 0.f;
  float4 out = make_float4(0.f, 0.f, 0.f, 0.f);
};

// Folds the partials of chunks first, first + stride, ... (< chunks) of one head into
// `state`, kMergeChunksInFlight loads at a time, rescaling once per batch.
__device__ __forceinline__ void FoldChunkPartials(const DecodeAttentionParams& p, std::int64_t head,
                                                  std::int64_t heads_total, int head_dim, int quad, int first,
                                                  int stride, int chunks, MergeState& state) {
  for (int base = first; base < chunks; base += stride * kMergeChunksInFlight) {
    float chunk_max[kMergeChunksInFlight];
    float chunk_sum[kMergeChunksInFlight];
    float4 chunk_out[kMergeChunksInFlight];
#pragma unroll
    for (int i = 0; i < kMergeChunksInFlight; ++i) {
      const int chunk = base + i * stride;
      if (chunk < chunks) {
        const std::int64_t slot = chunk * heads_total + head;
        chunk_max[i] = __ldcg(p.partial_max + slot);
        chunk_sum[i] = __ldcg(p.partial_sum + slot);
        chunk_out[i] = __ldcg(reinterpret_cast<const float4*>(p.partial_out + slot * head_dim) + quad);
      } else {
        chunk_max[i] = -INFINITY;  // weighs exp2(-inf) = 0
        chunk_sum[i] = 0.f;
        chunk_out[i] = make_float4(0.f, 0.f, 0.f, 0.f);
      }
    }
    float new_max = state.max;
#pragma unroll
    for (int i = 0; i < kMergeChunksInFlight; ++i) new_max = fmaxf(new_max, chunk_max[i]);  // finite: base < chunks
    const float rescale = exp2f(state.max - new_max);  // 0 on the first batch
    state.max = new_max;
    state.sum *= rescale;
    state.out.x *= rescale, state.out.y *= rescale, state.out.z *= rescale, state.out.w *= rescale;
#pragma unroll
    for (int i = 0; i < kMergeChunksInFlight; ++i) {
      const float weight = exp2f(chunk_max[i] - new_max);
      state.sum = fmaf(weight, chunk_sum[i], state.sum);
      state.out.x = fmaf(weight, chunk_out[i].x, state.out.x);
      state.out.y = fmaf(weight, chunk_out[i].y, state.out.y);
      state.out.z = fmaf(weight, chunk_out[i].z, state.out.z);
      state.out.w = fmaf(weight, chunk_out[i].w, state.out.w);
    }
  }
}

// Run by the last block of a (cache, segment, head block): combines the `chunks`
// partials of query heads head0 .. head0 + heads - 1 and writes the normalised output
// in the model dtype. The block's threads form kSlots row slots (kHeadDim / 4 lanes, 4
// dims each); a pass takes up to kSlots heads at once, slot r serving head r % heads
// over chunks r / heads, r / heads + stripes, ... Every head's slots then meet in shared
// memory. All heads of a pass merge side by side, so the tail is one pass of
// chunks / (stripes * kMergeChunksInFlight) L2 round trips, not one per head. The
// partials were written by other blocks of this launch: __ldcg reads them from L2,
// never from a stale L1 line.
template <typename T, int kHeadDim>
__device__ void MergeChunkPartials(const DecodeAttentionParams& p, std::int64_t head0, int heads, int chunks) {
  static_assert(kHeadDim % 4 == 0 && kHeadDim / 4 <= 32 && 32 % (kHeadDim / 4) == 0,
                "a warp covers whole rows with float4 lanes");
  constexpr int kLanesPerRow = kHeadDim / 4;
  constexpr int kSlots = kDecodeWarps * (32 / kLanesPerRow);
  __shared__ float4 slot_out[kSlots][kLanesPerRow];
  __shared__ float slot_max[kSlots];
  __shared__ float slot_sum[kSlots];
  const int slot = threadIdx.x / kLanesPerRow;
  const int quad = threadIdx.x % kLanesPerRow;
  const std::int64_t heads_total = static_cast<std::int64_t>(p.num_caches) * p.num_query_heads;
  for (int pass_head = 0; pass_head < heads; pass_head += kSlots) {
    const int pass_heads = min(kSlots, heads - pass_head);
    const int my_head = slot % pass_heads;
    const int stripe = slot / pass_heads;
    const int stripes = (kSlots - my_head + pass_heads - 1) / pass_heads;  // slots serving my_head
    MergeState state;
    FoldChunkPartials(p, head0 + pass_head + my_head, heads_total, kHeadDim, quad, stripe, stripes, chunks, state);
    slot_out[slot][quad] = state.out;
    if (quad == 0) slot_max[slot] = state.max, slot_sum[slot] = state.sum;
    __syncthreads();
    for (int i = threadIdx.x; i < pass_heads * kHeadDim; i += kDecodeThreads) {
      const int g = i / kHeadDim;
      const int dim = i % kHeadDim;
      float head_max = -INFINITY;
      for (int r = g; r < kSlots; r += pass_heads) head_max = fmaxf(head_max, slot_max[r]);  // stripe 0: finite
      float total = 0.f, weights = 0.f;
      for (int r = g; r < kSlots; r += pass_heads) {
        const float weight = exp2f(slot_max[r] - head_max);  // 0 for a slot that saw no chunk
        total = fmaf(weight, reinterpret_cast<const float*>(&slot_out[r][dim / 4])[dim % 4], total);
        weights = fmaf(weight, slot_sum[r], weights);
      }
      static_cast<T*>(p.out)[(head0 + pass_head + g) * kHeadDim + dim] = FromFloat<T>(total / weights);
    }
    __syncthreads();  // the slots are reused by the next pass
  }
}

// What one block owns: up to kGroup query heads of one segment of one cache, against the
// rows [chunk_begin, chunk_end) of that segment.
struct DecodeBlockWork {
  int chunk = 0, head_block = 0, segment = 0, cache_index = 0;
  int heads_here = 0;   // query heads this block serves (<= kGroup)
  std::int64_t head0 = 0;  // the first of them, over the launch (cache_index * H + head)
  int length = 0;       // the segment's rows
  int chunk_begin = 0, chunk_end = 0;
  std::int32_t segment_offset = 0;
};

// Reads this block's work from the grid: blockIdx.x = chunk * head_blocks + head block
// (the head blocks of one chunk are neighbours in launch order, so they run at the same
// time and all but the first find the chunk's rows in L2), blockIdx.y = segment,
// blockIdx.z = cache. False when the block has nothing to read; for an empty segment the
// first chunk's block writes its zeros first, as the reference gives.
template <typename T, int kHeadDim, int kGroup>
__device__ __forceinline__ bool ClaimBlockWork(const DecodeAttentionParams& p, DecodeBlockWork& w) {
  w.chunk = blockIdx.x / p.head_blocks;
  w.head_block = blockIdx.x % p.head_blocks;
  w.segment = blockIdx.y;
  w.cache_index = blockIdx.z;
  const FlatKVView& cache = p.caches[w.cache_index];
  if (w.segment >= cache.num_segments) return false;
  const int group = index_math::QueryHeadsPerSegment(p.num_query_heads, cache.num_segments);
  const int first_in_group = w.head_block * kGroup;
  if (first_in_group >= group) return false;
  w.heads_here = min(kGroup, group - first_in_group);
  // The three metadata loads issued together, before any branch on them: one L2 round
  // trip in the prologue of every block instead of two (the offset used to be read after
  // the length checks). min with capacity: a broken length must not read the next
  // segment or past the buffer.
  const int length = cache.length[w.segment];
  const int capacity = cache.capacity[w.segment];
  w.segment_offset = cache.offset[w.segment];
  w.length = min(length, capacity);
  const int first_head = index_math::FirstQueryHeadOfSegment(w.segment, group) + first_in_group;  // within the cache
  w.head0 = static_cast<std::int64_t>(w.cache_index) * p.num_query_heads + first_head;
  if (w.length == 0) {
    if (w.chunk == 0)
      for (int i = threadIdx.x; i < w.heads_here * kHeadDim; i += kDecodeThreads)
        static_cast<T*>(p.out)[w.head0 * kHeadDim + i] = FromFloat<T>(0.f);
    return false;
  }
  w.chunk_begin = w.chunk * p.chunk_rows;
  if (w.chunk_begin >= w.length) return false;
  w.chunk_end = min(w.length, w.chunk_begin + p.chunk_rows);
  return true;
}

// Each warp's online-softmax state per query head of the block: running max (log2
// domain), sum of exp2(logit - max) and the unnormalised output; a warp that saw no row
// has max -inf.
template <int kGroup, int kHeadDim>
struct DecodeWarpStates {
  float max[kDecodeWarps][kGroup];
  float sum[kDecodeWarps][kGroup];
  float out[kDecodeWarps][kGroup][kHeadDim];
};

// The end of every decode block, once its warps have filled `states`: merge the warps
// into the chunk's partial, arrive, and if this is the last chunk of its (cache, segment,
// head block) to arrive, merge the chunks into the output.
template <typename T, int kHeadDim, int kGroup>
__device__ void FinishChunk(const DecodeAttentionParams& p, const DecodeBlockWork& w,
                            const DecodeWarpStates<kGroup, kHeadDim>& states) {
  __syncthreads();
  // Warp 0 always saw the chunk's first row, so the block max is finite; a warp that saw
  // no rows weighs exp2(-inf) = 0.
  const std::int64_t heads_total = static_cast<std::int64_t>(p.num_caches) * p.num_query_heads;
  for (int i = threadIdx.x; i < w.heads_here * kHeadDim; i += kDecodeThreads) {
    const int g = i / kHeadDim;
    const int dim = i % kHeadDim;
    float block_max = -INFINITY;
#pragma unroll
    for (int warp = 0; warp < kDecodeWarps; ++warp) block_max = fmaxf(block_max, states.max[warp][g]);
    float out = 0.f;
    float sum = 0.f;
#pragma unroll
    for (int warp = 0; warp < kDecodeWarps; ++warp) {
      const float weight = exp2f(states.max[warp][g] - block_max);
      out = fmaf(weight, states.out[warp][g][dim], out);
      sum = fmaf(weight, states.sum[warp][g], sum);
    }
    const std::int64_t slot = w.chunk * heads_total + w.head0 + g;
    p.partial_out[slot * kHeadDim + dim] = out;
    if (dim == 0) {
      p.partial_max[slot] = block_max;
      p.partial_sum[slot] = sum;
    }
  }

  // Arrive; the last of the segment's chunks merges them (threadFenceReduction pattern:
  // each thread's partial writes are visible device-wide before the block counts itself).
  __shared__ bool merges;
  __threadfence();
  __syncthreads();
  const int chunks = index_math::CeilDiv(w.length, p.chunk_rows);
  if (threadIdx.x == 0) {
    unsigned* arrivals =
        p.arrivals + (static_cast<std::int64_t>(w.cache_index) * p.max_segments + w.segment) * p.head_blocks +
        w.head_block;
    merges = atomicAdd(arrivals, 1u) + 1 == static_cast<unsigned>(chunks);
    if (merges) *arrivals = 0u;  // every other chunk has arrived: ready for the next launch
  }
  __syncthreads();
  if (!merges) return;
  __threadfence();
  MergeChunkPartials<T, kHeadDim>(p, w.head0, w.heads_here, chunks);
}

// Query heads one block serves at most: a larger group is split over several head blocks
// (the launcher's LaunchWithHeadDim says why).
constexpr int kDecodeMaxGroup = 4;

// Rows per warp step each lane loads ahead: more bytes in flight per warp, at the cost
// of registers.
constexpr int kDecodeStepsPerTile = 4;

template <typename T, int kHeadDim>
constexpr int DecodeRowsPerBlockTile() {
  return (32 / (kHeadDim / Vec16<T>::kElems)) * kDecodeStepsPerTile * kDecodeWarps;
}

// Resident blocks asked of the compiler: 4 (16 warps per SM); unbounded, the kernel took
// 136 registers and 3 blocks, too few loads in flight to keep HBM busy (ncu: 47 % DRAM
// throughput, 64 % with the bound).
constexpr int kDecodeMinBlocksPerSm = 4;

template <typename T, int kHeadDim, int kGroup>
__global__ void __launch_bounds__(kDecodeThreads, kDecodeMinBlocksPerSm)
    DecodeAttentionSplitKKernel(const __grid_constant__ DecodeAttentionParams p) {
  using Vec = Vec16<T>;
  constexpr int kElems = Vec::kElems;
  constexpr int kThreadsPerRow = kHeadDim / kElems;
  static_assert(kThreadsPerRow >= 1 && kThreadsPerRow <= 32 && 32 % kThreadsPerRow == 0,
                "a row must be a power-of-two slice of a warp");
  constexpr int kRowsPerStep = 32 / kThreadsPerRow;
  static_assert(kGroup <= kDecodeMaxGroup, "larger groups take several head blocks");
  constexpr int kSteps = kDecodeStepsPerTile;
  constexpr int kRowsPerWarpTile = kRowsPerStep * kSteps;
  constexpr int kRowsPerBlockTile = kRowsPerWarpTile * kDecodeWarps;
  constexpr unsigned kFullMask = 0xffffffffu;

  DecodeBlockWork w;
  if (!ClaimBlockWork<T, kHeadDim, kGroup>(p, w)) return;  // block-uniform: before any barrier
  const FlatKVView& cache = p.caches[w.cache_index];

  const int warp = threadIdx.x / 32;
  const int lane = threadIdx.x % 32;
  const int row_in_step = lane / kThreadsPerRow;
  const int column = (lane % kThreadsPerRow) * kElems;
  const T* keys = static_cast<const T*>(cache.keys);
  const T* values = static_cast<const T*>(cache.values);
  const T* queries = static_cast<const T*>(p.queries) + w.head0 * kHeadDim;

  float query[kGroup][kElems];
#pragma unroll
  for (int g = 0; g < kGroup; ++g) {
    if (g < w.heads_here) {
      Vec::ToFloat(LoadVec16(queries + g * kHeadDim + column), query[g]);
#pragma unroll
      for (int e = 0; e < kElems; ++e) query[g][e] *= p.scale_log2;
    } else {
#pragma unroll
      for (int e = 0; e < kElems; ++e) query[g][e] = 0.f;
    }
  }

  float running_max[kGroup];
  float running_sum[kGroup];  // per lane: over the rows this lane's row slot saw
  float accumulator[kGroup][kElems];
#pragma unroll
  for (int g = 0; g < kGroup; ++g) {
    running_max[g] = -INFINITY;
    running_sum[g] = 0.f;
#pragma unroll
    for (int e = 0; e < kElems; ++e) accumulator[g][e] = 0.f;
  }

  for (int tile = w.chunk_begin + warp * kRowsPerWarpTile; tile < w.chunk_end; tile += kRowsPerBlockTile) {
    // Issue every load of the tile first, so that each lane has 2 * kSteps reads in flight.
    uint4 key_raw[kSteps];
    uint4 value_raw[kSteps];
    bool valid[kSteps];
#pragma unroll
    for (int step = 0; step < kSteps; ++step) {
      const int row = tile + step * kRowsPerStep + row_in_step;
      valid[step] = row < w.chunk_end;
      if (valid[step]) {
        const std::int64_t element = index_math::SegmentRowElement(w.segment_offset, row, kHeadDim) + column;
        key_raw[step] = LoadVec16(keys + element);
        value_raw[step] = LoadVec16(values + element);
      } else {
        key_raw[step] = make_uint4(0, 0, 0, 0);
        value_raw[step] = make_uint4(0, 0, 0, 0);
      }
    }

    float logit[kSteps][kGroup];
#pragma unroll
    for (int step = 0; step < kSteps; ++step) {
      float key[kElems];
      Vec::ToFloat(key_raw[step], key);
#pragma unroll
      for (int g = 0; g < kGroup; ++g) {
        float dot = 0.f;
#pragma unroll
        for (int e = 0; e < kElems; ++e) dot = fmaf(query[g][e], key[e], dot);
        logit[step][g] = dot;
      }
    }
    // Sum each dot product over the kThreadsPerRow lanes of its row.
#pragma unroll
    for (int offset = kThreadsPerRow / 2; offset > 0; offset /= 2) {
#pragma unroll
      for (int step = 0; step < kSteps; ++step) {
#pragma unroll
        for (int g = 0; g < kGroup; ++g) logit[step][g] += __shfl_xor_sync(kFullMask, logit[step][g], offset);
      }
    }
#pragma unroll
    for (int g = 0; g < kGroup; ++g) {
      float tile_max = -INFINITY;
#pragma unroll
      for (int step = 0; step < kSteps; ++step) {
        if (!valid[step]) logit[step][g] = -INFINITY;
        tile_max = fmaxf(tile_max, logit[step][g]);
      }
      // Max over the warp's rows: finite, since the tile's first row is always valid.
#pragma unroll
      for (int offset = kThreadsPerRow; offset < 32; offset *= 2) {
        tile_max = fmaxf(tile_max, __shfl_xor_sync(kFullMask, tile_max, offset));
      }
      const float new_max = fmaxf(running_max[g], tile_max);
      const float rescale = exp2f(running_max[g] - new_max);  // 0 on the first tile
      running_max[g] = new_max;
      running_sum[g] *= rescale;
#pragma unroll
      for (int e = 0; e < kElems; ++e) accumulator[g][e] *= rescale;
    }
#pragma unroll
    for (int step = 0; step < kSteps; ++step) {
      float value[kElems];
      Vec::ToFloat(value_raw[step], value);
#pragma unroll
      for (int g = 0; g < kGroup; ++g) {
        const float weight = exp2f(logit[step][g] - running_max[g]);  // 0 for invalid rows
        running_sum[g] += weight;
#pragma unroll
        for (int e = 0; e < kElems; ++e) accumulator[g][e] = fmaf(weight, value[e], accumulator[g][e]);
      }
    }
  }

  // Sum the row slots of the warp (lanes with the same column hold the same dims).
#pragma unroll
  for (int offset = kThreadsPerRow; offset < 32; offset *= 2) {
#pragma unroll
    for (int g = 0; g < kGroup; ++g) {
      running_sum[g] += __shfl_xor_sync(kFullMask, running_sum[g], offset);
#pragma unroll
      for (int e = 0; e < kElems; ++e) accumulator[g][e] += __shfl_xor_sync(kFullMask, accumulator[g][e], offset);
    }
  }

  __shared__ DecodeWarpStates<kGroup, kHeadDim> states;
  if (lane == 0) {
#pragma unroll
    for (int g = 0; g < kGroup; ++g) {
      states.max[warp][g] = running_max[g];
      states.sum[warp][g] = running_sum[g];
    }
  }
  if (row_in_step == 0) {
#pragma unroll
    for (int g = 0; g < kGroup; ++g) {
#pragma unroll
      for (int e = 0; e < kElems; ++e) states.out[warp][g][column + e] = accumulator[g][e];
    }
  }
  FinishChunk<T, kHeadDim, kGroup>(p, w, states);
}

}  // namespace kvb::cuda_kernels
