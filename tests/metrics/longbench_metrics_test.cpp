// LongBench scorer cases from the spec (§1.5, §1.7) and the metric registry (STYLE P2/P14).
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>

#include "metrics/jieba.h"
#include "metrics/longbench_eval.h"
#include "metrics/longbench_metrics.h"
#include "metrics/metric_registry.h"
#include "tests/common/test_env.h"
#include "util/error.h"

namespace kvb::metrics {
namespace {

MetricContext Ctx() { return MetricContext{}; }

TEST(NormalizeAnswer, SpecOrderOfSteps) {
  EXPECT_EQ(NormalizeAnswer(U"The well-known  1,000 cats"), U"wellknown 1000 cats");
  EXPECT_EQ(NormalizeAnswer(U"an apple\u00A0a day"), U"apple day");
  EXPECT_EQ(NormalizeAnswer(U"the_cat \u201Cq\u201D"), U"thecat \u201Cq\u201D");  // curly quotes survive
  EXPECT_EQ(NormalizeAnswer(U"théâtre a"), U"théâtre");
}

TEST(QaF1, BothSidesEmptyAfterNormalisationScoreZero) {
  EXPECT_EQ(QaF1Score(U"The", U"the", Ctx()), 0.0);
  EXPECT_EQ(QaF1Score(U"Paris, France", U"paris", Ctx()), 2 * 0.5 * 1.0 / 1.5);
}

TEST(Rouge, PerfectMatchIsNotOne) { EXPECT_EQ(RougeScore(U"the cat sat", U"the cat sat", Ctx()), 0.999999995); }

TEST(Rouge, EmptySideScoresZero) {
  EXPECT_EQ(RougeScore(U"", U"a", Ctx()), 0.0);
  EXPECT_EQ(RougeScore(U"...", U"a", Ctx()), 0.0);
}

TEST(Rouge, RecursionBoundIsAParameter) {
  const auto hyp = [](int n) {
    std::u32string s = U"cat";
    for (int i = 0; i < n; ++i) s += U" w";
    return s;
  };
  // Spec §1.5.4: N = 989 filler words still scores, N = 990 is RecursionError -> 0.0.
  EXPECT_EQ(RougeL(hyp(989), U"cat", kRougeMaxReconCallsEnglish), 2.0 * ((0.5 * 1.0) / (0.5 + 1.0 + 1e-8)));
  EXPECT_EQ(RougeL(hyp(990), U"cat", kRougeMaxReconCallsEnglish), 0.0);
  EXPECT_GT(RougeL(hyp(990), U"cat", 5000), 0.0);
}

TEST(Classification, SkipWhileDeletingIsEmulated) {
  const ClassLabels classes = {U"New York City", U"York", U"City", U"New York"};
  MetricContext ctx;
  ctx.all_classes = &classes;
  // Ground truth "New York City": "York" is removed, "City" slides into its slot and is
  // skipped, so it stays: matched = [New York City, City, New York] -> "New York" removed
  // on the next step -> [New York City, City] -> 1/2 (a clean filter would give 1/1;
  // checked against the Python reference script).
  EXPECT_EQ(ClassificationScore(U"New York City", U"New York City", ctx), 0.5);
  EXPECT_EQ(ClassificationScore(U"City", U"New York City", ctx), 0.0);
}

TEST(Retrieval, DigitsCompareAsStrings) {
  EXPECT_EQ(RetrievalScore(U"Paragraph 12, 012, \uFF11\uFF12", U"Paragraph 12", Ctx()), 1.0 / 3.0);
  EXPECT_EQ(RetrievalScore(U"no numbers", U"Paragraph 12", Ctx()), 0.0);
  EXPECT_THROW(RetrievalScore(U"1", U"paragraph 1", Ctx()), Error);
  EXPECT_EQ(RetrievalZhScore(U"段落3", U"段落3", Ctx()), 1.0);
  EXPECT_EQ(CountScore(U"3 or 4 or 3", U"3", Ctx()), 2.0 / 3.0);
}

TEST(CodeSim, FirstLineWithoutCommentMarkers) {
  MetricContext ctx;
  EXPECT_EQ(CodeSimScore(U"\n\n# c\nprint(\"#\")\nx = 1\n", U"x = 1", ctx), 1.0);
  EXPECT_EQ(CodeSimScore(U"// only\n`x`", U"x = 1", ctx), 0.0);  // no line qualifies -> ""
  EXPECT_EQ(FuzzRatio(U"", U"", FuzzMatcher::kDifflib), 100);
  // difflib's greedy blocks can miss the LCS; Levenshtein's indel ratio cannot.
  EXPECT_LE(DifflibRatio(U"abxcd", U"abcxd"), LevenshteinRatio(U"abxcd", U"abcxd"));
  EXPECT_THROW(ParseFuzzMatcher("rapidfuzz"), ConfigError);
}

TEST(Jieba, MissingDataNamesTheFile) {
  try {
    Jieba jieba("/nonexistent/jieba");
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent/jieba/dict.txt"), std::string::npos) << e.what();
  }
}

TEST(Jieba, CutsLikeJieba) {
  if (!std::filesystem::exists(Jieba::DefaultDataDir() / "dict.txt")) GTEST_SKIP() << "python3-jieba not installed";
  // Python: list(jieba.cut("我来到北京清华大学 ok\r\n!")) with jieba 0.42.1.
  const JiebaTokens tokens = Jieba::Default().Cut(U"我来到北京清华大学 ok\r\n!");
  const JiebaTokens expected = {U"我", U"来到", U"北京", U"清华大学", U" ", U"ok", U"\r\n", U"!"};
  EXPECT_EQ(tokens, expected);
}

TEST(MetricRegistry, HoldsEveryLongBenchMetricWithMetadata) {
  for (const auto& dataset : LongBenchDatasets()) {
    const MetricInfo& m = MetricRegistry::Get().Find(LongBenchMetricName(dataset));
    EXPECT_TRUE(m.higher_is_better) << m.name;
    EXPECT_FALSE(m.version.empty()) << m.name;
  }
}

TEST(MetricRegistry, UnknownNameSuggestsTheNearest) {
  try {
    MetricRegistry::Get().Find("rouge_scor");
    FAIL() << "expected ConfigError";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("did you mean 'rouge_score'"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("qa_f1_score"), std::string::npos) << e.what();
  }
}

TEST(MetricRegistryDeathTest, DuplicateAbortsNamingBothSites) {
  EXPECT_DEATH(MetricRegistry::Get().Add(MetricInfo{"qa_f1_score", true, Aggregation::kMeanPercent, "x", nullptr},
                                         "second.cpp:1"),
               "registered twice.*second.cpp:1");
}

TEST(LongBenchEval, FirstLineRuleAndMaxOverAnswers) {
  const ScoringOptions options;
  EXPECT_EQ(ScoreLongBenchSample("triviaqa", U"\n\nParis\nLondon", {U"London", U"Paris"}, {}, options), 1.0);
  EXPECT_EQ(ScoreLongBenchSample("narrativeqa", U"\n\nParis\nLondon", {U"London"}, {}, options), 2 * 0.5 / 1.5);
  EXPECT_THROW(LongBenchMetricName("narrativeqaa"), ConfigError);
}

TEST(LongBenchEval, BucketsWithAnEmptyBucketGiveNaN) {
  const LengthBucketScores b = AggregateLongBenchE({0.5, 1.0, 0.25}, {100, 3999, 9000});
  EXPECT_EQ(b.up_to_4k, 75.0);
  EXPECT_TRUE(std::isnan(b.up_to_8k));
  EXPECT_EQ(b.above_8k, 25.0);
  EXPECT_EQ(LongBenchEResultJson({{"qasper", b}}),
            "{\n    \"qasper\": {\n        \"0-4k\": 75.0,\n        \"4-8k\": NaN,\n        \"8k+\": 25.0\n    }\n}");
}

TEST(LongBenchEval, BadInputNamesFileAndLine) {
  const auto dir = testing::TempDir("longbench_bad_input");
  const auto write = [&](const std::string& name, const std::string& body) {
    std::ofstream(dir / name) << body;
    return dir / name;
  };
  const std::string good = "{\"pred\": \"a\", \"answers\": [\"a\"], \"all_classes\": null, \"length\": 5}\n";
  EXPECT_EQ(ReadPredictionFile(write("ok.jsonl", good + good), true).size(), 2u);
  const auto expect_error = [&](const std::filesystem::path& p, const std::string& needle) {
    try {
      ReadPredictionFile(p, false);
      ADD_FAILURE() << "no error for " << p;
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
    }
  };
  expect_error(write("utf8.jsonl", good + "{\"pred\": \"\xff\", \"answers\": []}\n"), "utf8.jsonl:2: invalid UTF-8");
  expect_error(write("notjson.jsonl", good + good + "not json\n"), "notjson.jsonl:3: not a JSON object");
  expect_error(write("noanswers.jsonl", "{\"pred\": \"a\", \"all_classes\": null}\n"), "noanswers.jsonl:1: missing \"answers\"");
}

}  // namespace
}  // namespace kvb::metrics
