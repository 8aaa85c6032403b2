// headkv: capacities from the official Llama-3-8B-Instruct score files for beta in
// {1.005, 1.01, 1.5, 5} (sums, floors, top heads), group-mean rounding, shape mismatch.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <numeric>

#include "methods/head_scores.h"
#include "tests/common/test_env.h"
#include "tests/methods/method_test_util.h"
#include "util/error.h"

namespace kvb {
namespace {

using namespace testing_util;

const char kLlamaCopy[] = "head_scores/headkv_Meta-Llama-3-8B-Instruct_retrieval_heads.json";
const char kLlamaReason[] = "head_scores/headkv_Meta-Llama-3-8B-Instruct_retrieval_reasoning_heads.json";

std::vector<std::pair<int64_t, std::string>> TopHeads(const std::vector<std::vector<int64_t>>& caps, int n) {
  std::vector<std::pair<int64_t, std::string>> all;
  for (size_t l = 0; l < caps.size(); ++l)
    for (size_t h = 0; h < caps[l].size(); ++h) all.push_back({-caps[l][h], std::to_string(l) + "-" + std::to_string(h)});
  std::sort(all.begin(), all.end());
  all.resize(n);
  return all;
}

int64_t Sum(const std::vector<std::vector<int64_t>>& caps) {
  int64_t sum = 0;
  for (const auto& row : caps) sum = std::accumulate(row.begin(), row.end(), sum);
  return sum;
}

TEST(HeadKVTest, CapacitiesFromTheLlama3ScoreFiles) {
  KVB_REQUIRE_SHARED(copy_path, kLlamaCopy);
  KVB_REQUIRE_SHARED(reason_path, kLlamaReason);
  const HeadImportance copy = LoadHeadImportance(copy_path.string());
  const HeadImportance reason = LoadHeadImportance(reason_path.string());
  ASSERT_EQ(copy.num_layers, 32);
  ASSERT_EQ(copy.num_heads, 32);
  const int64_t base = 128 - 8;
  for (double beta : {1.005, 1.01, 1.5, 5.0}) {
    const int64_t pool = static_cast<int64_t>(std::floor(base / beta));
    for (const HeadImportance* importance : {&copy, &reason}) {
      auto caps = HeadCapacities(*importance, {base, beta, 1.0});
      // Sum of caps = 1024 base up to the rounding of each of the 1024 heads.
      EXPECT_NEAR(Sum(caps), 1024 * base, 512) << "beta " << beta;
      int64_t smallest = caps[0][0];
      for (const auto& row : caps) smallest = std::min(smallest, *std::min_element(row.begin(), row.end()));
      EXPECT_GE(smallest, base - pool) << "every head keeps minN = base - P, beta " << beta;
      EXPECT_EQ(TopHeads(caps, 1)[0].second, "15-30") << "beta " << beta;
    }
    auto copy_caps = HeadCapacities(copy, {base, beta, 1.0});
    int64_t zero_heads = 0;
    for (int i = 0; i < 1024; ++i) zero_heads += copy.mean[i] == 0 && copy_caps[i / 32][i % 32] == base - pool;
    EXPECT_GT(zero_heads, 700) << "~71% of retrieval heads score 0 and keep exactly minN";
  }
  // spec §6: beta 1.01, B 128, w 8 -> P 118, minN 2; top head ~6157 (R) / ~1821 (R2).
  auto r = HeadCapacities(copy, {base, 1.01, 1.0});
  auto r2 = HeadCapacities(reason, {base, 1.01, 1.0});
  EXPECT_NEAR(r[15][30], 6157, 2);
  EXPECT_NEAR(r2[15][30], 1821, 2);
  auto top_r = TopHeads(r, 3), top_r2 = TopHeads(r2, 3);
  EXPECT_EQ(top_r[1].second, "16-20");
  EXPECT_EQ(top_r[2].second, "27-7");
  EXPECT_EQ(top_r2[1].second, "8-11");
  EXPECT_EQ(top_r2[2].second, "16-1");
}

TEST(HeadKVTest, GroupMeanIsRoundedHalfEven) {
  std::vector<std::vector<int64_t>> caps = {{1, 2, 2, 2, 1, 1, 2, 2, 2, 2, 3, 3}};
  EXPECT_EQ(GroupMeanCapacities(caps, 3), (std::vector<std::vector<int64_t>>{{2, 2, 2}}));  // 1.75, 1.5, 2.5
}

std::string WriteScores(const std::string& name, int layers, int heads) {
  auto path = kvb::testing::TempDir("headkv_" + name) / "scores.json";
  std::ofstream out(path);
  out << "{";
  for (int l = 0; l < layers; ++l)
    for (int h = 0; h < heads; ++h) out << (l + h ? ", " : "") << "\"" << l << "-" << h << "\": [" << (l == 1 && h == 2 ? 9 : 1) << ", 1]";
  out << "}";
  return path.string();
}

TEST(HeadKVTest, KeepsTableCapacitiesPlusWindowAndRejectsShapeMismatch) {
  const std::string path = WriteScores("small", 2, 4);
  auto method = Create("headkv", "{heads: " + path + ", window: 4, beta: 2, granularity: query_head}");
  // base 12, P 6, minN 6; means 1 except head 1-2 at 5: sum 12, p = 1/12 or 5/12.
  // caps: round(6 * 8 / 12 + 6) = 10, head 1-2: round(6 * 8 * 5 / 12 + 6) = 26.
  LayerView view = RandomView(4, 2, 100, 16, 1, /*layer=*/1, /*num_layers=*/2);
  KeptPositions kept = method->SelectPrefill(view);
  ASSERT_EQ(kept.num_segments(), 4);
  EXPECT_EQ(kept.per_segment[0].size(), 10u + 4);
  EXPECT_EQ(kept.per_segment[2].size(), 26u + 4);
  LayerView wrong = RandomView(4, 2, 100, 16, 1, 0, /*num_layers=*/3);
  EXPECT_THROW(Create("headkv", "{heads: " + path + ", window: 4}")->SelectPrefill(wrong), Error);
  EXPECT_THROW(Create("headkv", "{heads: copy}"), ConfigError);  // no head_scores_dir
}

TEST(HeadKVTest, AllZeroScoresAreAnErrorNamingTheFile) {
  // Copy-head detection on a model that never copies writes only zeros.
  const auto path = kvb::testing::TempDir("headkv_zero") / "zero.json";
  std::ofstream(path) << "{\"0-0\": [0, 0], \"0-1\": [0, 0]}\n";
  auto method = Create("headkv", "{heads: " + path.string() + ", window: 4}");
  LayerView view = RandomView(2, 1, 50, 16, 1);
  try {
    method->SelectPrefill(view);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(path.string()), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("no positive score"), std::string::npos) << e.what();
  }
}

TEST(HeadKVTest, ResolvesCopyAndReasonInTheScoresDir) {
  KVB_REQUIRE_SHARED(dir, "head_scores");
  auto method = Create("headkv", "{heads: copy, head_scores_dir: " + dir.string() + "}");
  EXPECT_EQ(method->name(), "headkv");
}

}  // namespace
}  // namespace kvb
