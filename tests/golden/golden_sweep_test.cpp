// CI regression on small models (issue 8): tests/golden/sweep.yaml is re-run on each small
// model and its cells (run, dataset, metric -> 100 x mean) must equal the committed
// tests/golden/<model>.cells.csv, both ways, at tolerance 0, and every prediction must
// equal <model>.predictions.csv: CPU fp32 decoding is deterministic, so any move is a
// change someone made. Regenerate on purpose with
// tests/golden/regenerate.sh (README.md).
#include <gtest/gtest.h>

#include <filesystem>
#include <optional>
#include <string>

#include "tests/common/test_env.h"

namespace kvb {
namespace {

namespace fs = std::filesystem;
using testing::ShellQuote;

std::string Kvbench() { return ShellQuote(testing::KvbenchExe()); }
fs::path GoldenDir() { return testing::SourceDir() / "tests" / "golden"; }

// Runs the golden sweep on `model` and compares its cells with <name>.cells.csv.
void ExpectGoldenCells(const std::string& name, const fs::path& model) {
  const fs::path golden = GoldenDir() / (name + ".cells.csv");
  ASSERT_TRUE(fs::exists(golden)) << golden << " is missing: run tests/golden/regenerate.sh";
  const fs::path out = testing::TempDir("golden_" + name);
  const auto run = testing::RunCommand(Kvbench() + " run " + ShellQuote((GoldenDir() / "sweep.yaml").string()) +
                                       " --set model.path=" + ShellQuote(model.string()) +
                                       " --set output=" + ShellQuote(out.string()) + " 2>&1");
  ASSERT_EQ(run.exit_code, 0) << run.output;
  EXPECT_NE(run.output.find(" 0 failed"), std::string::npos) << run.output;
  const auto compare = testing::RunCommand(Kvbench() + " compare " + ShellQuote(golden.string()) + " " +
                                           ShellQuote(out.string()) + " --tolerance 0 --fail-on-improvement 2>&1");
  EXPECT_EQ(compare.exit_code, 0) << "scores moved on " << name << " (if meant: tests/golden/regenerate.sh)\n"
                                  << compare.output;
  // Stricter: every prediction, bit for bit (a changed answer can leave a mean unmoved,
  // e.g. a random model's 0 scores).
  const fs::path predictions = out / "predictions.csv";
  const auto exported = testing::RunCommand(Kvbench() + " cells --predictions " + ShellQuote(out.string()) +
                                            " -o " + ShellQuote(predictions.string()) + " 2>&1");
  ASSERT_EQ(exported.exit_code, 0) << exported.output;
  const fs::path golden_predictions = GoldenDir() / (name + ".predictions.csv");
  ASSERT_TRUE(fs::exists(golden_predictions)) << golden_predictions << " is missing: run tests/golden/regenerate.sh";
  const auto diff = testing::RunCommand("diff " + ShellQuote(golden_predictions.string()) + " " +
                                        ShellQuote(predictions.string()) + " 2>&1 | head -40");
  EXPECT_TRUE(diff.output.empty()) << "predictions changed on " << name
                                   << " (if meant: tests/golden/regenerate.sh)\n" << diff.output;
}

std::optional<fs::path> MakeRandomModel(const std::string& arch) {
  const fs::path dir = testing::TempDir("golden_model_" + arch) / "model";
  const auto made = testing::RunCommand(Kvbench() + " make-model --arch " + arch +
                                        " --preset tiny --seed 5 --dtype fp32 " + ShellQuote(dir.string()) + " 2>&1");
  EXPECT_EQ(made.exit_code, 0) << made.output;
  if (made.exit_code != 0) return std::nullopt;
  return dir;
}

TEST(GoldenSweepTest, TinyStories656K) {
  KVB_REQUIRE_SHARED(model, "models/tinystories-656K");
  ExpectGoldenCells("tinystories-656K", model);
}

TEST(GoldenSweepTest, SmolLM2_135M_Instruct) {
  const fs::path model = testing::SourceDir() / "models" / "SmolLM2-135M-Instruct";
  if (!fs::exists(model / "config.json")) GTEST_SKIP() << model << " missing (scripts/setup.sh makes it)";
  ExpectGoldenCells("SmolLM2-135M-Instruct", model);
}

class GoldenRandomModelTest : public ::testing::TestWithParam<std::string> {};

TEST_P(GoldenRandomModelTest, TinyRandomModel) {
  const auto model = MakeRandomModel(GetParam());
  ASSERT_TRUE(model);
  ExpectGoldenCells("random-" + GetParam(), *model);
}

INSTANTIATE_TEST_SUITE_P(Architectures, GoldenRandomModelTest,
                         ::testing::Values("llama", "mistral", "qwen2", "qwen3"));

}  // namespace
}  // namespace kvb
