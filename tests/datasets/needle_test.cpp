// Needle grid, insertion at a sentence boundary, token budget, profiles.
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include "datasets/dataset.h"
#include "model/tokenizer/tokenizer.h"
#include "tests/common/test_env.h"
#include "tests/datasets/fake_tokenizer.h"
#include "util/error.h"

namespace kvb {
namespace {

using testing::FakeTokenizer;

constexpr const char* kNeedle = "\nThe magic word is persimmon.\n";

std::unique_ptr<Dataset> MakeNeedle(const std::string& extra) {
  return CreateDataset("needle", YAML::Load(StrCat("needle: \"\\nThe magic word is persimmon.\\n\"\n"
                                                   "question: What is the magic word?\n"
                                                   "answer: persimmon\n"
                                                   "template: \"<doc>{context}</doc> Q: {question} A:\"\n",
                                                   extra)));
}

std::string ContextOf(const Sample& sample) {
  const auto begin = sample.prompt.find("<doc>") + 5;
  return sample.prompt.substr(begin, sample.prompt.find("</doc>") - begin);
}

TEST(Needle, GridIsLengthsTimesNumpyDepths) {
  KVB_REQUIRE_SHARED(essays, "data/pg_essays");
  auto dataset = MakeNeedle(StrCat("haystack: '", essays.string(), "'\nlengths: {from: 1000, to: 3000, step: 1000}\n"));
  ASSERT_EQ(dataset->size(), 30u);
  FakeTokenizer tokenizer;
  const PromptContext context{&tokenizer, nullptr, 8192};
  const std::vector<double> numpy_depths = {0, 11, 22, 33, 44, 56, 67, 78, 89, 100};
  for (SampleIndex i = 0; i < 10; ++i) EXPECT_EQ(*dataset->Build(i, context).metadata.depth, numpy_depths[i]);
  EXPECT_EQ(dataset->Build(10, context).metadata.length, 2000);
  EXPECT_EQ(dataset->Build(13, context).id, "needle/len_2000_depth_3300");
}

TEST(Needle, InsertsAtASentenceBoundaryWithinTheBudget) {
  KVB_REQUIRE_SHARED(essays, "data/pg_essays");
  auto dataset = MakeNeedle(StrCat("haystack: '", essays.string(), "'\nlengths: [1500]\ndepths: [0, 37, 50, 100]\n"));
  FakeTokenizer tokenizer;
  const PromptContext context{&tokenizer, nullptr, 4096};
  for (SampleIndex i = 0; i < dataset->size(); ++i) {
    const Sample sample = dataset->Build(i, context);
    const std::string ctx = ContextOf(sample);
    // Fake tokenizer: one token per code point; budget = 1500 - 200 buffer.
    EXPECT_LE(tokenizer.Encode(ctx, false).size(), 1300u);
    const auto at = ctx.find(kNeedle);
    ASSERT_NE(at, std::string::npos) << "depth " << *sample.metadata.depth;
    const double depth = *sample.metadata.depth;
    if (depth == 0) EXPECT_EQ(at, 0u);
    if (depth == 100) EXPECT_EQ(at + std::string(kNeedle).size(), ctx.size());
    if (depth > 0 && depth < 100) {
      EXPECT_EQ(ctx[at - 1], '.') << "needle must follow a period";
      const double position = static_cast<double>(at) / static_cast<double>(ctx.size() - std::string(kNeedle).size());
      EXPECT_LE(position, depth / 100.0 + 1e-9);
      EXPECT_GT(position, depth / 100.0 - 0.1);  // moved left by at most a sentence or so
    }
    EXPECT_EQ(sample.scoring.references, (Strings{"persimmon"}));  // the answer words
    // The stored ROUGE-1 F compares against the whole needle sentence (spec §3).
    EXPECT_EQ(sample.scoring.extra_metrics, Strings{"needle_rouge1_f"});
    EXPECT_EQ(sample.scoring.ReferencesFor("needle_rouge1_f"), Strings{kNeedle});
    EXPECT_EQ(sample.scoring.ReferencesFor("needle_answer_recall"), (Strings{"persimmon"}));
    EXPECT_EQ(sample.generation.stop_strings, Strings{"\n"});
    EXPECT_EQ(sample.metadata.template_set.rfind("user-needle:", 0), 0u);
  }
  // Deterministic.
  EXPECT_EQ(dataset->Build(1, context).prompt, dataset->Build(1, context).prompt);
}

TEST(Needle, HeadKvProfileKeepsLiteralBosText) {
  KVB_REQUIRE_SHARED(essays, "data/pg_essays");
  auto dataset = MakeNeedle(StrCat("haystack: '", essays.string(), "'\nlengths: [1000]\ndepths: [50]\nprofile: headkv\n"));
  FakeTokenizer tokenizer;
  const Sample sample = dataset->Build(0, PromptContext{&tokenizer, nullptr, 4096});
  const std::string ctx = ContextOf(sample);
  EXPECT_EQ(ctx.rfind("<s>", 0), 0u);
  EXPECT_NE(ctx.find(std::string("<s>") + kNeedle), std::string::npos);
}

TEST(Needle, BuiltinHaystackAndOwnTemplatesNeedNothingDownloaded) {
  auto dataset = CreateDataset("needle", YAML::Load("lengths: [800]\ndepths: 3\n"));
  FakeTokenizer tokenizer;
  const PromptContext context{&tokenizer, nullptr, 2048};
  dataset->CheckFits(context);
  const Sample sample = dataset->Build(1, context);
  EXPECT_EQ(sample.metadata.template_set, "kvbench-needle-1");
  EXPECT_GT(sample.prompt_ids.size(), 600u);
  EXPECT_EQ(sample.scoring.metric, "needle_answer_recall");
  EXPECT_EQ(sample.scoring.extra_metrics, Strings{"needle_rouge1_f"});
  ASSERT_EQ(sample.scoring.ReferencesFor("needle_rouge1_f").size(), 1u);
  EXPECT_NE(sample.scoring.ReferencesFor("needle_rouge1_f")[0].find("lavender honey"), std::string::npos);
}

TEST(Needle, LengthAboveTheContextFailsUpFront) {
  auto dataset = CreateDataset("needle", YAML::Load("lengths: [1000, 5000]\n"));
  FakeTokenizer tokenizer;
  EXPECT_THROW(dataset->CheckFits(PromptContext{&tokenizer, nullptr, 4096}), Error);
  EXPECT_THROW(CreateDataset("needle", YAML::Load("depths: [120]\n")), ConfigError);
  EXPECT_THROW(CreateDataset("needle", YAML::Load("profile: snapkv\n")), ConfigError);
}

}  // namespace
}  // namespace kvb

namespace kvb {
namespace {

TEST(Needle, RealTokenizerInsertsAfterAPeriodToken) {
  KVB_REQUIRE_SHARED(dir, "tokenizers/llama3");
  KVB_REQUIRE_SHARED(essays, "data/pg_essays");
  const auto tokenizer = Tokenizer::FromDirectory(dir);
  auto dataset = MakeNeedle(StrCat("haystack: '", essays.string(), "'\nlengths: [2000, 4000]\ndepths: [25, 60]\n"));
  const PromptContext context{tokenizer.get(), nullptr, 8192};
  dataset->CheckFits(context);
  for (SampleIndex i = 0; i < dataset->size(); ++i) {
    const Sample sample = dataset->Build(i, context);
    const std::string ctx = ContextOf(sample);
    const auto at = ctx.find(kNeedle);
    ASSERT_NE(at, std::string::npos) << sample.id;
    EXPECT_EQ(ctx[at - 1], '.') << sample.id;
    const auto tokens = static_cast<std::int64_t>(tokenizer->Encode(ctx, false).size());
    EXPECT_LE(tokens, sample.metadata.length - 200 + 2) << sample.id;  // re-encoding may merge at the seams
    EXPECT_GE(tokens, sample.metadata.length - 200 - 5) << sample.id;
  }
}

}  // namespace
}  // namespace kvb
