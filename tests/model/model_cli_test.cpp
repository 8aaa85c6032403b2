// End to end through the kvbench binary: make-model writes a checkpoint that transformers
// and tokenizers load and agree with; info describes it; generate runs it, with and
// without a method, and --dump-kept writes the kept positions.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "model/decoder.h"
#include "model/generation.h"
#include "tests/common/test_env.h"
#include "util/error.h"
#include "util/file.h"

namespace kvb {
namespace {

constexpr const char* kText = "the cat and the dog of it 123";

testing::CommandResult Kvbench(const std::string& args) {
  return testing::RunCommand(testing::ShellQuote(testing::KvbenchExe()) + " " + args + " 2>&1");
}

TEST(ModelCli, HelpListsSubcommandsAndUnknownOnesAreErrors) {
  const auto help = Kvbench("--help");
  ASSERT_EQ(help.exit_code, 0) << help.output;
  for (const char* command : {"generate", "tokenize", "make-model", "info", "convert"}) {
    EXPECT_NE(help.output.find(command), std::string::npos) << command << "\n" << help.output;
  }
  const auto unknown_command = Kvbench("make-modle out");
  EXPECT_NE(unknown_command.exit_code, 0) << unknown_command.output;
  EXPECT_NE(unknown_command.output.find("make-modle"), std::string::npos) << unknown_command.output;
  const auto unknown_flag = Kvbench("make-model --arch llama --colour red out");
  EXPECT_NE(unknown_flag.exit_code, 0) << unknown_flag.output;
  EXPECT_NE(unknown_flag.output.find("--colour"), std::string::npos) << unknown_flag.output;
  const auto bad_value = Kvbench("make-model --arch gpt2 out");
  EXPECT_NE(bad_value.exit_code, 0) << bad_value.output;
  EXPECT_NE(bad_value.output.find("gpt2"), std::string::npos) << bad_value.output;
}

TEST(ModelCli, MakeModelIsDeterministicPerSeed) {
  const auto root = testing::TempDir("cli_make_seed");
  auto make = [&](const std::string& name, int seed) {
    const auto dir = root / name;
    const auto made = Kvbench(StrCat("make-model --arch mistral --preset tiny --seed ", seed, " ",
                                     testing::ShellQuote(dir.string())));
    EXPECT_EQ(made.exit_code, 0) << made.output;
    return ReadFile(dir / "model.safetensors");
  };
  const std::string first = make("a", 11), again = make("b", 11), other = make("c", 12);
  EXPECT_FALSE(first.empty());
  EXPECT_EQ(first, again) << "same seed, different bytes";
  EXPECT_NE(first, other) << "different seeds, same bytes";
}

// One checkpoint per (arch, stored dtype); transformers reads the stored dtype back and,
// upcast to fp32 like kvbench on CPU, generates the same greedy tokens.
TEST(ModelCli, MakeModelLoadsInTransformersForEveryDtype) {
  struct Case {
    const char* arch;
    const char* dtype;           // --dtype
    const char* torch_dtype;     // what transformers reports for the stored weights
  };
  const Case cases[] = {{"llama", "fp32", "float32"}, {"qwen3", "fp16", "float16"},
                        {"mistral", "bf16", "bfloat16"}, {"qwen2", "fp16", "float16"}};
  const auto root = testing::TempDir("cli_make_dtypes");
  std::string dirs;
  for (const Case& c : cases) {
    const auto dir = root / StrCat(c.arch, "_", c.dtype);
    const auto made = Kvbench(StrCat("make-model --arch ", c.arch, " --preset tiny --seed 5 --dtype ", c.dtype, " ",
                                     testing::ShellQuote(dir.string())));
    ASSERT_EQ(made.exit_code, 0) << made.output;
    dirs += " " + testing::ShellQuote(dir.string());
  }
  const auto script = testing::SourceDir() / "tests/model/python/load_made_model.py";
  const auto py = testing::RunCommand(testing::PythonExe() + " " + testing::ShellQuote(script.string()) + " " +
                                      testing::ShellQuote(kText) + " 12" + dirs + " 2>&1");
  ASSERT_EQ(py.exit_code, 0) << py.output;
  const auto all = nlohmann::json::parse(py.output.substr(py.output.rfind("\n{") + 1));
  for (const Case& c : cases) {
    SCOPED_TRACE(StrCat(c.arch, " ", c.dtype));
    const auto dir = root / StrCat(c.arch, "_", c.dtype);
    const auto& reference = all.at(dir.string());
    EXPECT_EQ(reference["decoded"].get<std::string>(), kText);
    EXPECT_EQ(reference["stored_dtype"].get<std::string>(), c.torch_dtype);
    auto decoder = Decoder::Load(dir, DecoderOptions{});
    GenerationOptions options;
    options.max_new_tokens = 12;
    const auto results = GenerateForConfigs(*decoder, reference["ids"].get<TokenIds>(), {CacheConfig{}}, options,
                                            nullptr);
    EXPECT_EQ(results[0].tokens, reference["greedy"].get<TokenIds>());
  }
}

TEST(ModelCli, InfoDescribesTheCheckpoint) {
  const auto dir = testing::TempDir("cli_info") / "model";
  ASSERT_EQ(Kvbench("make-model --arch qwen2 --preset tiny --seed 1 " + testing::ShellQuote(dir.string())).exit_code,
            0);
  const auto info = Kvbench("info " + testing::ShellQuote(dir.string()));
  ASSERT_EQ(info.exit_code, 0) << info.output;
  for (const char* expected : {"Qwen2ForCausalLM", "heads (q/kv):      4/2", "head_dim:          16",
                               "BF16", "context length:    4096", "qkv bias / qk norm: yes / no"}) {
    EXPECT_NE(info.output.find(expected), std::string::npos) << expected << "\n" << info.output;
  }
  const auto bad = Kvbench("info " + testing::ShellQuote((dir / "nope").string()));
  EXPECT_NE(bad.exit_code, 0);
  EXPECT_NE(bad.output.find("config.json"), std::string::npos) << bad.output;
}

TEST(ModelCli, GenerateWithAndWithoutMethod) {
  const auto dir = testing::TempDir("cli_generate") / "model";
  ASSERT_EQ(Kvbench("make-model --arch llama --preset tiny --seed 2 " + testing::ShellQuote(dir.string())).exit_code,
            0);
  const std::string base = "generate --model " + testing::ShellQuote(dir.string()) +
                           " --prompt 'the cat and the dog' --max-new-tokens 8 --device cpu";
  const auto plain = Kvbench(base);
  ASSERT_EQ(plain.exit_code, 0) << plain.output;
  const auto kept_file = dir.parent_path() / "kept.json";
  const auto full = Kvbench(base + " --method full --budget 4 --dump-kept " + testing::ShellQuote(kept_file.string()));
  ASSERT_EQ(full.exit_code, 0) << full.output;
  // `full` generates the same text as the plain decoder, then reports its cache.
  EXPECT_EQ(full.output.rfind(plain.output, 0), 0u) << plain.output << "\n---\n" << full.output;
  EXPECT_NE(full.output.find("layer 1: prompt tokens kept"), std::string::npos) << full.output;
  const auto kept = nlohmann::json::parse(ReadFile(kept_file));
  ASSERT_EQ(kept["layers"].size(), 2u);
  const std::int64_t length = kept["prompt_length"];
  EXPECT_EQ(kept["layers"][0]["segments"].size(), 2u);  // tiny: 2 KV heads
  EXPECT_EQ(kept["layers"][0]["segments"][0].size(), static_cast<size_t>(length));

  const auto unknown = Kvbench(base + " --method snapkvv --budget 4");
  EXPECT_NE(unknown.exit_code, 0);
  EXPECT_NE(unknown.output.find("snapkvv"), std::string::npos) << unknown.output;
}

}  // namespace
}  // namespace kvb
