// BABILong JSONL prompts against Python's assembly; the bAbI generator's stories
// are consistent and its facts are spread through a haystack at the target length.
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <set>

#include "datasets/babi_story.h"
#include "datasets/dataset.h"
#include "model/tokenizer/tokenizer.h"
#include "tests/common/test_env.h"
#include "tests/datasets/fake_tokenizer.h"
#include "util/error.h"
#include "util/file.h"

namespace kvb {
namespace {

namespace fs = std::filesystem;
using testing::FakeTokenizer;

constexpr int kPerTask = 10;

TEST(Babilong, PromptsEqualPythonAssembly) {
  KVB_REQUIRE_SHARED(data, "data/babilong");
  KVB_REQUIRE_SHARED(prompts, "spec/data/babilong-prompts.json");
  FakeTokenizer tokenizer;
  const PromptContext context{&tokenizer, nullptr, 1'000'000};
  auto dataset = CreateDataset("babilong", YAML::Load(StrCat("data_dir: '", data.string(), "'\nprompts: '",
                                                             prompts.string(), "'\nsplits: [1k]\nlimit: ", kPerTask, "\n")));
  ASSERT_EQ(dataset->size(), 5u * kPerTask);
  for (int t = 0; t < 5; ++t) {
    const std::string task = StrCat("qa", t + 1);
    const fs::path out = testing::TempDir("babilong_prompts") / (task + ".json");
    const auto run = testing::RunCommand(StrCat(
        testing::PythonExe(), " ",
        testing::ShellQuote((testing::SourceDir() / "tests/datasets/python/babilong_prompts.py").string()), " ",
        testing::ShellQuote(prompts.string()), " ", testing::ShellQuote((data / "1k.jsonl").string()), " ", task, " ",
        kPerTask, " ", testing::ShellQuote(out.string())));
    ASSERT_EQ(run.exit_code, 0) << run.output;
    const auto expected = nlohmann::json::parse(ReadFile(out));
    ASSERT_EQ(expected.size(), static_cast<std::size_t>(kPerTask));
    for (int i = 0; i < kPerTask; ++i) {
      const Sample sample = dataset->Build(t * kPerTask + i, context);
      ASSERT_EQ(sample.metadata.task, task);
      EXPECT_EQ(sample.prompt, expected[i]["prompt"].get<std::string>()) << task << " " << i;
      EXPECT_EQ(sample.scoring.references, Strings{expected[i]["target"].get<std::string>()});
      EXPECT_EQ(sample.scoring.question, expected[i]["question"].get<std::string>());
      EXPECT_EQ(sample.scoring.metric, "babilong_qa");
      EXPECT_EQ(sample.generation.max_new_tokens, 15);
      EXPECT_EQ(sample.metadata.length, 1000);
    }
  }
}

TEST(Babilong, ChatWrappedPromptsAreEncodedWithoutAddedSpecials) {
  KVB_REQUIRE_SHARED(data, "data/babilong");
  FakeTokenizer tokenizer;
  const PromptContext context{&tokenizer, [](std::string_view t) { return "<s>[U]" + std::string(t) + "[A]"; }, 100000};
  auto dataset = CreateDataset("babilong", YAML::Load(StrCat("data_dir: '", data.string(), "'\nsplits: [0k]\nlimit: 1\n")));
  const Sample sample = dataset->Build(0, context);
  EXPECT_EQ(sample.prompt_ids, tokenizer.Encode(sample.prompt, false));
  EXPECT_EQ(sample.metadata.template_set, "kvbench-babilong-1");
}

TEST(Babilong, BadRecordNamesFileAndLine) {
  const fs::path dir = testing::TempDir("babilong_bad");
  {
    std::ofstream(dir / "0k.jsonl") << R"({"input": "a", "question": "q", "target": "t", "task": "qa1"})" "\n"
                                    << R"({"input": "a", "question": "q", "task": "qa1"})" "\n";
  }
  try {
    CreateDataset("babilong", YAML::Load(StrCat("data_dir: '", dir.string(), "'\n")));
    FAIL() << "expected an Error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("0k.jsonl:2: field 'target' is missing"), std::string::npos) << e.what();
  }
}

// Replays a qa1/qa2 story to check its answer from the facts alone.
TEST(BabiStory, AnswersFollowFromTheFacts) {
  for (std::uint64_t seed = 0; seed < 200; ++seed) {
    Rng rng(seed);
    const BabiStory qa1 = GenerateBabiStory("qa1", rng);
    const std::string actor = qa1.question.substr(9, qa1.question.size() - 10);  // "Where is X?"
    std::string last;
    for (const auto& fact : qa1.facts)
      if (fact.rfind(actor + " ", 0) == 0) last = fact.substr(fact.rfind(' ') + 1, fact.size() - fact.rfind(' ') - 2);
    EXPECT_EQ(qa1.answer, last) << "seed " << seed;
    EXPECT_LE(qa1.facts.size(), 10u);
    EXPECT_EQ(qa1.facts.size() % 2, 0u);
    for (const char* task : {"qa2", "qa3", "qa4", "qa5"}) {
      const BabiStory story = GenerateBabiStory(task, rng);
      EXPECT_FALSE(story.facts.empty()) << task;
      EXPECT_FALSE(story.answer.empty()) << task;
      for (const auto& fact : story.facts) EXPECT_EQ(fact.back(), '.') << task << ": " << fact;
    }
    const BabiStory qa4 = GenerateBabiStory("qa4", rng);
    EXPECT_EQ(qa4.facts.size(), 2u);
  }
}

TEST(BabilongGenerated, FactsSpreadThroughAHaystackAtTheTargetLength) {
  KVB_REQUIRE_SHARED(dir, "tokenizers/llama3");
  KVB_REQUIRE_SHARED(essays, "data/pg_essays");
  const auto tokenizer = Tokenizer::FromDirectory(dir);
  const PromptContext context{tokenizer.get(), nullptr, 8192};
  auto dataset = CreateDataset("babilong_generated", YAML::Load(StrCat("lengths: [0, 2000]\nnum_samples: 2\nhaystack: '",
                                                                       essays.string(), "'\n")));
  ASSERT_EQ(dataset->size(), 20u);
  dataset->CheckFits(context);
  for (SampleIndex i = 0; i < dataset->size(); ++i) {
    const Sample sample = dataset->Build(i, context);
    const auto tokens = static_cast<TokenCount>(sample.prompt_ids.size());
    if (sample.metadata.length == 0) {
      EXPECT_LT(tokens, 1000) << sample.id;
    } else {
      EXPECT_GT(tokens, 1700) << sample.id;  // 2000 - 300 reserve + prompt text
      EXPECT_LT(tokens, 2300) << sample.id;
    }
    EXPECT_NE(sample.prompt.find(sample.scoring.question), std::string::npos);
    EXPECT_EQ(sample.metadata.template_set.rfind("kvbench-babilong-1+kvbench-babi-generator-1", 0), 0u);
  }
  auto again = CreateDataset("babilong_generated", YAML::Load(StrCat("lengths: [0, 2000]\nnum_samples: 2\nhaystack: '",
                                                                     essays.string(), "'\n")));
  EXPECT_EQ(again->Build(13, context).prompt, dataset->Build(13, context).prompt);
}

}  // namespace
}  // namespace kvb
