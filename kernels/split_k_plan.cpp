#include "kernels/split_k_plan.h"

#include <algorithm>

namespace kvb::ops {
namespace {

bool SameShape(const SplitKShape& a, const SplitKShape& b) {
  return a.total_rows == b.total_rows && a.total_segments == b.total_segments && a.max_capacity == b.max_capacity &&
         a.rows_per_block_tile == b.rows_per_block_tile && a.head_blocks == b.head_blocks &&
         a.blocks_per_wave == b.blocks_per_wave;
}

int SearchChunkRows(const SplitKShape& shape) {
  const std::int64_t tile = std::max(1, shape.rows_per_block_tile);
  const std::int64_t per_wave = std::max<std::int64_t>(1, shape.blocks_per_wave);
  const auto round_up = [tile](std::int64_t rows) { return (rows + tile - 1) / tile * tile; };
  const std::int64_t whole_segment = round_up(std::max(shape.max_capacity, 1));
  const std::int64_t segments = std::max<std::int64_t>(1, shape.total_segments) * std::max(1, shape.head_blocks);
  const std::int64_t mean_rows =
      std::max<std::int64_t>(1, shape.total_rows / std::max<std::int64_t>(1, shape.total_segments));
  const std::int64_t first = std::min(whole_segment, round_up(kSplitKMinChunkRows));
  std::int64_t best = first;
  double best_cost = 1e300;
  for (std::int64_t chunk = first; chunk <= std::min<std::int64_t>(whole_segment, kSplitKMaxChunkRows); chunk += tile) {
    const std::int64_t blocks = segments * ((mean_rows + chunk - 1) / chunk);
    const double waves = static_cast<double>((blocks + per_wave - 1) / per_wave);
    const double cost = waves * static_cast<double>(chunk + kSplitKBlockOverheadRows);
    if (cost < best_cost) best_cost = cost, best = chunk;
  }
  return static_cast<int>(best);
}

}  // namespace

int ChooseSplitKChunkRows(const SplitKShape& shape) {
  // Decoding asks the same question every step and layer (capacities are fixed): remember
  // the last answer per thread.
  thread_local SplitKShape last_shape{-1, -1, -1, -1, -1, -1};
  thread_local int last_chunk = 0;
  if (SameShape(shape, last_shape)) return last_chunk;
  last_chunk = SearchChunkRows(shape);
  last_shape = shape;
  return last_chunk;
}

}  // namespace kvb::ops
