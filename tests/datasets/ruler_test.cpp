// RULER: every task at a target length fits it closely, references are in the
// prompt, samples are deterministic per seed, qa needs its files.
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <fstream>

#include "datasets/dataset.h"
#include "model/tokenizer/tokenizer.h"
#include "tests/common/test_env.h"
#include "tests/datasets/fake_tokenizer.h"
#include "util/error.h"

namespace kvb {
namespace {

namespace fs = std::filesystem;
using testing::FakeTokenizer;

// Tiny SQuAD / HotpotQA files in the official layouts.
fs::path WriteQaFiles() {
  const fs::path dir = testing::TempDir("ruler_qa");
  std::ofstream squad(dir / "squad.json");
  squad << R"({"data": [)";
  for (int a = 0; a < 6; ++a) {
    squad << (a ? "," : "") << R"({"title": "t)" << a << R"(", "paragraphs": [)";
    for (int p = 0; p < 3; ++p) {
      squad << (p ? "," : "") << R"({"context": "Article )" << a << " paragraph " << p
            << R"( says the colour of lake )" << a << p << R"( is teal)" << a << p << R"(.", "qas": [)"
            << R"({"question": "What colour is lake )" << a << p << R"(?", "is_impossible": false, "answers": [{"text": "teal)"
            << a << p << R"("}]},)"
            << R"({"question": "Unanswerable?", "is_impossible": true, "answers": []}]})";
    }
    squad << "]}";
  }
  squad << "]}";
  std::ofstream hotpot(dir / "hotpot.json");
  hotpot << "[";
  for (int q = 0; q < 5; ++q) {
    hotpot << (q ? "," : "") << R"({"question": "Who built tower )" << q << R"(?", "answer": "Builder)" << q
           << R"(", "context": [["Tower )" << q << R"(", ["Tower )" << q << R"( was built by Builder)" << q
           << R"(. ", "It is tall."]], ["Filler )" << q << R"(", ["Nothing here."]]]})";
  }
  hotpot << "]";
  return dir;
}

std::unique_ptr<Dataset> MakeRuler(const std::string& options) { return CreateDataset("ruler", YAML::Load(options)); }

TEST(Ruler, EveryTaskFitsItsTargetLengthAndHoldsItsAnswers) {
  KVB_REQUIRE_SHARED(essays, "data/pg_essays");
  const fs::path qa = WriteQaFiles();
  auto dataset = MakeRuler(StrCat("lengths: [2048]\nnum_samples: 2\nhaystack: '", essays.string(), "'\nsquad: '",
                                  (qa / "squad.json").string(), "'\nhotpotqa: '", (qa / "hotpot.json").string(), "'\n"));
  ASSERT_EQ(dataset->size(), 26u);
  FakeTokenizer tokenizer;
  const PromptContext context{&tokenizer, nullptr, 4096};
  dataset->CheckFits(context);
  for (SampleIndex i = 0; i < dataset->size(); ++i) {
    const Sample sample = dataset->Build(i, context);
    const auto total = static_cast<TokenCount>(sample.prompt_ids.size()) + sample.generation.max_new_tokens;
    const std::string& task = sample.metadata.task;
    EXPECT_LE(total, 2048) << sample.id;
    // qa's tiny document pool runs out before the target; the rest fit closely.
    if (task != "qa_1" && task != "qa_2") EXPECT_GE(total, 2048 * 9 / 10) << sample.id;
    ASSERT_FALSE(sample.scoring.references.empty()) << sample.id;
    for (const auto& ref : sample.scoring.references) {
      EXPECT_NE(sample.prompt.find(ref), std::string::npos) << sample.id << " lacks " << ref;
    }
    EXPECT_EQ(sample.scoring.metric, task.rfind("qa_", 0) == 0 ? "string_match_part" : "string_match_all");
    EXPECT_EQ(sample.metadata.template_set.rfind("kvbench-ruler-1+", 0), 0u);
  }
  // Expected answer counts per task family.
  EXPECT_EQ(dataset->Build(6 * 2, context).scoring.references.size(), 4u);   // niah_multivalue
  EXPECT_EQ(dataset->Build(7 * 2, context).scoring.references.size(), 4u);   // niah_multiquery
  EXPECT_EQ(dataset->Build(8 * 2, context).scoring.references.size(), 5u);   // vt
  EXPECT_EQ(dataset->Build(9 * 2, context).scoring.references.size(), 10u);  // cwe
  EXPECT_EQ(dataset->Build(10 * 2, context).scoring.references.size(), 3u);  // fwe
}

TEST(Ruler, DeterministicPerSeed) {
  FakeTokenizer tokenizer;
  const PromptContext context{&tokenizer, nullptr, 8192};
  auto a = MakeRuler("tasks: [niah_single_1, vt, fwe]\nlengths: [2048]\nnum_samples: 3\n");
  auto b = MakeRuler("tasks: [niah_single_1, vt, fwe]\nlengths: [2048]\nnum_samples: 3\n");
  auto c = MakeRuler("tasks: [niah_single_1, vt, fwe]\nlengths: [2048]\nnum_samples: 3\nseed: 7\n");
  for (SampleIndex i = 0; i < a->size(); ++i) {
    EXPECT_EQ(a->Build(i, context).prompt, b->Build(i, context).prompt);
    EXPECT_NE(a->Build(i, context).prompt, c->Build(i, context).prompt);
  }
  // Building out of order gives the same sample (sharding, resume).
  auto d = MakeRuler("tasks: [niah_single_1, vt, fwe]\nlengths: [2048]\nnum_samples: 3\n");
  EXPECT_EQ(d->Build(5, context).prompt, a->Build(5, context).prompt);
}

TEST(Ruler, QaNeedsItsFilesAndUnknownTasksAreErrors) {
  try {
    MakeRuler("tasks: [qa_1]\n");
    FAIL() << "expected a ConfigError";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("SQuAD"), std::string::npos) << e.what();
  }
  EXPECT_THROW(MakeRuler("tasks: [qa_2]\n"), ConfigError);
  EXPECT_THROW(MakeRuler("tasks: [niah_single_9]\n"), ConfigError);
  FakeTokenizer tokenizer;
  EXPECT_THROW(MakeRuler("tasks: [vt]\nlengths: [8192]\n")->CheckFits(PromptContext{&tokenizer, nullptr, 4096}), Error);
}

TEST(Ruler, UserTemplateFileAppliesTheSingleNeedleRewrite) {
  KVB_REQUIRE_SHARED(templates, "spec/data/ruler-templates.json");
  auto dataset = MakeRuler(StrCat("tasks: [niah_single_1, niah_multivalue]\nlengths: [1024]\nnum_samples: 1\ntemplates: '",
                                  templates.string(), "'\n"));
  FakeTokenizer tokenizer;
  const PromptContext context{&tokenizer, nullptr, 4096};
  const Sample single = dataset->Build(0, context);
  EXPECT_EQ(single.metadata.template_set.rfind("ruler-templates:", 0), 0u);
  EXPECT_EQ(single.prompt.find("Some special magic"), std::string::npos);
  EXPECT_NE(single.prompt.find("special magic number for"), std::string::npos);
  const Sample multi = dataset->Build(1, context);
  EXPECT_NE(multi.prompt.find("special magic numbers for"), std::string::npos);
}

TEST(Ruler, FitsWithARealTokenizer) {
  KVB_REQUIRE_SHARED(dir, "tokenizers/llama3");
  KVB_REQUIRE_SHARED(essays, "data/pg_essays");
  const auto tokenizer = Tokenizer::FromDirectory(dir);
  const PromptContext context{tokenizer.get(), nullptr, 8192};
  auto dataset = MakeRuler(StrCat("tasks: [niah_single_2, vt, cwe]\nlengths: [4096]\nnum_samples: 1\nhaystack: '",
                                  essays.string(), "'\n"));
  for (SampleIndex i = 0; i < dataset->size(); ++i) {
    const Sample sample = dataset->Build(i, context);
    const auto total = static_cast<TokenCount>(sample.prompt_ids.size()) + sample.generation.max_new_tokens;
    EXPECT_LE(total, 4096) << sample.id;
    EXPECT_GE(total, 4096 * 95 / 100) << sample.id;
    EXPECT_EQ(sample.prompt_ids, tokenizer->Encode(sample.prompt, true));
  }
}

}  // namespace
}  // namespace kvb

namespace kvb {
namespace {

TEST(RulerJsonl, ReadsOfficialValidationFiles) {
  const fs::path root = testing::TempDir("ruler_jsonl") / "4096" / "data";
  fs::create_directories(root / "niah_single_1");
  std::ofstream(root / "niah_single_1" / "validation.jsonl")
      << R"({"index": 0, "input": "Some text with 1234567 in it.\nQuestion?", "outputs": ["1234567"], "length": 20, "answer_prefix": " The answer is"})" "\n"
      << R"({"index": 1, "input": "Other text", "outputs": ["42"], "length": 5})" "\n";
  std::ofstream(root / "qa_1.jsonl") << R"({"index": 7, "input": "Doc. Q", "outputs": ["a", "b"], "length": 5})" "\n";
  auto dataset = CreateDataset("ruler_jsonl", YAML::Load(StrCat("data_dir: '", root.string(), "'\n")));
  ASSERT_EQ(dataset->size(), 3u);
  FakeTokenizer tokenizer;
  const PromptContext context{&tokenizer, nullptr, 4096};
  const Sample first = dataset->Build(0, context);
  EXPECT_EQ(first.prompt, "Some text with 1234567 in it.\nQuestion? The answer is");
  EXPECT_EQ(first.metadata.length, 4096);
  EXPECT_EQ(first.generation.max_new_tokens, 128);
  EXPECT_EQ(dataset->Build(1, context).prompt, "Other text");
  const Sample qa = dataset->Build(2, context);
  EXPECT_EQ(qa.id, "ruler_jsonl/qa_1/7");
  EXPECT_EQ(qa.scoring.metric, "string_match_part");
  auto pyramid = CreateDataset("ruler_jsonl", YAML::Load(StrCat("data_dir: '", root.string(), "'\nprofile: pyramidkv\n")));
  EXPECT_EQ(pyramid->Build(2, context).scoring.metric, "string_match_all");
  EXPECT_EQ(pyramid->Build(2, context).generation.max_new_tokens, 64);
  EXPECT_THROW(CreateDataset("ruler_jsonl", YAML::Load(StrCat("data_dir: '", root.string(), "'\ntasks: [vt]\n"))), Error);
}

}  // namespace
}  // namespace kvb
