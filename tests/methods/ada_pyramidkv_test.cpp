// ada_pyramidkv: each layer splits the pyramid budget cap_l across its heads with AdaKV.
#include <gtest/gtest.h>

#include "methods/allocation.h"
#include "tests/methods/method_test_util.h"

namespace kvb {
namespace {

using namespace testing_util;

TEST(AdaPyramidKVTest, LayerTotalsFollowTheSchedule) {
  auto method = Create("ada_pyramidkv", "{window: 4, beta: 4}");
  const PyramidSchedule schedule = MakePyramidSchedule(20, 300, 4, 4, 4, false);
  for (int layer = 0; layer < 4; ++layer) {
    LayerView view = RandomView(8, 4, 300, 24, 20 + layer, layer, 4);
    KeptPositions kept = method->SelectPrefill(view);
    int64_t total = 0;
    for (const auto& positions : kept.per_segment) {
      EXPECT_EQ(positions.back(), 299);
      total += positions.size() - 4;
    }
    EXPECT_NEAR(total, 4 * schedule.Capacity(layer), 4) << "layer " << layer;
  }
  EXPECT_GT(schedule.Capacity(0), schedule.Capacity(3));
}

}  // namespace
}  // namespace kvb
