// Head detection (spec methods.md §6): the per-step copy and reason rules on hand-made
// attention rows, the needle locator, and the score file headkv reads back.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "methods/head_detection.h"
#include "methods/head_scores.h"
#include "tests/common/test_env.h"
#include "util/error.h"

namespace kvb {
namespace {

constexpr int kLayers = 2, kHeads = 4, kPromptLength = 20;
const TokenSpan kNeedle{5, 10};

TokenIds Prompt() {
  TokenIds ids;
  for (int i = 0; i < kPromptLength; ++i) ids.push_back(100 + i);
  return ids;
}

ModelShape Shape() { return ModelShape{kLayers, kHeads, 2, 8}; }

// Random softmax rows (fixed seed) for every head, then the given heads overwritten.
std::vector<at::Tensor> StepAttention(int64_t rows, int64_t step,
                                      const std::vector<std::tuple<int, int, at::Tensor>>& overrides) {
  at::manual_seed(1000 + step);
  std::vector<at::Tensor> layers;
  for (int l = 0; l < kLayers; ++l) layers.push_back(at::softmax(at::randn({kHeads, rows}), 1));
  for (const auto& [l, h, row] : overrides) layers[l][h].copy_(row);
  return layers;
}

at::Tensor OneHot(int64_t rows, int64_t at_row, float weight = 0.9f) {
  at::Tensor row = at::full({rows}, (1.0f - weight) / static_cast<float>(rows - 1));
  row[at_row] = weight;
  return row;
}

double Score(const HeadScoreInstance& instance, int layer, int head) { return instance.scores()[layer * kHeads + head]; }

TEST(HeadDetectionTest, PerfectCopyHeadScoresHighest) {
  const TokenIds prompt = Prompt();
  HeadScoreInstance instance(Shape(), HeadScoreKind::kCopy, kNeedle, prompt);
  for (int64_t t = 0; t < kNeedle.size(); ++t) {
    const int64_t rows = kPromptLength + t;  // the cache grows by one row per step
    const TokenId generated = prompt[kNeedle.begin + t];
    instance.AddStep(StepAttention(rows, t,
                                   {{1, 2, OneHot(rows, kNeedle.begin + t)},       // copies the needle token by token
                                    {0, 1, OneHot(rows, kNeedle.begin + (t + 1) % 5)},  // inside, wrong token
                                    {0, 3, OneHot(rows, 2)}}),                     // outside the needle
                     generated);
  }
  EXPECT_DOUBLE_EQ(Score(instance, 1, 2), 1.0);  // 5 steps x 1/|needle|
  EXPECT_DOUBLE_EQ(Score(instance, 0, 1), 0.0);  // top-1 in the span but not the generated token
  EXPECT_DOUBLE_EQ(Score(instance, 0, 3), 0.0);
  for (int i = 0; i < kLayers * kHeads; ++i)
    if (i != 1 * kHeads + 2) EXPECT_LT(instance.scores()[i], 1.0) << "head " << i;
}

TEST(HeadDetectionTest, ReasonAddsTopNeedleWeightsInsideTheSpan) {
  HeadScoreInstance instance(Shape(), HeadScoreKind::kReason, kNeedle, Prompt());
  const int64_t rows = kPromptLength;
  at::Tensor spread = at::zeros({rows});
  spread.slice(0, kNeedle.begin, kNeedle.end).fill_(0.2f);  // all mass on the needle
  at::Tensor half = at::zeros({rows});
  // Top-5 rows: 0, 1, 2 outside the needle, 6 and 7 inside it.
  half[0] = 0.3f, half[1] = 0.25f, half[2] = 0.2f, half[6] = 0.15f, half[7] = 0.1f;
  instance.AddStep(StepAttention(rows, 0, {{0, 0, spread}, {1, 3, half}}), /*generated=*/7);
  EXPECT_NEAR(Score(instance, 0, 0), 5 * 0.2 / 5, 1e-6);
  EXPECT_NEAR(Score(instance, 1, 3), (0.15 + 0.1) / 5, 1e-6);
}

TEST(HeadDetectionTest, FindNeedleSpanUsesTheNinetyPercentTokenSetRule) {
  const TokenIds prompt = {1, 2, 3, 40, 41, 42, 43, 44, 45, 46, 47, 48, 49, 9, 9};
  EXPECT_EQ(FindNeedleSpan(prompt, {40, 41, 42, 43, 44, 45, 46, 47, 48, 49}).begin, 3);
  // 9 of 10 distinct tokens present is not > 90%.
  EXPECT_EQ(FindNeedleSpan(prompt, {40, 41, 42, 43, 44, 45, 46, 47, 48, 77}).begin, -1);
  // The span is |needle| long from the first match.
  const TokenSpan span = FindNeedleSpan(prompt, {42, 43, 44});
  EXPECT_EQ(span.begin, 5);
  EXPECT_EQ(span.end, 8);
}

TEST(HeadDetectionTest, ScoreFileIsTheOfficialFormatAndLoadsBack) {
  HeadScoreFile file(Shape());
  for (int n = 0; n < 3; ++n) {
    HeadScoreInstance instance(Shape(), HeadScoreKind::kReason, kNeedle, Prompt());
    at::Tensor spread = at::zeros({kPromptLength});
    spread.slice(0, kNeedle.begin, kNeedle.end).fill_(0.1f * (n + 1));
    instance.AddStep(StepAttention(kPromptLength, n, {{1, 1, spread}}), 0);
    file.Append(instance);
  }
  const std::string json = file.ToJson();
  EXPECT_EQ(json.find('\n'), json.size() - 1);  // one line
  EXPECT_EQ(json.rfind("{\"0-0\": [", 0) == 0 || json.rfind("{\"0-0\":[", 0) == 0, true);
  const auto parsed = nlohmann::ordered_json::parse(json);
  std::vector<std::string> keys;
  for (const auto& [key, list] : parsed.items()) {
    keys.push_back(key);
    EXPECT_EQ(list.size(), 3u) << key;
  }
  EXPECT_EQ(keys, (std::vector<std::string>{"0-0", "0-1", "0-2", "0-3", "1-0", "1-1", "1-2", "1-3"}));

  const auto path = testing::TempDir("head_detection") / "scores.json";
  std::ofstream(path) << json;
  const HeadImportance importance = LoadHeadImportance(path.string());
  EXPECT_EQ(importance.num_layers, kLayers);
  EXPECT_EQ(importance.num_heads, kHeads);
  EXPECT_NEAR(importance.mean[1 * kHeads + 1], (0.1 + 0.2 + 0.3) / 3 * 5 / 5, 1e-6);
}

TEST(HeadDetectionTest, UnknownKindIsAConfigError) {
  EXPECT_EQ(ParseHeadScoreKind("copy", "--kind"), HeadScoreKind::kCopy);
  try {
    ParseHeadScoreKind("retrieval", "--kind");
    FAIL() << "no error";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("copy | reason"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace kvb
