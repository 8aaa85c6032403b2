// The real TinyStories-656K checkpoint (tied embedding stored only as lm_head.weight):
// kvbench's greedy tokens and text equal transformers' generate() from the same prompt.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "model/decoder.h"
#include "model/generation.h"
#include "model/tokenizer/tokenizer.h"
#include "tests/common/test_env.h"
#include "util/file.h"

namespace kvb {
namespace {

constexpr const char* kPrompt = "Once upon a time";
constexpr int kNewTokens = 60;

nlohmann::json TransformersReference(const std::filesystem::path& model) {
  const auto out = testing::TempDir("tinystories") / "reference.json";
  const auto script = testing::SourceDir() / "tests/model/python/tinystories_reference.py";
  const auto result = testing::RunCommand(testing::PythonExe() + " " + testing::ShellQuote(script.string()) + " " +
                                          testing::ShellQuote(model.string()) + " " + testing::ShellQuote(kPrompt) +
                                          " " + std::to_string(kNewTokens) + " " + testing::ShellQuote(out.string()));
  if (result.exit_code != 0) ADD_FAILURE() << result.output;
  return nlohmann::json::parse(ReadFile(out));
}

TEST(TinyStories, GreedyTokensAndTextEqualTransformers) {
  KVB_REQUIRE_SHARED(model, "models/tinystories-656K");
  const nlohmann::json reference = TransformersReference(model);
  const TokenIds prompt = reference["prompt_ids"].get<TokenIds>();

  auto decoder = Decoder::Load(model, DecoderOptions{});
  GenerationOptions options;
  options.max_new_tokens = kNewTokens;
  options.eos_ids = decoder->config().eos_token_ids;
  const auto results = GenerateForConfigs(*decoder, prompt, {CacheConfig{}}, options, nullptr);
  EXPECT_EQ(results[0].tokens, reference["output_ids"].get<TokenIds>());

  const auto tokenizer = Tokenizer::FromDirectory(model);
  EXPECT_EQ(tokenizer->Encode(kPrompt, true), prompt);
  const std::string text = tokenizer->Decode(results[0].tokens, true);
  EXPECT_EQ(text, reference["text"].get<std::string>());
  // The README's expected start (transformers' own output).
  EXPECT_EQ(text.rfind(", a little girl named Lily lived in a small house", 0), 0u) << text;
}

}  // namespace
}  // namespace kvb
