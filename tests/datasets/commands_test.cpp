// `kvbench datasets` and `kvbench sample`, run through the CLI registry.
#include <gtest/gtest.h>

#include <fstream>

#include "harness/command.h"
#include "tests/common/test_env.h"
#include "util/error.h"

namespace kvb {
namespace {

namespace fs = std::filesystem;

struct CliResult {
  int exit_code;
  std::string out, err;
};

CliResult RunKvbench(std::vector<std::string> args) {
  args.insert(args.begin(), "kvbench");
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  ::testing::internal::CaptureStdout();
  ::testing::internal::CaptureStderr();
  const int code = RunCli(static_cast<int>(argv.size()), argv.data());
  return {code, ::testing::internal::GetCapturedStdout(), ::testing::internal::GetCapturedStderr()};
}

TEST(DatasetsCommand, ListsEveryDatasetWithItsOptions) {
  const CliResult result = RunKvbench({"datasets"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  for (const char* name : {"longbench", "needle", "ruler", "ruler_jsonl", "babilong", "babilong_generated"})
    EXPECT_NE(("\n" + result.out).find(StrCat("\n", name, "\n")), std::string::npos) << name << " missing:\n" << result.out;
  EXPECT_NE(result.out.find("profile (string, default: longbench)"), std::string::npos);
  const CliResult typo = RunKvbench({"datasets", "rulr"});
  EXPECT_EQ(typo.exit_code, 2);
  EXPECT_NE(typo.err.find("did you mean 'ruler'"), std::string::npos) << typo.err;
}

TEST(SampleCommand, PrintsOneBuiltPromptWithReferencesAndTokenCount) {
  KVB_REQUIRE_SHARED(tokenizer, "tokenizers/qwen3");
  const fs::path dir = testing::TempDir("sample_command");
  { std::ofstream(dir / "ruler.yaml") << "dataset: ruler\ntasks: [niah_single_1]\nlengths: [1024]\nnum_samples: 2\n"; }
  const CliResult result = RunKvbench({"sample", (dir / "ruler.yaml").string(), "--model", tokenizer.string(), "--index",
                                "1", "--context", "4096"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_NE(result.out.find("id: ruler/niah_single_1/1024/1"), std::string::npos) << result.out;
  EXPECT_NE(result.out.find("metric: string_match_all"), std::string::npos);
  EXPECT_NE(result.out.find("chat template on"), std::string::npos);
  EXPECT_NE(result.out.find("<|im_start|>user"), std::string::npos);
  EXPECT_NE(result.out.find("prompt tokens: "), std::string::npos);

  { std::ofstream(dir / "bad.yaml") << "dataset: ruler\noptions:\n  lenghts: [1024]\n"; }
  const CliResult bad = RunKvbench({"sample", (dir / "bad.yaml").string(), "--model", tokenizer.string(), "--context", "4096"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("line 3"), std::string::npos) << bad.err;
  EXPECT_NE(bad.err.find("did you mean 'lengths'"), std::string::npos) << bad.err;

  const CliResult too_long = RunKvbench({"sample", (dir / "ruler.yaml").string(), "--model", tokenizer.string(), "--context", "512"});
  EXPECT_EQ(too_long.exit_code, 1);
  EXPECT_NE(too_long.err.find("exceeds the model's context of 512"), std::string::npos) << too_long.err;
}

}  // namespace
}  // namespace kvb
