// configs/: the papers' sweeps validate with `kvbench run --dry-run` (issue 8). The dry run
// reads no model file (prompts are fitted to the tokenizer when a run starts), so the test
// points the placeholder paths at an empty directory and at ../shared with --set, and
// checks the plan's counts.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "tests/common/test_env.h"

namespace kvb {
namespace {

namespace fs = std::filesystem;
using testing::ShellQuote;

fs::path Config(const std::string& name) { return testing::SourceDir() / "configs" / name; }

// A LongBench data directory where every dataset name the profiles use has records: links to the one
// English file in ../shared (the plan only counts records; their text is not used).
fs::path FakeLongBenchDir(const fs::path& records) {
  const fs::path dir = testing::TempDir("paper_configs_longbench");
  for (const char* name : {"narrativeqa", "qasper", "multifieldqa_en", "multifieldqa_zh", "hotpotqa", "2wikimqa",
                           "musique", "dureader", "gov_report", "qmsum", "multi_news", "vcsum", "trec", "triviaqa",
                           "samsum", "lsht", "passage_count", "passage_retrieval_en", "passage_retrieval_zh", "lcc",
                           "repobench-p",
                           // HeadKV's LooGLE sets in LongBench format
                           "comprehension_and_reasoning", "computation", "multiple_information_retrieval",
                           "timeline_reorder"}) {
    fs::create_symlink(records, dir / (std::string(name) + ".jsonl"));
  }
  return dir;
}

testing::CommandResult DryRun(const std::string& config, const std::string& sets) {
  const fs::path model = testing::TempDir("paper_configs_model");
  return testing::RunCommand(ShellQuote(testing::KvbenchExe()) + " run " + ShellQuote(Config(config).string()) +
                             " --dry-run --set model.path=" + ShellQuote(model.string()) + " " + sets + " 2>&1");
}

void ExpectCounts(const testing::CommandResult& result, std::size_t runs, std::size_t samples) {
  ASSERT_EQ(result.exit_code, 0) << result.output;
  EXPECT_NE(result.output.find("runs: " + std::to_string(runs) + "\n"), std::string::npos) << result.output;
  EXPECT_NE(result.output.find("samples: " + std::to_string(samples) + "\n"), std::string::npos) << result.output;
}

std::string LongBenchSets(const fs::path& data, const fs::path& prompts) {
  return "--set datasets.0.options.data_dir=" + ShellQuote(data.string()) +
         " --set datasets.0.options.prompts=" + ShellQuote(prompts.string());
}

TEST(PaperConfigsTest, AdaKVLongBenchMistralAndLlama31) {
  KVB_REQUIRE_SHARED(records, "data/longbench/multi_news.jsonl");
  KVB_REQUIRE_SHARED(prompts, "spec/data/longbench-prompts.json");
  const std::string sets = LongBenchSets(FakeLongBenchDir(records), prompts);
  // 5 methods x 5 budgets; the adakv profile's 16 datasets x 200 records.
  ExpectCounts(DryRun("adakv_longbench_mistral.yaml", sets), 25, 16 * 200);
  ExpectCounts(DryRun("adakv_longbench_llama31.yaml", sets), 25, 16 * 200);
}

TEST(PaperConfigsTest, HeadKVLongBenchLlama3BetaSweep) {
  KVB_REQUIRE_SHARED(records, "data/longbench/multi_news.jsonl");
  KVB_REQUIRE_SHARED(prompts, "spec/data/longbench-prompts.json");
  KVB_REQUIRE_SHARED(heads, "head_scores");
  const auto result = DryRun("headkv_longbench_llama3.yaml", LongBenchSets(FakeLongBenchDir(records), prompts) +
                                                                 " --set methods.0.params.head_scores_dir=" +
                                                                 ShellQuote(heads.string()));
  // headkv: {copy, reason} x 4 betas x 4 budgets + snapkv and ada_snapkv x 4 budgets;
  // HeadKV's 10 datasets x 200 records.
  ExpectCounts(result, 2 * 4 * 4 + 2 * 4, 10 * 200);
  EXPECT_NE(result.output.find("headkv_protocol-headkv_heads-reason_beta-1.005_"), std::string::npos) << result.output;
}

TEST(PaperConfigsTest, NeedleAndRulerAt4k8k16k) {
  // 6 methods x 3 budgets; needle 3 lengths x 10 depths + RULER 11 tasks x 3 lengths x 50.
  ExpectCounts(DryRun("needle_ruler_llama31.yaml", ""), 18, 30 + 11 * 3 * 50);
}

TEST(PaperConfigsTest, SmolLM2NeedleGpuSweep) {
  // 7 methods + headkv with two heads files = 9 variants x 3 budgets; lengths 1000..8000
  // step 1000 x 10 depths.
  ExpectCounts(DryRun("needle_smollm2_gpu.yaml", ""), 9 * 3, 8 * 10);
}

TEST(PaperConfigsTest, PlaceholderModelPathIsAConfigError) {
  const auto result = testing::RunCommand(ShellQuote(testing::KvbenchExe()) + " run " +
                                          ShellQuote(Config("needle_ruler_llama31.yaml").string()) + " --dry-run 2>&1");
  EXPECT_EQ(result.exit_code, 2) << result.output;
  EXPECT_NE(result.output.find("model.path"), std::string::npos) << result.output;
}

}  // namespace
}  // namespace kvb
