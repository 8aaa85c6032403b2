// `kvbench bench decode` and `kvbench bench sweep` on a tiny random checkpoint on the CPU:
// every column and JSON field is there and plausible, the KV bytes are the cache's, the
// three sweep strategies generate the same tokens (the bench's own agreement count), and
// bad flags fail before the model loads. The speed numbers themselves are GPU results
// (scripts/gpu.sh); here they only have to be positive.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "tests/common/test_env.h"

namespace kvb {
namespace {

namespace fs = std::filesystem;
using testing::RunCommand;
using testing::ShellQuote;

std::string Kvbench() { return ShellQuote(testing::KvbenchExe()); }

// The tiny preset: 2 layers, 2 KV heads of head_dim 16; fp32 on the CPU.
constexpr std::int64_t kLayers = 2, kKvHeads = 2, kHeadDim = 16, kElementBytes = 4;
constexpr std::int64_t kRowBytes = kHeadDim * 2 * kElementBytes;  // K and V of one token in one segment

class BenchCommand : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new fs::path(testing::TempDir("bench_command"));
    const auto made = RunCommand(Kvbench() + " make-model --arch llama --preset tiny --seed 3 --dtype fp32 " +
                                 ShellQuote((*dir_ / "model").string()) + " 2>&1");
    ASSERT_EQ(made.exit_code, 0) << made.output;
  }
  static fs::path Model() { return *dir_ / "model"; }
  static nlohmann::json ReadJson(const fs::path& path) {
    std::ifstream in(path);
    return nlohmann::json::parse(in);
  }
  static fs::path* dir_;
};
fs::path* BenchCommand::dir_ = nullptr;

TEST_F(BenchCommand, DecodeReportsEachMethodAtEachContext) {
  const fs::path json = *dir_ / "decode.json";
  const auto run = RunCommand(Kvbench() + " bench decode --model " + ShellQuote(Model().string()) +
                              " --device cpu --dtype fp32 --context 96,160 --budget 40 --method ada_snapkv"
                              " --baseline full --new-tokens 6 --json " + ShellQuote(json.string()) + " 2>&1");
  ASSERT_EQ(run.exit_code, 0) << run.output;
  EXPECT_NE(run.output.find("loaded in"), std::string::npos) << run.output;
  EXPECT_NE(run.output.find("CUDA graphs off"), std::string::npos) << "graphs are a CUDA feature:\n" << run.output;
  const nlohmann::json rows = ReadJson(json);
  ASSERT_EQ(rows.size(), 4u) << rows.dump(1);
  const std::vector<std::pair<std::string, std::int64_t>> expected = {
      {"ada_snapkv", 96}, {"full", 96}, {"ada_snapkv", 160}, {"full", 160}};
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const nlohmann::json& row = rows[i];
    SCOPED_TRACE(row.dump());
    EXPECT_EQ(row["method"], expected[i].first);
    EXPECT_EQ(row["context"], expected[i].second);
    EXPECT_EQ(row["new_tokens"], 6);
    EXPECT_EQ(row["budget"], 40);
    for (const char* key : {"prefill_ms", "decode_ms_per_token", "floor_ms_per_token", "copy_bytes_per_s", "load_s"})
      EXPECT_GT(row[key].get<double>(), 0.0) << key;
    EXPECT_EQ(row["peak_bytes"], 0) << "no device allocator on the CPU";
    const std::int64_t context = row["context"];
    EXPECT_EQ(row["kv_bytes_full"], context * kLayers * kKvHeads * kRowBytes);
    if (row["method"] == "full") {
      EXPECT_EQ(row["kv_bytes"], row["kv_bytes_full"]);
    } else {
      // AdaKV moves budget between the heads of a layer; the layer's total stays at most
      // budget x heads (rounding of the floors may leave a few rows unused).
      EXPECT_LE(row["kv_bytes"].get<std::int64_t>(), 40 * kLayers * kKvHeads * kRowBytes);
      EXPECT_GT(row["kv_bytes"].get<std::int64_t>(), 32 * kLayers * kKvHeads * kRowBytes) << "the window alone";
    }
  }
  // The same prompt and budget give the same cache at both contexts only if the method
  // ignored the prompt's length: the full cache must grow, the budgeted one must not.
  EXPECT_EQ(rows[0]["kv_bytes"], rows[2]["kv_bytes"]);
  EXPECT_LT(rows[1]["kv_bytes"].get<std::int64_t>(), rows[3]["kv_bytes"].get<std::int64_t>());
}

TEST_F(BenchCommand, SweepStrategiesGenerateTheSameTokens) {
  const fs::path json = *dir_ / "sweep.json";
  const auto run = RunCommand(Kvbench() + " bench sweep --model " + ShellQuote(Model().string()) +
                              " --device cpu --dtype fp32 --context 128 --samples 2 --methods snapkv,ada_snapkv"
                              " --budgets 40,48 --new-tokens 5 --json " + ShellQuote(json.string()) + " 2>&1");
  ASSERT_EQ(run.exit_code, 0) << run.output;
  const nlohmann::json rows = ReadJson(json);
  ASSERT_EQ(rows.size(), 3u) << rows.dump(1);
  const std::vector<std::string> strategies = {"separate", "shared", "batched"};
  for (std::size_t i = 0; i < rows.size(); ++i) {
    SCOPED_TRACE(rows[i].dump());
    EXPECT_EQ(rows[i]["strategy"], strategies[i]);
    EXPECT_EQ(rows[i]["configs"], 4);
    EXPECT_EQ(rows[i]["runs"], 8) << "2 samples x 4 configs";
    // fp32 on the CPU: the same arithmetic whichever way the caches are filled and decoded.
    EXPECT_EQ(rows[i]["runs_agreeing_with_first"], 8);
    EXPECT_EQ(rows[i]["first_strategy"], "separate");
    EXPECT_GT(rows[i]["total_ms"].get<double>(), 0.0);
  }
  EXPECT_NE(run.output.find("8/8"), std::string::npos) << run.output;
}

TEST_F(BenchCommand, BadFlagsFailBeforeLoadingTheModel) {
  struct Case {
    std::string args, message;
  };
  const std::vector<Case> cases = {
      {"decode --method full --context 96,x", "--context: \"x\" is not an integer"},
      {"sweep --methods full --strategies separate,fast", "--strategies: unknown strategy \"fast\""},
      {"sweep --methods full --budgets 40,,48", "--budgets: \"\" is not an integer"},
      {"sweep --methods snapkvv", "snapkv"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.args);
    // A model path that does not exist: the flag must be the error, not the checkpoint.
    const auto run = RunCommand(Kvbench() + " bench " + c.args + " --device cpu --model " +
                                ShellQuote((*dir_ / "no_such_model").string()) + " 2>&1");
    EXPECT_NE(run.exit_code, 0) << run.output;
    EXPECT_NE(run.output.find(c.message), std::string::npos) << run.output;
    EXPECT_EQ(run.output.find("no_such_model"), std::string::npos) << "loaded before checking the flags:\n" << run.output;
  }
}

}  // namespace
}  // namespace kvb
