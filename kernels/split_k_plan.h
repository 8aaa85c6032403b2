// How decode attention cuts a launch's segments into chunks of rows, one block per chunk
// (and head block): split-K. Host code with neither torch nor CUDA, so the CPU tests check
// the choice the CUDA launcher (kernels/cuda/decode_attention.cu) makes.
#pragma once

#include <cstdint>

namespace kvb::ops {

// Fewer rows per chunk make the partials (G * d floats written and read back per chunk)
// a noticeable share of the traffic: 256 rows of K and V at d = 128 are 128 KiB against
// at most 4 KiB of partials.
constexpr int kSplitKMinChunkRows = 256;
constexpr int kSplitKMaxChunkRows = 16384;
// A block's fixed cost (epilogue, partial write, arrival), in rows it could have read.
constexpr int kSplitKBlockOverheadRows = 64;

struct SplitKShape {
  std::int64_t total_rows = 0;       // sum of the segments' capacities over the launch
  std::int64_t total_segments = 0;   // over the launch (all caches)
  int max_capacity = 0;              // the longest segment's capacity
  int rows_per_block_tile = 1;       // rows a block reads per iteration; chunks are multiples
  int head_blocks = 1;               // blocks per segment along its query heads
  std::int64_t blocks_per_wave = 1;  // resident blocks: SMs x blocks per SM
};

// The chunk that minimises the predicted time, (waves of resident blocks) x (rows a block
// reads + kSplitKBlockOverheadRows), over tile multiples from kSplitKMinChunkRows (or the
// whole segment, when shorter) to kSplitKMaxChunkRows. A launch of 1.3 waves costs two
// full waves, so whole waves matter more than block count. Blocks are estimated from the
// mean capacity: capacities, not lengths, are fixed during decoding, so a captured CUDA
// graph stays valid; chunks past a segment's length exit at once. The ncu profile that
// motivated the wave count: 520 blocks at 3 resident per SM = 1.31 waves.
int ChooseSplitKChunkRows(const SplitKShape& shape);

}  // namespace kvb::ops
