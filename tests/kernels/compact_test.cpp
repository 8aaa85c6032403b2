// ops::Compact against a naive gather: each segment's kept rows in ascending order,
// followed by zeroed decode room; offsets back to back; the input untouched.
#include <gtest/gtest.h>

#include "kernels/ops.h"
#include "tests/kernels/kernel_test_util.h"

namespace kvb {
namespace {

void CheckCompact(int kv_heads, int segments, std::int64_t length, int head_dim, const KeptPositions& kept,
                  std::int64_t extra, std::uint64_t seed) {
  SCOPED_TRACE("seed " + std::to_string(seed) + ", kv_heads " + std::to_string(kv_heads) + ", segments " +
               std::to_string(segments) + ", head_dim " + std::to_string(head_dim));
  const at::Tensor keys = testing::RandomTensor({kv_heads, length, head_dim}, seed);
  const at::Tensor values = testing::RandomTensor({kv_heads, length, head_dim}, seed + 1);
  const at::Tensor keys_before = keys.clone();
  const LayerKV layer = ops::Compact(keys, values, kept, extra);
  ASSERT_EQ(layer.num_segments(), segments);
  std::int32_t offset = 0;
  for (int s = 0; s < segments; ++s) {
    const auto& positions = kept.per_segment[s];
    EXPECT_EQ(layer.host_offset[s], offset);
    EXPECT_EQ(layer.host_length[s], static_cast<std::int32_t>(positions.size()));
    EXPECT_EQ(layer.host_capacity[s], static_cast<std::int32_t>(positions.size() + extra));
    EXPECT_EQ(layer.offset[s].item<int>(), layer.host_offset[s]);
    EXPECT_EQ(layer.length[s].item<int>(), layer.host_length[s]);
    EXPECT_EQ(layer.capacity[s].item<int>(), layer.host_capacity[s]);
    const int kv_head = s * kv_heads / segments;
    for (size_t i = 0; i < positions.size(); ++i) {
      EXPECT_TRUE(at::equal(layer.keys[offset + i], keys[kv_head][positions[i]])) << "segment " << s << " row " << i;
      EXPECT_TRUE(at::equal(layer.values[offset + i], values[kv_head][positions[i]]))
          << "segment " << s << " row " << i;
    }
    for (std::int64_t i = 0; i < extra; ++i) {  // decode room: zero, never stale data
      EXPECT_TRUE((layer.keys[offset + positions.size() + i] == 0).all().item<bool>()) << "segment " << s;
      EXPECT_TRUE((layer.values[offset + positions.size() + i] == 0).all().item<bool>()) << "segment " << s;
    }
    offset += layer.host_capacity[s];
  }
  EXPECT_EQ(layer.keys.size(0), offset);
  EXPECT_TRUE(at::equal(keys, keys_before)) << "input modified";
}

TEST(Compact, RaggedKeptSetsPerKvHead) {
  KeptPositions kept;
  kept.per_segment = {{0, 3, 4, 9}, {}, {0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, {7}};  // empty and full segments
  CheckCompact(4, 4, 10, 64, kept, 3, 21);
  CheckCompact(4, 4, 10, 128, kept, 0, 22);
}

TEST(Compact, QueryHeadSegmentsReadTheirKvHead) {
  // 8 query-head segments over 2 KV heads (group 4): segment s reads KV head s / 4.
  KeptPositions kept;
  for (int s = 0; s < 8; ++s) kept.per_segment.push_back({s % 3, 5, 6 + s % 2});
  CheckCompact(2, 8, 12, 64, kept, 2, 23);
}

}  // namespace
}  // namespace kvb
