// pred/<run>/<dataset>.jsonl: LongBench's eval.py fields, written from the store.
#include "store/prediction_files.h"

#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "tests/common/test_env.h"

namespace kvb {
namespace {

TEST(PredictionFilesTest, OneLinePerSuccessfulSampleInOrder) {
  const auto dir = testing::TempDir("prediction_files");
  ResultsStore store = ResultsStore::Open(dir / "results.db");
  RunRecord run;
  run.run_id = StableHash("cfg");
  run.name = "snap_b64";
  run.method = "m";
  run.method_params_json = "{}";
  run.config_json = "cfg";
  store.AddRun(run);
  for (int i : {2, 0, 1}) {
    ResultRecord r;
    r.run_id = run.run_id;
    r.sample = {"trec", "id" + std::to_string(i), i, 10, StableHash(std::to_string(i)),
                R"(["Location"])", R"({"all_classes":["Location","Person"],"length":4321})"};
    r.prediction = "pred ü " + std::to_string(i);
    r.failed = i == 1;
    r.scores = {{"classification_score", 1.0, true}};
    store.WriteResult(r);
  }
  const auto written = WritePredictionFiles(store, dir);
  ASSERT_EQ(written.size(), 1u);
  EXPECT_EQ(written[0], dir / "pred" / "snap_b64" / "trec.jsonl");
  std::ifstream in(written[0]);
  std::string line;
  std::vector<nlohmann::json> lines;
  while (std::getline(in, line)) lines.push_back(nlohmann::json::parse(line));
  ASSERT_EQ(lines.size(), 2u);  // the failed sample has no prediction line
  EXPECT_EQ(lines[0]["pred"], "pred ü 0");
  EXPECT_EQ(lines[1]["_id"], "id2");
  EXPECT_EQ(lines[0]["answers"][0], "Location");
  EXPECT_EQ(lines[0]["all_classes"].size(), 2u);
  EXPECT_EQ(lines[0]["length"], 4321);
  EXPECT_DOUBLE_EQ(lines[0]["scores"]["classification_score"].get<double>(), 1.0);
}

}  // namespace
}  // namespace kvb
