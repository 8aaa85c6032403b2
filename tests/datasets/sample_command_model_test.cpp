// Every dataset end to end through a real tokenizer and chat template: `kvbench sample`
// on SmolLM2-135M-Instruct (models/, made by scripts/setup.sh; skipped when absent) for
// longbench and babilong (../shared data), needle, all 13 RULER tasks at 1024 tokens
// (qa_1/qa_2 must fail clearly without their files) and babilong_generated. Checks the
// exit code and that the reported prompt token count fits the target.
#include <gtest/gtest.h>

#include <fstream>
#include <regex>

#include "tests/common/test_env.h"
#include "util/error.h"

namespace kvb {
namespace {

namespace fs = std::filesystem;
using testing::ShellQuote;

constexpr long kRulerLength = 1024;

std::optional<fs::path> Model() {
  const fs::path model = testing::SourceDir() / "models/SmolLM2-135M-Instruct";
  if (fs::exists(model / "tokenizer.json")) return model;
  return std::nullopt;
}

struct SampleRun {
  int exit_code = -1;
  long prompt_tokens = -1;  // "prompt tokens: N" of the output, -1 when absent
  std::string output;
};

SampleRun Sample(const fs::path& model, const std::string& name, const std::string& yaml, int index) {
  const fs::path config = testing::TempDir("sample_model_" + name) / "dataset.yaml";
  std::ofstream(config) << yaml;
  const auto run = testing::RunCommand(ShellQuote(testing::KvbenchExe()) + " sample " + ShellQuote(config.string()) +
                                       " --model " + ShellQuote(model.string()) + " --index " +
                                       std::to_string(index) + " 2>&1");
  SampleRun out{run.exit_code, -1, run.output};
  std::smatch m;
  if (std::regex_search(run.output, m, std::regex("prompt tokens: ([0-9]+)"))) out.prompt_tokens = std::stol(m[1]);
  return out;
}

#define KVB_REQUIRE_MODEL(var) \
  const auto var##_opt = Model(); \
  if (!var##_opt) GTEST_SKIP() << "needs models/SmolLM2-135M-Instruct (scripts/setup.sh makes it)"; \
  const fs::path var = *var##_opt

TEST(SampleWithSmolLM2, LongBenchFitsTheContext) {
  KVB_REQUIRE_MODEL(model);
  KVB_REQUIRE_SHARED(data, "data/longbench");
  KVB_REQUIRE_SHARED(prompts, "spec/data/longbench-prompts.json");
  const std::string yaml = StrCat("dataset: longbench\ndata_dir: '", data.string(), "'\nprompts: '", prompts.string(),
                                  "'\ndatasets: [multi_news, multifieldqa_zh]\nlimit: 2\nmax_length: 1500\n");
  for (int index : {0, 1, 2, 3}) {
    const SampleRun run = Sample(model, "longbench", yaml, index);
    ASSERT_EQ(run.exit_code, 0) << run.output;
    // Truncated to 1500 tokens, then the chat template (a few dozen tokens) on top.
    EXPECT_GT(run.prompt_tokens, 1400) << index;
    EXPECT_LE(run.prompt_tokens, 1600) << index;
  }
}

TEST(SampleWithSmolLM2, NeedleFitsItsLength) {
  KVB_REQUIRE_MODEL(model);
  for (int index : {0, 1, 2}) {
    const SampleRun run = Sample(model, "needle", "dataset: needle\nlengths: [1024]\ndepths: 3\n", index);
    ASSERT_EQ(run.exit_code, 0) << run.output;
    EXPECT_LE(run.prompt_tokens, 1024) << run.output.substr(0, 400);
    EXPECT_GT(run.prompt_tokens, 1024 - 200 - 100) << "the context is length - 200 tokens";
  }
}

TEST(SampleWithSmolLM2, EveryRulerTaskAt1024Tokens) {
  KVB_REQUIRE_MODEL(model);
  const std::vector<std::string> tasks = {"niah_single_1", "niah_single_2", "niah_single_3", "niah_multikey_1",
                                          "niah_multikey_2", "niah_multikey_3", "niah_multivalue", "niah_multiquery",
                                          "vt", "cwe", "fwe", "qa_1", "qa_2"};
  for (const std::string& task : tasks) {
    const SampleRun run = Sample(model, "ruler_" + task,
                                 StrCat("dataset: ruler\ntasks: [", task, "]\nlengths: [", kRulerLength,
                                        "]\nnum_samples: 1\n"),
                                 0);
    if (task == "qa_1" || task == "qa_2") {  // need SQuAD / HotpotQA files, not given
      EXPECT_NE(run.exit_code, 0) << task;
      EXPECT_NE(run.output.find(task == "qa_1" ? "squad" : "hotpotqa"), std::string::npos) << run.output;
      continue;
    }
    ASSERT_EQ(run.exit_code, 0) << task << ": " << run.output.substr(0, 600);
    // The target counts the prompt plus the tokens to generate (RULER's rule).
    EXPECT_LE(run.prompt_tokens, kRulerLength) << task;
    EXPECT_GT(run.prompt_tokens, kRulerLength * 6 / 10) << task;
  }
}

TEST(SampleWithSmolLM2, BabilongSharedAndGenerated) {
  KVB_REQUIRE_MODEL(model);
  KVB_REQUIRE_SHARED(data, "data/babilong");
  for (int index : {0, 7}) {
    const SampleRun run = Sample(model, "babilong", StrCat("dataset: babilong\ndata_dir: '", data.string(),
                                                           "'\nsplits: [1k]\nlimit: 2\n"), index);
    ASSERT_EQ(run.exit_code, 0) << run.output.substr(0, 600);
    EXPECT_GT(run.prompt_tokens, 500) << "a 1k split";
    EXPECT_LE(run.prompt_tokens, 1600);
  }
  for (int index : {0, 1, 4}) {
    const SampleRun run = Sample(model, "babilong_generated",
                                 "dataset: babilong_generated\nlengths: [1000]\nnum_samples: 1\n", index);
    ASSERT_EQ(run.exit_code, 0) << run.output.substr(0, 600);
    EXPECT_GT(run.prompt_tokens, 700) << index;
    EXPECT_LE(run.prompt_tokens, 1300) << index;
  }
}

}  // namespace
}  // namespace kvb
