// The methods part through the kvbench CLI, in process: this test binary links the
// harness objects (KVB_HARNESS_LINK, everything kvbench links but main.cpp) and calls
// kvb::RunCli, so a method registered in this file is a method of that `kvbench`.
//  - a toy method registered here runs through `kvbench generate` and `kvbench methods`;
//  - user errors: unknown method (did you mean), budget <= window, a head-score file of
//    the wrong shape;
//  - `kvbench head-scores` on TinyStories: the file loads into headkv (shape matches)
//    and two runs write the same bytes.
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <fstream>
#include <sstream>

#include "harness/command.h"
#include "methods/head_scores.h"
#include "methods/registry.h"
#include "model/decoder.h"
#include "tests/common/test_env.h"
#include "util/error.h"

namespace kvb {
namespace {

// Keeps the even prompt positions, at most `budget` of them: a method defined outside methods/.
class KeepEvenToy : public EvictionMethod {
 public:
  static constexpr const char kName[] = "keep_even_toy";
  static constexpr const char kSummary[] = "test-only: keeps even prompt positions";
  static void DeclareParams(ParamSchema& schema) { schema.Int("stride", 2, 1, 64, "keep every stride-th position"); }
  explicit KeepEvenToy(const ParamValues& params) : stride_(params.GetInt("stride")) {}

  KeptPositions SelectPrefill(const LayerView& view) override {
    std::vector<int64_t> positions;
    for (int64_t p = 0; p < view.prompt_length && static_cast<int64_t>(positions.size()) < view.budget; p += stride_)
      positions.push_back(p);
    KeptPositions kept;
    kept.per_segment.assign(view.shape.num_kv_heads, positions);
    return kept;
  }

 private:
  int64_t stride_;
};
KVB_REGISTER_METHOD(KeepEvenToy);

struct CliResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

CliResult Kvbench(std::vector<std::string> args) {
  args.insert(args.begin(), "kvbench");
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  ::testing::internal::CaptureStdout();
  ::testing::internal::CaptureStderr();
  CliResult result;
  result.exit_code = RunCli(static_cast<int>(argv.size()), argv.data());
  result.out = ::testing::internal::GetCapturedStdout();
  result.err = ::testing::internal::GetCapturedStderr();
  return result;
}

std::string ReadAll(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// A prompt long enough that every budget below compresses it.
const std::string kLongPrompt = [] {
  std::string text;
  for (int i = 0; i < 12; ++i) text += "Tom had a red ball. He played with it in the park every day. ";
  return text;
}();

std::vector<std::string> GenerateArgs(const std::filesystem::path& model, std::vector<std::string> extra) {
  std::vector<std::string> args = {"generate", "--model", model.string(), "--prompt", kLongPrompt, "--device", "cpu",
                                   "--chat-template", "none", "--max-new-tokens", "4"};
  args.insert(args.end(), extra.begin(), extra.end());
  return args;
}

TEST(MethodsCliTest, ToyMethodRunsThroughGenerate) {
  KVB_REQUIRE_SHARED(model, "models/tinystories-656K");
  const auto dump = testing::TempDir("methods_cli_toy") / "kept.json";
  const CliResult run =
      Kvbench(GenerateArgs(model, {"--method", "keep_even_toy", "--budget", "10", "--set", "stride=3",
                                   "--dump-kept", dump.string()}));
  ASSERT_EQ(run.exit_code, 0) << run.out << run.err;
  EXPECT_NE(run.out.find("--- keep_even_toy, budget 10"), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("layer 1: prompt tokens kept 40 over 4 segments"), std::string::npos) << run.out;
  const YAML::Node kept = YAML::LoadFile(dump.string());
  EXPECT_EQ(kept["method"].as<std::string>(), "keep_even_toy");
  const auto positions = kept["layers"][0]["segments"][0].as<std::vector<int64_t>>();
  EXPECT_EQ(positions, (std::vector<int64_t>{0, 3, 6, 9, 12, 15, 18, 21, 24, 27}));

  const CliResult listing = Kvbench({"methods"});
  ASSERT_EQ(listing.exit_code, 0) << listing.err;
  EXPECT_NE(listing.out.find("keep_even_toy"), std::string::npos) << listing.out;
  EXPECT_NE(listing.out.find("stride"), std::string::npos) << listing.out;
}

TEST(MethodsCliTest, UnknownMethodSuggestsTheNearestName) {
  KVB_REQUIRE_SHARED(model, "models/tinystories-656K");
  const CliResult run = Kvbench(GenerateArgs(model, {"--method", "snapvk", "--budget", "64"}));
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_NE(run.err.find("snapvk"), std::string::npos) << run.err;
  EXPECT_NE(run.err.find("did you mean 'snapkv'"), std::string::npos) << run.err;
}

TEST(MethodsCliTest, BudgetNotAboveTheWindowIsAConfigError) {
  KVB_REQUIRE_SHARED(model, "models/tinystories-656K");
  const CliResult run = Kvbench(GenerateArgs(model, {"--method", "snapkv", "--budget", "16", "--set", "window=16"}));
  EXPECT_EQ(run.exit_code, 2) << run.out << run.err;
  EXPECT_NE(run.err.find("window"), std::string::npos) << run.err;
  EXPECT_NE(run.err.find("16"), std::string::npos) << run.err;
}

TEST(MethodsCliTest, HeadScoreFileOfAnotherModelIsAnError) {
  KVB_REQUIRE_SHARED(model, "models/tinystories-656K");
  KVB_REQUIRE_SHARED(scores, "head_scores/headkv_Meta-Llama-3-8B-Instruct_retrieval_heads.json");
  const CliResult run =
      Kvbench(GenerateArgs(model, {"--method", "headkv", "--budget", "64", "--set", "heads=" + scores.string()}));
  EXPECT_EQ(run.exit_code, 1) << run.out << run.err;
  EXPECT_NE(run.err.find(scores.string()), std::string::npos) << run.err;
  EXPECT_NE(run.err.find("32 layers x 32 heads, the model has 2 x 8"), std::string::npos) << run.err;
}

std::vector<std::string> HeadScoreArgs(const std::filesystem::path& model, const std::string& kind,
                                       const std::filesystem::path& out, const std::string& min_f1) {
  return {"head-scores", "--model", model.string(), "--kind", kind, "-o", out.string(), "--lengths", "120",
          "--lengths", "300", "--depths", "2", "--max-new-tokens", "3", "--min-f1", min_f1, "--device", "cpu"};
}

TEST(MethodsCliTest, HeadScoresFileLoadsIntoHeadKvAndIsDeterministic) {
  KVB_REQUIRE_SHARED(model, "models/tinystories-656K");
  const auto dir = testing::TempDir("methods_cli_head_scores");
  const CliResult first = Kvbench(HeadScoreArgs(model, "reason", dir / "a.json", "-1"));
  ASSERT_EQ(first.exit_code, 0) << first.out << first.err;
  EXPECT_NE(first.out.find("2 layers x 8 heads, 12 of 12 instances kept"), std::string::npos) << first.out;
  const CliResult second = Kvbench(HeadScoreArgs(model, "reason", dir / "b.json", "-1"));
  ASSERT_EQ(second.exit_code, 0) << second.err;
  EXPECT_EQ(ReadAll(dir / "a.json"), ReadAll(dir / "b.json"));

  const HeadImportance importance = LoadHeadImportance((dir / "a.json").string());
  EXPECT_EQ(importance.num_layers, 2);
  EXPECT_EQ(importance.num_heads, 8);
  double total = 0;
  for (double m : importance.mean) total += m;
  EXPECT_GT(total, 0.0) << "reason scores add attention weights inside the needle";

  // headkv runs on it, on the model it was computed for.
  const CliResult headkv = Kvbench(
      GenerateArgs(model, {"--method", "headkv", "--budget", "48", "--set", "heads=" + (dir / "a.json").string()}));
  EXPECT_EQ(headkv.exit_code, 0) << headkv.out << headkv.err;
  EXPECT_NE(headkv.out.find("--- headkv, budget 48"), std::string::npos) << headkv.out;
}

TEST(MethodsCliTest, HeadScoresWithNoAcceptedInstanceWritesNothing) {
  KVB_REQUIRE_SHARED(model, "models/tinystories-656K");
  const auto out = testing::TempDir("methods_cli_head_scores_none") / "none.json";
  const CliResult run = Kvbench(HeadScoreArgs(model, "copy", out, "100"));  // F1 > 100 never holds
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_NE(run.err.find("none of 12 instances"), std::string::npos) << run.err;
  EXPECT_FALSE(std::filesystem::exists(out));
}

}  // namespace
}  // namespace kvb
