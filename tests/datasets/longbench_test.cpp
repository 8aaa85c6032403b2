// LongBench prompts against Python's str.format on the real records, truncation
// token counts, profiles, and errors naming the file and line.
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "datasets/dataset.h"
#include "datasets/model_prompt_context.h"
#include "datasets/prompt_builder.h"
#include "tests/common/test_env.h"
#include "tests/datasets/fake_tokenizer.h"
#include "util/error.h"
#include "util/file.h"

namespace kvb {
namespace {

namespace fs = std::filesystem;
using testing::FakeTokenizer;

YAML::Node Options(const fs::path& data, const fs::path& prompts, const std::string& extra) {
  return YAML::Load(StrCat("data_dir: '", data.string(), "'\nprompts: '", prompts.string(), "'\n", extra));
}

constexpr int kRecordsPerDataset = 20;

TEST(LongBench, PromptsEqualPythonStrFormat) {
  KVB_REQUIRE_SHARED(data, "data/longbench");
  KVB_REQUIRE_SHARED(prompts, "spec/data/longbench-prompts.json");
  FakeTokenizer tokenizer;
  const PromptContext context{&tokenizer, nullptr, 1'000'000};
  for (const std::string task : {"multi_news", "multifieldqa_zh"}) {
    const fs::path out = testing::TempDir("longbench_prompts") / (task + ".json");
    const auto run = testing::RunCommand(StrCat(
        testing::PythonExe(), " ", testing::ShellQuote((testing::SourceDir() / "tests/datasets/python/longbench_prompts.py").string()),
        " ", testing::ShellQuote(prompts.string()), " ", testing::ShellQuote(data.string()), " ", task, " ",
        kRecordsPerDataset, " ", testing::ShellQuote(out.string())));
    ASSERT_EQ(run.exit_code, 0) << run.output;
    const auto expected = nlohmann::json::parse(ReadFile(out));
    ASSERT_EQ(expected.size(), static_cast<std::size_t>(kRecordsPerDataset));

    auto dataset = CreateDataset("longbench", Options(data, prompts, StrCat("datasets: [", task, "]\nlimit: ",
                                                                            kRecordsPerDataset)));
    ASSERT_EQ(dataset->size(), static_cast<SampleIndex>(kRecordsPerDataset));
    for (SampleIndex i = 0; i < dataset->size(); ++i) {
      const Sample sample = dataset->Build(i, context);
      ASSERT_EQ(sample.prompt, expected[i].get<std::string>()) << task << " record " << i;
      EXPECT_EQ(sample.prompt_ids.size(), tokenizer.Encode(sample.prompt, true).size());
      EXPECT_EQ(sample.metadata.task, task);
      EXPECT_FALSE(sample.scoring.references.empty());
    }
    const Sample first = dataset->Build(0, context);
    EXPECT_EQ(first.scoring.metric, task == "multi_news" ? "rouge_score" : "qa_f1_zh_score");
    EXPECT_EQ(first.generation.max_new_tokens, task == "multi_news" ? 512 : 64);
    EXPECT_EQ(first.metadata.template_set.rfind("longbench-official:", 0), 0u) << first.metadata.template_set;
  }
}

TEST(LongBench, Llama2InstWrapperEqualsPython) {
  KVB_REQUIRE_SHARED(data, "data/longbench");
  KVB_REQUIRE_SHARED(prompts, "spec/data/longbench-prompts.json");
  FakeTokenizer tokenizer;
  const PromptContext context{&tokenizer, nullptr, 1'000'000};
  for (const auto& [profile, form] : std::vector<std::pair<std::string, std::string>>{
           {"longbench", "official"}, {"snapkv", "official"}, {"pyramidkv", "kvrepos"}, {"headkv", "kvrepos"}}) {
    for (const std::string task : {"multi_news", "multifieldqa_zh"}) {
      const fs::path out = testing::TempDir("longbench_llama2") / (task + ".json");
      const auto run = testing::RunCommand(StrCat(
          testing::PythonExe(), " ", testing::ShellQuote((testing::SourceDir() / "tests/datasets/python/longbench_prompts.py").string()),
          " ", testing::ShellQuote(prompts.string()), " ", testing::ShellQuote(data.string()), " ", task, " 5 ",
          testing::ShellQuote(out.string()), " ", form));
      ASSERT_EQ(run.exit_code, 0) << run.output;
      const auto expected = nlohmann::json::parse(ReadFile(out));
      auto dataset = CreateDataset("longbench", Options(data, prompts, StrCat("datasets: [", task, "]\nlimit: 5\nprofile: ",
                                                                              profile, "\nllama2_inst: true\n")));
      for (SampleIndex i = 0; i < dataset->size(); ++i) {
        const Sample sample = dataset->Build(i, context);
        ASSERT_EQ(sample.prompt, expected[i].get<std::string>()) << profile << " " << task << " record " << i;
        EXPECT_EQ(sample.prompt.rfind(form == "official" ? "[INST]" : "[INST] ", 0), 0u);
        EXPECT_EQ(sample.prompt_ids, tokenizer.Encode(sample.prompt, true));  // BOS added, as pred.py
      }
    }
  }
}

TEST(LongBench, TruncationKeepsExactlyTheFirstAndLastHalves) {
  KVB_REQUIRE_SHARED(data, "data/longbench");
  KVB_REQUIRE_SHARED(prompts, "spec/data/longbench-prompts.json");
  FakeTokenizer tokenizer;
  const PromptContext context{&tokenizer, nullptr, 4000};
  auto dataset = CreateDataset("longbench", Options(data, prompts, "datasets: [multi_news]\nlimit: 5\nmax_length: 3001\n"));
  auto untruncated = CreateDataset("longbench", Options(data, prompts, "datasets: [multi_news]\nlimit: 5\n"));
  const PromptContext huge{&tokenizer, nullptr, 1'000'000};
  for (SampleIndex i = 0; i < dataset->size(); ++i) {
    const std::string full = untruncated->Build(i, huge).prompt;
    const TokenIds full_ids = tokenizer.Encode(full, true);
    ASSERT_GT(full_ids.size(), 3001u) << "record " << i << " is too short for this test";
    const Sample sample = dataset->Build(i, context);
    // half = 1500: BOS + 1499 code points from the start, 1500 from the end.
    const std::u32string cps = DecodeUtf8(full);
    const std::string expected = EncodeUtf8(cps.substr(0, 1499)) + EncodeUtf8(cps.substr(cps.size() - 1500));
    EXPECT_EQ(sample.prompt, expected);
    EXPECT_EQ(sample.prompt_ids.size(), 3000u);  // BOS + 2999 text tokens
  }
}

TEST(LongBench, ProfilesDecideChatAndStops) {
  KVB_REQUIRE_SHARED(data, "data/longbench");
  KVB_REQUIRE_SHARED(prompts, "spec/data/longbench-prompts.json");
  FakeTokenizer tokenizer;
  const PromptContext context{&tokenizer, [](std::string_view t) { return "<s>[U]" + std::string(t) + "[A]"; },
                              1'000'000};
  auto official = CreateDataset("longbench", Options(data, prompts, "datasets: [multi_news]\nlimit: 1\n"));
  const Sample wrapped = official->Build(0, context);
  EXPECT_EQ(wrapped.prompt.rfind("<s>[U]You are given", 0), 0u);
  EXPECT_EQ(wrapped.prompt_ids[1], static_cast<TokenId>('[') + FakeTokenizer::kFirstTextId);  // one BOS
  EXPECT_EQ(wrapped.generation.min_new_tokens, 0);

  auto pyramid = CreateDataset("longbench", Options(data, prompts, "datasets: [multi_news]\nlimit: 1\nprofile: pyramidkv\n"));
  const Sample raw = pyramid->Build(0, context);
  EXPECT_EQ(raw.prompt.rfind("You are given", 0), 0u);
  EXPECT_EQ(raw.generation.min_new_tokens, 1);
  EXPECT_EQ(raw.metadata.profile, "pyramidkv");
}

TEST(LongBench, TooSmallContextIsAnErrorBeforeGeneration) {
  KVB_REQUIRE_SHARED(data, "data/longbench");
  KVB_REQUIRE_SHARED(prompts, "spec/data/longbench-prompts.json");
  FakeTokenizer tokenizer;
  const PromptContext context{&tokenizer, nullptr, 400};
  auto dataset = CreateDataset("longbench", Options(data, prompts, "datasets: [multi_news]\nlimit: 1\n"));
  EXPECT_THROW(dataset->CheckFits(context), Error);
  auto fixed = CreateDataset("longbench", Options(data, prompts, "datasets: [multi_news]\nlimit: 1\nmax_length: 1000\n"));
  try {
    fixed->Build(0, context);
    FAIL() << "expected an Error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("does not fit the model's context of 400"), std::string::npos) << e.what();
  }
}

TEST(LongBench, MissingFileAndBadRecordsNameFileAndLine) {
  KVB_REQUIRE_SHARED(prompts, "spec/data/longbench-prompts.json");
  const fs::path dir = testing::TempDir("longbench_bad");
  try {
    CreateDataset("longbench", Options(dir, prompts, "datasets: [qasper]\n"));
    FAIL() << "expected an Error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("qasper.jsonl"), std::string::npos) << e.what();
  }
  {
    std::ofstream(dir / "qasper.jsonl") << R"({"input": "q", "context": "c", "answers": ["a"]})" "\n"
                                        << R"({"input": 3, "context": "c", "answers": ["a"]})" "\n";
  }
  try {
    CreateDataset("longbench", Options(dir, prompts, "datasets: [qasper]\n"));
    FAIL() << "expected an Error";
  } catch (const Error& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("qasper.jsonl:2: field 'input' must be a string"), std::string::npos) << message;
  }
  {
    std::ofstream(dir / "qasper.jsonl") << R"({"input": "q", "context": "c"})" "\n";
  }
  try {
    CreateDataset("longbench", Options(dir, prompts, "datasets: [qasper]\n"));
    FAIL() << "expected an Error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("qasper.jsonl:1: field 'answers' is missing"), std::string::npos)
        << e.what();
  }
}

}  // namespace
}  // namespace kvb

namespace kvb {
namespace {

// Real tokenizers and chat templates against the same steps in Python/transformers
// (one Python run per tokenizer: loading transformers dominates the time).
void ExpectTokenizedParity(const std::string& tokenizer_name) {
  KVB_REQUIRE_SHARED(data, "data/longbench");
  KVB_REQUIRE_SHARED(prompts, "spec/data/longbench-prompts.json");
  KVB_REQUIRE_SHARED(tokenizer_dir, "tokenizers/" + tokenizer_name);
  constexpr int kRecords = 3;
  const std::vector<std::pair<std::string, int>> tasks = {{"multi_news", 1500}, {"multifieldqa_zh", 1200}};
  const ModelPromptResources model = LoadModelPromptResources(tokenizer_dir, true, 100000);
  const PromptContext context = model.Context();
  const fs::path out = testing::TempDir("longbench_tokenized") / (tokenizer_name + ".json");
  const auto run = testing::RunCommand(StrCat(
      testing::PythonExe(), " ",
      testing::ShellQuote((testing::SourceDir() / "tests/datasets/python/longbench_tokenized.py").string()), " ",
      testing::ShellQuote(tokenizer_dir.string()), " ", testing::ShellQuote(prompts.string()), " ",
      testing::ShellQuote(data.string()), " multi_news:1500,multifieldqa_zh:1200 ", kRecords, " ",
      context.chat ? 1 : 0, " ", testing::ShellQuote(out.string())));
  ASSERT_EQ(run.exit_code, 0) << run.output;
  const auto expected = nlohmann::json::parse(ReadFile(out));
  for (const auto& [task, max_length] : tasks) {
    auto dataset = CreateDataset("longbench", Options(data, prompts, StrCat("datasets: [", task, "]\nlimit: ", kRecords,
                                                                            "\nmax_length: ", max_length, "\n")));
    ASSERT_EQ(dataset->size(), static_cast<SampleIndex>(kRecords));
    for (SampleIndex i = 0; i < dataset->size(); ++i) {
      const Sample sample = dataset->Build(i, context);
      const auto& want = expected[task][i];
      EXPECT_EQ(sample.prompt, want["prompt"].get<std::string>()) << tokenizer_name << " " << task << " " << i;
      EXPECT_EQ(sample.prompt_ids, want["ids"].get<TokenIds>()) << tokenizer_name << " " << task << " " << i;
    }
  }
}

TEST(LongBenchTokenized, Qwen3WithChatTemplateMatchesTransformers) { ExpectTokenizedParity("qwen3"); }

TEST(LongBenchTokenized, Llama2WithoutChatTemplateMatchesTransformers) { ExpectTokenizedParity("llama2"); }

}  // namespace
}  // namespace kvb

namespace kvb {
namespace {

TEST(LongBench, LongBenchEReadsTheEFilesAndKeepsTheLengthField) {
  KVB_REQUIRE_SHARED(prompts, "spec/data/longbench-prompts.json");
  const fs::path dir = testing::TempDir("longbench_e");
  {
    std::ofstream(dir / "samsum_e.jsonl")
        << R"({"input": "Dialogue: A: hi\nSummary: ", "context": "Dialogue: B: yo\nSummary: greeting", "answers": ["A says hi."], "length": 4321, "all_classes": null, "_id": "x1"})"
        << "\n";
  }
  auto dataset = CreateDataset("longbench", Options(dir, prompts, "e: true\ndatasets: [samsum]\n"));
  FakeTokenizer tokenizer;
  const Sample sample = dataset->Build(0, PromptContext{&tokenizer, nullptr, 100000});
  EXPECT_EQ(sample.id, "samsum/x1");
  EXPECT_EQ(sample.metadata.length, 4321);
  EXPECT_EQ(sample.generation.stop_strings, Strings{"\n"});
  EXPECT_EQ(sample.generation.min_new_tokens, 1);
  EXPECT_EQ(sample.scoring.postprocess, PostProcess::kFirstLine);
  EXPECT_THROW(CreateDataset("longbench", Options(dir, prompts, "e: true\ndatasets: [qasper]\n")), Error);
}

}  // namespace
}  // namespace kvb
