// The results store's promises: whole-or-nothing writes, resume, no data loss on reopen,
// idempotent merge that refuses incompatible configs.
#include "store/results_store.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>

#include "tests/common/test_env.h"
#include "util/error.h"

namespace kvb {
namespace {

RunRecord MakeRun(const std::string& name, const std::string& config) {
  RunRecord run;
  run.run_id = StableHash(config);
  run.name = name;
  run.method = "m";
  run.method_params_json = R"({"window":8})";
  run.budget = 64;
  run.model = "tiny";
  run.config_json = config;
  run.git_commit = "abc";
  run.library_versions_json = "{}";
  run.device = "cpu";
  return run;
}

ResultRecord MakeResult(const RunRecord& run, const std::string& dataset, int index,
                        const std::string& prediction, double score) {
  ResultRecord r;
  r.run_id = run.run_id;
  r.sample.dataset = dataset;
  r.sample.sample_id = "s" + std::to_string(index);
  r.sample.sample_index = index;
  r.sample.prompt_tokens = 100 + index;
  r.sample.prompt_hash = StableHash(dataset + std::to_string(index));
  r.sample.references_json = R"(["yes"])";
  r.sample.metadata_json = R"({"length":100})";
  r.prediction = prediction;
  r.timings = {12.5, 3.25, 40.0, 8};
  r.memory = {1000, 200, 800, 50, 200};
  r.scores = {{"qa_f1", score, true}, {"edit_distance", 1 - score, false}};
  return r;
}

TEST(ResultsStoreTest, WritesAndReadsBackEveryField) {
  const auto dir = testing::TempDir("store_roundtrip");
  ResultsStore store = ResultsStore::Open(dir / "results.db");
  const RunRecord run = MakeRun("a", "{config a}");
  store.AddRun(run);
  store.WriteResult(MakeResult(run, "qa", 0, "yes", 1.0));
  const auto rows = store.Results();
  ASSERT_EQ(rows.size(), 1u);
  const ResultRecord& r = rows[0].result;
  EXPECT_EQ(r.prediction, "yes");
  EXPECT_EQ(r.sample.prompt_tokens, 100);
  EXPECT_DOUBLE_EQ(r.timings.decode_ms_per_token, 3.25);
  EXPECT_EQ(r.memory.kv_bytes_full, 800);
  ASSERT_EQ(r.scores.size(), 2u);
  EXPECT_EQ(r.scores[0].metric, "edit_distance");
  EXPECT_FALSE(r.scores[0].higher_is_better);
  EXPECT_EQ(r.scores[1].metric, "qa_f1");
  EXPECT_DOUBLE_EQ(r.scores[1].value, 1.0);
  ASSERT_EQ(store.Runs().size(), 1u);
  EXPECT_EQ(store.Runs()[0].config_json, "{config a}");
  EXPECT_FALSE(store.Runs()[0].started_at.empty());
}

TEST(ResultsStoreTest, ReopeningKeepsDataAndResumeSkipsCompletedOnly) {
  const auto dir = testing::TempDir("store_resume");
  const RunRecord run = MakeRun("a", "{config a}");
  {
    ResultsStore store = ResultsStore::Open(dir / "results.db");
    store.AddRun(run);
    store.WriteResult(MakeResult(run, "qa", 0, "yes", 1.0));
    ResultRecord failed = MakeResult(run, "qa", 1, "", 0.0);
    failed.failed = true;
    failed.error = "out of memory";
    failed.scores.clear();
    store.WriteResult(failed);
  }
  ResultsStore store = ResultsStore::Open(dir / "results.db");
  store.AddRun(run);  // the same run again: a resume, not an error
  const auto done = store.CompletedSamples(run.run_id);
  EXPECT_EQ(done.size(), 1u);
  EXPECT_TRUE(done.count({"qa", "s0"}));
  // The failed sample is retried and its row replaced, never duplicated.
  store.WriteResult(MakeResult(run, "qa", 1, "no", 0.0));
  const auto rows = store.Results();
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_FALSE(rows[1].result.failed);
  EXPECT_EQ(rows[1].result.scores.size(), 2u);
}

TEST(ResultsStoreTest, SameRunNameWithAnotherConfigIsRefused) {
  const auto dir = testing::TempDir("store_conflict");
  ResultsStore store = ResultsStore::Open(dir / "results.db");
  store.AddRun(MakeRun("a", "{config a}"));
  EXPECT_THROW(store.AddRun(MakeRun("a", "{config b}")), ConfigError);
}

TEST(ResultsStoreTest, SampleWithAnotherPromptIsRefusedAndNothingIsWritten) {
  const auto dir = testing::TempDir("store_prompt_conflict");
  ResultsStore store = ResultsStore::Open(dir / "results.db");
  const RunRecord a = MakeRun("a", "{config a}");
  const RunRecord b = MakeRun("b", "{config b}");
  store.AddRun(a);
  store.AddRun(b);
  store.WriteResult(MakeResult(a, "qa", 0, "yes", 1.0));
  ResultRecord other = MakeResult(b, "qa", 0, "yes", 1.0);
  other.sample.prompt_hash = "different";
  EXPECT_THROW(store.WriteResult(other), ConfigError);
  EXPECT_EQ(store.Results().size(), 1u);  // the transaction rolled back whole
}

TEST(ResultsStoreTest, SigkillMidWriteLeavesOnlyWholeRows) {
  const auto dir = testing::TempDir("store_sigkill");
  const RunRecord run = MakeRun("a", "{config a}");
  ResultsStore::Open(dir / "results.db").AddRun(run);
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    ResultsStore store = ResultsStore::Open(dir / "results.db");
    for (int i = 0;; ++i) store.WriteResult(MakeResult(run, "qa", i, "p", 0.5));
  }
  usleep(300 * 1000);
  kill(child, SIGKILL);
  int status = 0;
  waitpid(child, &status, 0);
  ResultsStore store = ResultsStore::Open(dir / "results.db");
  const auto rows = store.Results();
  EXPECT_GT(rows.size(), 0u);
  for (const auto& row : rows) {
    EXPECT_EQ(row.result.scores.size(), 2u) << row.result.sample.sample_id;
  }
}

TEST(ResultsStoreTest, MergeIsIdempotentAndRefusesIncompatibleConfigs) {
  const auto dir = testing::TempDir("store_merge");
  const RunRecord run = MakeRun("a", "{config a}");
  {
    ResultsStore one = ResultsStore::Open(dir / "one.db");
    one.AddRun(run);
    one.WriteResult(MakeResult(run, "qa", 0, "yes", 1.0));
    ResultsStore two = ResultsStore::Open(dir / "two.db");
    two.AddRun(run);
    two.WriteResult(MakeResult(run, "qa", 1, "no", 0.0));
    ResultsStore bad = ResultsStore::Open(dir / "bad.db");
    bad.AddRun(MakeRun("a", "{config changed}"));
  }
  ResultsStore merged = ResultsStore::Open(dir / "merged.db");
  EXPECT_EQ(merged.MergeFrom(ResultsStore::OpenReadOnly(dir / "one.db")), 1);
  EXPECT_EQ(merged.MergeFrom(ResultsStore::OpenReadOnly(dir / "two.db")), 1);
  EXPECT_EQ(merged.MergeFrom(ResultsStore::OpenReadOnly(dir / "two.db")), 0);
  EXPECT_EQ(merged.Results().size(), 2u);
  try {
    merged.MergeFrom(ResultsStore::OpenReadOnly(dir / "bad.db"));
    FAIL() << "merge of an incompatible config was accepted";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("incompatible"), std::string::npos) << e.what();
  }
  EXPECT_EQ(merged.Runs().size(), 1u);
}

TEST(ResultsStoreTest, OpenReadOnlyNamesAMissingStore) {
  try {
    ResultsStore::OpenReadOnly("/nonexistent/results.db");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent/results.db"), std::string::npos);
  }
}

TEST(StableHashTest, IsStableAndDistinguishes) {
  EXPECT_EQ(StableHash("abc"), StableHash("abc"));
  EXPECT_NE(StableHash("abc"), StableHash("abd"));
  EXPECT_EQ(StableHash("").size(), 32u);
}

}  // namespace
}  // namespace kvb
