// The dataset registry and option checking (STYLE P2, P13), and the prompt helpers.
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include "datasets/dataset.h"
#include "datasets/dataset_options.h"
#include "datasets/prompt_builder.h"
#include "tests/datasets/fake_tokenizer.h"
#include "util/error.h"

namespace kvb {
namespace {

std::string ErrorOf(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

TEST(DatasetRegistry, ListsTheBuiltInDatasets) {
  Strings names;
  for (const auto* spec : DatasetRegistry::Get().List()) names.push_back(spec->name);
  for (const char* expected : {"longbench"}) {
    EXPECT_NE(std::find(names.begin(), names.end(), expected), names.end()) << expected;
  }
}

TEST(DatasetRegistry, UnknownNameSuggestsTheNearest) {
  const std::string message = ErrorOf([] { CreateDataset("longbnch", YAML::Node()); });
  EXPECT_NE(message.find("unknown dataset 'longbnch'"), std::string::npos) << message;
  EXPECT_NE(message.find("did you mean 'longbench'"), std::string::npos) << message;
}

TEST(DatasetRegistry, UnknownOptionNamesKeyAndLine) {
  const YAML::Node node = YAML::Load("data_dir: /x\nprofle: snapkv\n");
  try {
    CreateDataset("longbench", node, "sweep.yaml");
    FAIL() << "expected a ConfigError";
  } catch (const ConfigError& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("sweep.yaml:line 2"), std::string::npos) << message;
    EXPECT_NE(message.find("unknown option 'profle'"), std::string::npos) << message;
    EXPECT_NE(message.find("did you mean 'profile'"), std::string::npos) << message;
  }
}

TEST(DatasetRegistry, DuplicateRegistrationAborts) {
  DatasetSpec spec{"longbench", "again", {}, nullptr};
  EXPECT_DEATH(DatasetRegistry::Get().Add(spec), "registered twice");
}

DatasetSpec RangeSpec() { return DatasetSpec{"toy", "", {{"lengths", "", "", ""}, {"n", "", "", ""}}, nullptr}; }

TEST(DatasetOptions, RangeIncludesTheEndLikeNpArange) {
  const YAML::Node node = YAML::Load("lengths: {from: 1000, to: 3000, step: 1000}\n");
  DatasetOptions options(RangeSpec(), node, "");
  EXPECT_EQ(options.IntRange("lengths", {}), (std::vector<std::int64_t>{1000, 2000, 3000}));
  const YAML::Node list = YAML::Load("lengths: [5, 7]\n");
  EXPECT_EQ(DatasetOptions(RangeSpec(), list, "").IntRange("lengths", {}), (std::vector<std::int64_t>{5, 7}));
}

TEST(DatasetOptions, WrongTypeNamesTheKey) {
  const YAML::Node node = YAML::Load("n: many\n");
  DatasetOptions options(RangeSpec(), node, "f.yaml");
  const std::string message = ErrorOf([&] { options.Int("n", 0); });
  EXPECT_NE(message.find("option 'n'"), std::string::npos) << message;
  EXPECT_NE(message.find("an integer"), std::string::npos) << message;
}

TEST(PyFormat, FillsNamedFieldsAndEscapes) {
  const FormatFields fields = {{"context", "C {input} }"}, {"input", "Q"}};
  EXPECT_EQ(PyFormat("a {context} b {input} {{x}}", fields, "t"), "a C {input} } b Q {x}");
  EXPECT_NE(ErrorOf([&] { PyFormat("{missing}", fields, "t"); }).find("'{missing}'"), std::string::npos);
  EXPECT_NE(ErrorOf([&] { PyFormat("a } b", fields, "t"); }).find("single '}'"), std::string::npos);
}

TEST(MiddleTruncate, KeepsFirstAndLastHalvesOfTheTokens) {
  testing::FakeTokenizer tokenizer;
  // 1 BOS + 10 text tokens = 11 > 6: keep ids[:3] = BOS a b, ids[8:] = h i j.
  EXPECT_EQ(MiddleTruncate(tokenizer, "abcdefghij", 6, true, true), "abhij");
  EXPECT_EQ(MiddleTruncate(tokenizer, "abcdefghij", 7, true, true), "abhij");  // half = 3
  EXPECT_EQ(MiddleTruncate(tokenizer, "abcdefghij", 11, true, true), "abcdefghij");
  EXPECT_EQ(MiddleTruncate(tokenizer, "abcdefghij", 6, true, false), "<s>abhij");
}

TEST(EncodePrompt, NoSecondBosWhenTheChatTemplateRendersOne) {
  testing::FakeTokenizer tokenizer;
  PromptContext context{&tokenizer, [](std::string_view t) { return "<s>[U]" + std::string(t) + "[A]"; }, 100};
  const std::string wrapped = WrapInChat(context, "hi");
  const TokenIds ids = EncodePrompt(context, wrapped, true);
  ASSERT_FALSE(ids.empty());
  EXPECT_EQ(ids[0], testing::FakeTokenizer::kBos);
  EXPECT_NE(ids[1], testing::FakeTokenizer::kBos);
  EXPECT_EQ(EncodePrompt(context, "hi", false).size(), 3u);
}

}  // namespace
}  // namespace kvb
