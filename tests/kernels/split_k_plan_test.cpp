// ops::ChooseSplitKChunkRows: the split-K chunk the CUDA decode launcher uses, on shapes
// worked out by hand (8 KV heads of one cache, an H100/H200's 132 SMs).
#include <gtest/gtest.h>

#include <cstdint>

#include "kernels/split_k_plan.h"

namespace kvb::ops {
namespace {

constexpr int kSms = 132;

SplitKShape Uniform(int rows_per_segment, int segments, int tile, int resident_per_sm, int head_blocks = 1) {
  SplitKShape shape;
  shape.total_rows = static_cast<std::int64_t>(rows_per_segment) * segments;
  shape.total_segments = segments;
  shape.max_capacity = rows_per_segment;
  shape.rows_per_block_tile = tile;
  shape.head_blocks = head_blocks;
  shape.blocks_per_wave = static_cast<std::int64_t>(kSms) * resident_per_sm;
  return shape;
}

TEST(SplitKPlan, ShortContextsTakeTheSmallestChunk) {
  // 4k rows x 8 segments: 256-row chunks are 128 blocks, well inside one wave.
  EXPECT_EQ(ChooseSplitKChunkRows(Uniform(4096, 8, 32, 4)), kSplitKMinChunkRows);
}

TEST(SplitKPlan, WholeWavesWinOverMoreBlocks) {
  // 16k x 8, 4 blocks an SM (528 a wave): 256 rows = 512 blocks, one wave.
  EXPECT_EQ(ChooseSplitKChunkRows(Uniform(16384, 8, 32, 4)), 256);
  // 3 blocks an SM (396 a wave), 64-row tiles: 320 rows would be 416 blocks (2 waves x 384);
  // 384 rows are 344 blocks, one wave x 448.
  EXPECT_EQ(ChooseSplitKChunkRows(Uniform(16384, 8, 64, 3)), 384);
  // 128k x 8 at 528 a wave: one wave needs >= 1986 rows -> 2016 (66 chunks, 528 blocks,
  // cost 2080); two waves of 1024-row chunks would cost 2176, three of 672 cost 2208.
  EXPECT_EQ(ChooseSplitKChunkRows(Uniform(131072, 8, 32, 4)), 2016);
}

TEST(SplitKPlan, HeadBlocksCountAsBlocks) {
  // Two head blocks a segment double the blocks: 16k x 8 at 528 a wave needs 512 rows.
  EXPECT_EQ(ChooseSplitKChunkRows(Uniform(16384, 8, 32, 4, 2)), 512);
}

TEST(SplitKPlan, ChunksAreTileMultiplesWithinTheBounds) {
  // A segment shorter than the minimum: one chunk covering it, rounded up to the tile.
  EXPECT_EQ(ChooseSplitKChunkRows(Uniform(100, 8, 64, 4)), 128);
  // One resident block: every chunk count costs its blocks, so the largest chunk allowed.
  SplitKShape lone = Uniform(1 << 20, 1, 32, 1);
  lone.blocks_per_wave = 1;
  EXPECT_EQ(ChooseSplitKChunkRows(lone), kSplitKMaxChunkRows);
  for (int tile : {32, 64, 48}) {
    const int chunk = ChooseSplitKChunkRows(Uniform(50000, 8, tile, 3));
    EXPECT_EQ(chunk % tile, 0) << "tile " << tile;
    EXPECT_GE(chunk, kSplitKMinChunkRows) << "tile " << tile;
    EXPECT_LE(chunk, kSplitKMaxChunkRows) << "tile " << tile;
  }
}

TEST(SplitKPlan, RemembersNothingStaleAcrossShapes) {
  // The per-thread memo answers a repeated shape; a different one must be searched again.
  const SplitKShape a = Uniform(16384, 8, 32, 4);
  const SplitKShape b = Uniform(16384, 8, 32, 4, 2);
  EXPECT_EQ(ChooseSplitKChunkRows(a), 256);
  EXPECT_EQ(ChooseSplitKChunkRows(a), 256);
  EXPECT_EQ(ChooseSplitKChunkRows(b), 512);
  EXPECT_EQ(ChooseSplitKChunkRows(a), 256);
}

}  // namespace
}  // namespace kvb::ops
