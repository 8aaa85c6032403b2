// Sweep files are validated in full before any model loads: each mistake is one line
// naming the file, line and key path, with exit code 2.
#include <gtest/gtest.h>

#include <fstream>

#include "tests/common/test_env.h"
#include "util/error.h"

namespace kvb {
namespace {

// A sweep whose model directory exists (validation never reads it) over the built-in
// needle haystack, so nothing outside the repository is needed.
std::string BaseSweep(const std::filesystem::path& dir) {
  std::filesystem::create_directories(dir / "model");
  return "model:\n"
         "  path: model\n"
         "  dtype: float32\n"
         "methods:\n"
         "  - name: full\n"
         "budgets: [64, 128]\n"
         "datasets:\n"
         "  - name: needle\n"
         "    options: {lengths: [500, 1000], depths: [0, 50]}\n"
         "samples: 3\n"
         "output: out\n";
}

std::filesystem::path WriteSweep(const std::filesystem::path& dir, const std::string& text) {
  const auto path = dir / "sweep.yaml";
  std::ofstream(path) << text;
  return path;
}

testing::CommandResult Validate(const std::filesystem::path& sweep, const std::string& extra = "") {
  return testing::RunCommand(testing::ShellQuote(testing::KvbenchExe()) + " validate " +
                             testing::ShellQuote(sweep.string()) + " " + extra + " 2>&1");
}

// One line, exit 2, naming what the test expects.
void ExpectConfigError(const testing::CommandResult& result, const std::vector<std::string>& needles) {
  EXPECT_EQ(result.exit_code, 2) << result.output;
  std::string output = result.output;
  while (!output.empty() && output.back() == '\n') output.pop_back();
  EXPECT_EQ(output.find('\n'), std::string::npos) << "not one line:\n" << result.output;
  for (const std::string& needle : needles) {
    EXPECT_NE(result.output.find(needle), std::string::npos) << "missing '" << needle << "' in: " << result.output;
  }
}

TEST(SweepConfigTest, AValidSweepPrintsThePlanCounts) {
  const auto dir = testing::TempDir("sweep_valid");
  const auto result = Validate(WriteSweep(dir, BaseSweep(dir)));
  ASSERT_EQ(result.exit_code, 0) << result.output;
  EXPECT_NE(result.output.find("runs: 2"), std::string::npos) << result.output;
  EXPECT_NE(result.output.find("samples: 3\n"), std::string::npos) << result.output;
  EXPECT_NE(result.output.find("prefills: 3 "), std::string::npos) << result.output;
  EXPECT_NE(result.output.find("generations: 6"), std::string::npos) << result.output;
}

TEST(SweepConfigTest, ShardsSplitTheSamples) {
  const auto dir = testing::TempDir("sweep_shard");
  const auto sweep = WriteSweep(dir, BaseSweep(dir));
  const auto shard0 = Validate(sweep, "--shard 0/2");
  const auto shard1 = Validate(sweep, "--shard 1/2");
  EXPECT_NE(shard0.output.find("samples: 2\n"), std::string::npos) << shard0.output;
  EXPECT_NE(shard1.output.find("samples: 1\n"), std::string::npos) << shard1.output;
  ExpectConfigError(Validate(sweep, "--shard 2/2"), {"--shard 2/2"});
}

TEST(SweepConfigTest, UnknownKeyNamesFileLineAndSuggestion) {
  const auto dir = testing::TempDir("sweep_unknown_key");
  std::string text = BaseSweep(dir);
  text.replace(text.find("samples:"), 8, "sample:");
  ExpectConfigError(Validate(WriteSweep(dir, text)), {"sweep.yaml:10", "sample", "did you mean 'samples'"});
}

TEST(SweepConfigTest, MisspeltMethodParameterIsRefusedByTheMethod) {
  const auto dir = testing::TempDir("sweep_bad_param");
  std::string text = BaseSweep(dir);
  text.replace(text.find("  - name: full\n"), 15, "  - name: full\n    params: {windw: 8}\n");
  ExpectConfigError(Validate(WriteSweep(dir, text)), {"sweep.yaml", "methods[0].params", "windw"});
}

// `run` refuses the same mistakes before it touches the model or the output: the model
// directory here is empty (a load would fail differently) and no store is created.
TEST(SweepConfigTest, RunRefusesBeforeAnyModelLoadOrStoreWrite) {
  const auto dir = testing::TempDir("sweep_run_refuses");
  std::string text = BaseSweep(dir);
  text.replace(text.find("  - name: full\n"), 15, "  - name: full\n    params: {windw: 8}\n");
  const auto result = testing::RunCommand(testing::ShellQuote(testing::KvbenchExe()) + " run " +
                                          testing::ShellQuote(WriteSweep(dir, text).string()) + " 2>&1");
  ExpectConfigError(result, {"sweep.yaml", "methods[0].params", "windw"});
  EXPECT_FALSE(std::filesystem::exists(dir / "out")) << "the output was touched";
}

TEST(SweepConfigTest, ListWhereAScalarIsNeeded) {
  const auto dir = testing::TempDir("sweep_list_scalar");
  std::string text = BaseSweep(dir);
  text.replace(text.find("dtype: float32"), 14, "dtype: [float32, bfloat16]");
  ExpectConfigError(Validate(WriteSweep(dir, text)), {"sweep.yaml:3", "model.dtype", "found a list"});
}

TEST(SweepConfigTest, MissingDatasetDirectory) {
  const auto dir = testing::TempDir("sweep_missing_data");
  std::string text = BaseSweep(dir);
  text.replace(text.find("{lengths: [500, 1000], depths: [0, 50]}"), 39,
               "{haystack: /nonexistent/haystack, lengths: [500]}");
  ExpectConfigError(Validate(WriteSweep(dir, text)), {"sweep.yaml", "datasets[0]", "/nonexistent/haystack"});
}

TEST(SweepConfigTest, MissingModelDirectory) {
  const auto dir = testing::TempDir("sweep_missing_model");
  std::string text = BaseSweep(dir);
  text.replace(text.find("path: model"), 11, "path: no_such_model");
  ExpectConfigError(Validate(WriteSweep(dir, text)), {"sweep.yaml:2", "model.path", "no_such_model"});
}

TEST(SweepConfigTest, BudgetBelowTheMethodWindow) {
  const auto dir = testing::TempDir("sweep_budget_window");
  const auto methods = testing::RunCommand(testing::ShellQuote(testing::KvbenchExe()) + " methods 2>&1");
  if (methods.output.find("snapkv") == std::string::npos) {
    GTEST_SKIP() << "no method with a `window` parameter is registered yet (snapkv)";
  }
  std::string text = BaseSweep(dir);
  text.replace(text.find("  - name: full\n"), 15, "  - name: snapkv\n    params: {window: 32}\n");
  text.replace(text.find("budgets: [64, 128]"), 18, "budgets: [16, 128]");
  ExpectConfigError(Validate(WriteSweep(dir, text)), {"sweep.yaml", "budgets", "16", "window = 32"});
}

TEST(SweepConfigTest, SetOverridesAnyKeyAndListsExpand) {
  const auto dir = testing::TempDir("sweep_set");
  const auto sweep = WriteSweep(dir, BaseSweep(dir));
  const auto result = Validate(sweep, "--set budgets=[32,64,128] --set samples=4");
  ASSERT_EQ(result.exit_code, 0) << result.output;
  EXPECT_NE(result.output.find("runs: 3"), std::string::npos) << result.output;
  EXPECT_NE(result.output.find("samples: 4\n"), std::string::npos) << result.output;
  ExpectConfigError(Validate(sweep, "--set samples=[1,2]"), {"samples", "found a list"});
}

}  // namespace
}  // namespace kvb
