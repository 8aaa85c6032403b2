// `kvbench score` end to end: prediction files made from the real LongBench records
// (multi_news, multifieldqa_zh) scored by the built binary, and result.json compared
// byte for byte with tests/metrics/python/eval_reference.py (eval.py's scorer /
// scorer_e and json.dump layout); bad input fails with the line and writes nothing.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <random>

#include "tests/common/test_env.h"

namespace kvb {
namespace {

using Json = nlohmann::json;
namespace fs = std::filesystem;
using testing::ShellQuote;

std::string ReadAll(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// A window of `text` cut on code-point boundaries (UTF-8 continuation bytes skipped).
std::string Window(std::mt19937& rng, const std::string& text, std::size_t max_bytes) {
  if (text.empty()) return "";
  std::size_t begin = std::uniform_int_distribution<std::size_t>(0, text.size() - 1)(rng);
  std::size_t end = std::min(text.size(), begin + std::uniform_int_distribution<std::size_t>(0, max_bytes)(rng));
  auto is_continuation = [&](std::size_t i) { return i < text.size() && (static_cast<unsigned char>(text[i]) & 0xC0) == 0x80; };
  while (is_continuation(begin)) ++begin;
  while (is_continuation(end)) ++end;
  return begin < end ? text.substr(begin, end - begin) : "";
}

// Predictions for the first `count` records: the answer, pieces of it, of the context, or nothing.
fs::path WritePredictions(const fs::path& records, const fs::path& out, std::size_t count) {
  std::mt19937 rng(7);
  std::ifstream in(records);
  std::ofstream pred(out, std::ios::binary);
  std::string line;
  for (std::size_t i = 0; i < count && std::getline(in, line); ++i) {
    const Json r = Json::parse(line);
    const std::string answer = r["answers"][0].get<std::string>();
    std::string p;
    switch (i % 4) {
      case 0: p = answer; break;
      case 1: p = Window(rng, answer, 600); break;
      case 2: p = Window(rng, r["context"].get<std::string>(), 900); break;
      default: p = i % 8 == 3 ? "" : Window(rng, answer, 200) + " " + Window(rng, r["context"].get<std::string>(), 200);
    }
    const Json row = {{"pred", p}, {"answers", r["answers"]}, {"all_classes", r["all_classes"]}, {"length", r["length"]}};
    pred << row.dump() << "\n";
  }
  return out;
}

testing::CommandResult Kvbench(const std::string& args) {
  return testing::RunCommand(ShellQuote(testing::KvbenchExe()) + " " + args + " 2>&1");
}

void ExpectSameAsEvalPy(const std::string& dataset, const fs::path& records, bool longbench_e) {
  const auto dir = testing::TempDir("score_command_" + dataset + (longbench_e ? "_e" : ""));
  const fs::path pred = WritePredictions(records, dir / (dataset + ".jsonl"), 60);
  const fs::path ours = dir / "result.json", theirs = dir / "reference.json";
  const auto run = Kvbench("score " + ShellQuote(pred.string()) + (longbench_e ? " --e" : "") + " -o " +
                           ShellQuote(ours.string()));
  ASSERT_EQ(run.exit_code, 0) << run.output;
  const std::string script = (testing::SourceDir() / "tests/metrics/python/eval_reference.py").string();
  const auto ref = testing::RunCommand(ShellQuote(testing::PythonExe()) + " " + ShellQuote(script) + " " +
                                       ShellQuote(pred.string()) + " " + dataset + (longbench_e ? " e " : " plain ") +
                                       ShellQuote(theirs.string()) + " 2>&1");
  ASSERT_EQ(ref.exit_code, 0) << ref.output;
  EXPECT_EQ(ReadAll(ours), ReadAll(theirs)) << dataset;
  // A score that is 0 or 100 would hide rounding and aggregation mistakes.
  EXPECT_EQ(ReadAll(ours).find(": 0.0"), std::string::npos) << ReadAll(ours);
}

TEST(ScoreCommand, ResultJsonEqualsEvalPyOnRealRecords) {
  KVB_REQUIRE_SHARED(news, "data/longbench/multi_news.jsonl");
  KVB_REQUIRE_SHARED(zh, "data/longbench/multifieldqa_zh.jsonl");
  for (bool longbench_e : {false, true}) {
    ExpectSameAsEvalPy("multi_news", news, longbench_e);
    ExpectSameAsEvalPy("multifieldqa_zh", zh, longbench_e);
  }
}

TEST(ScoreCommand, BadLinesFailWithTheLineNumberAndWriteNothing) {
  const auto dir = testing::TempDir("score_command_bad");
  const std::string good = R"({"pred": "a cat", "answers": ["a cat"], "all_classes": null})";
  const std::vector<std::pair<std::string, std::string>> bad_lines = {
      {"invalid_utf8", R"({"pred": "caf)" + std::string("\xC3\x28") + R"(", "answers": ["x"], "all_classes": null})"},
      {"not_json", R"({"pred": "x", "answers": ["x"])"},
      {"no_answers", R"({"pred": "x", "all_classes": null})"}};
  for (const auto& [name, bad] : bad_lines) {
    const fs::path pred = dir / (name + ".jsonl"), result = dir / "result.json";
    std::ofstream(pred, std::ios::binary) << good << "\n" << good << "\n" << bad << "\n" << good << "\n";
    std::ofstream(result, std::ios::binary) << "previous result";
    const auto run = Kvbench("score " + ShellQuote(pred.string()) + " --dataset qasper -o " + ShellQuote(result.string()));
    EXPECT_NE(run.exit_code, 0) << name;
    EXPECT_NE(run.output.find(name + ".jsonl:3"), std::string::npos) << name << ": " << run.output;
    EXPECT_EQ(ReadAll(result), "previous result") << name;
    fs::remove(result);
    EXPECT_NE(Kvbench("score " + ShellQuote(pred.string()) + " --dataset qasper -o " + ShellQuote(result.string())).exit_code, 0);
    EXPECT_FALSE(fs::exists(result)) << name;
  }
}

}  // namespace
}  // namespace kvb
