// ops::Append against a naive per-element check: the new row lands at offset + length,
// every other element of the buffer (sentinels included) is untouched.
#include <gtest/gtest.h>

#include "kernels/ops.h"
#include "tests/kernels/kernel_test_util.h"
#include "util/error.h"

namespace kvb {
namespace {

using testing::MakeLayer;

struct AppendCase {
  std::vector<std::int32_t> lengths;
  std::vector<std::int32_t> capacities;
  int head_dim;
};

void CheckAppend(const AppendCase& c, std::uint64_t seed) {
  SCOPED_TRACE(testing::Describe(seed, c.lengths, c.head_dim));
  LayerKV layer = MakeLayer(c.lengths, c.capacities, c.head_dim, seed);
  const at::Tensor keys_before = layer.keys.clone(), values_before = layer.values.clone();
  const int segments = static_cast<int>(c.lengths.size());
  const at::Tensor new_keys = testing::RandomTensor({segments, c.head_dim}, seed + 1);
  const at::Tensor new_values = testing::RandomTensor({segments, c.head_dim}, seed + 2);
  ops::Append(layer, new_keys, new_values);

  for (int s = 0; s < segments; ++s) {
    EXPECT_EQ(layer.host_length[s], c.lengths[s] + 1);
    EXPECT_EQ(layer.length[s].item<int>(), c.lengths[s] + 1);
    for (std::int32_t row = 0; row < c.capacities[s]; ++row) {
      const std::int64_t r = layer.host_offset[s] + row;
      const bool written = row == c.lengths[s];
      const at::Tensor expected_k = written ? new_keys[s] : keys_before[r];
      const at::Tensor expected_v = written ? new_values[s] : values_before[r];
      EXPECT_TRUE(at::equal(layer.keys[r], expected_k)) << "segment " << s << " row " << row << " (keys)";
      EXPECT_TRUE(at::equal(layer.values[r], expected_v)) << "segment " << s << " row " << row << " (values)";
      if (row > c.lengths[s]) {
        EXPECT_TRUE((layer.keys[r] == testing::kSentinel).all().item<bool>()) << "sentinel, segment " << s;
      }
    }
  }
}

TEST(Append, RaggedSegmentsKeepEverySentinel) {
  std::uint64_t seed = 11;
  for (int head_dim : {64, 128}) {
    CheckAppend({{0, 3, 7, 1}, {2, 5, 9, 2}, head_dim}, seed++);           // a length-0 segment
    CheckAppend({{4, 4}, {5, 8}, head_dim}, seed++);                       // one becomes full
    CheckAppend({{1, 0, 2, 5, 3, 0, 6, 1}, {3, 1, 3, 6, 4, 2, 8, 2}, head_dim}, seed++);
  }
}

TEST(Append, FullSegmentIsAnError) {
  LayerKV layer = MakeLayer({2, 3}, {4, 3}, 64, 5);
  const at::Tensor row = testing::RandomTensor({2, 64}, 6);
  EXPECT_THROW(ops::Append(layer, row, row), Error);
  EXPECT_EQ(layer.host_length[0], 2);  // nothing changed
}

TEST(Append, WrongShapeIsAnError) {
  LayerKV layer = MakeLayer({1, 1}, {3, 3}, 64, 7);
  const at::Tensor row = testing::RandomTensor({3, 64}, 8);
  EXPECT_THROW(ops::Append(layer, row, row), Error);
}

}  // namespace
}  // namespace kvb
