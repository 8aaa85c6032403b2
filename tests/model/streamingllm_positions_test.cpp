// StreamingLLM `positions: cache` against its definition: python/streaming_cache_positions.py
// builds the original paper's numbering literally with transformers (keys held before RoPE,
// rotated at their cache index every step). kvbench, which keeps absolute positions and
// re-rotates only the sinks, must give the same logits at every step, in both modes; the
// absolute numbering must not (so the comparison can tell the two apart).
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include "methods/registry.h"
#include "model/decoder.h"
#include "tests/model/model_test_util.h"

namespace kvb {
namespace {

constexpr std::int64_t kPromptLength = 48, kBudget = 16, kSinks = 4, kNewTokens = 24;
constexpr double kRelativeTolerance = 1e-4;  // fp32 on both sides; they differ in summation order

struct Reference {
  TokenIds prompt, tokens;
  at::Tensor logits;  // [T + 1, vocab]
};

Reference RunReference(const std::filesystem::path& model, const std::string& mode) {
  const auto out = testing::TempDir("streaming_positions_reference_" + mode) / "reference.safetensors";
  const auto script = testing::SourceDir() / "tests/model/python/streaming_cache_positions.py";
  const auto result = testing::RunCommand(
      testing::PythonExe() + " " + testing::ShellQuote(script.string()) + " " + testing::ShellQuote(model.string()) +
      " " + testing::ShellQuote(out.string()) + " " + std::to_string(kPromptLength) + " " + std::to_string(kBudget) +
      " " + std::to_string(kSinks) + " " + std::to_string(kNewTokens) + " " + mode);
  EXPECT_EQ(result.exit_code, 0) << result.output;
  if (result.exit_code != 0) return {};
  SafetensorsFile file(out);
  return {testing::ToTokenIds(testing::ReadReference(file, "prompt")),
          testing::ToTokenIds(testing::ReadReference(file, "tokens")), testing::ReadReference(file, "logits")};
}

// The largest |kvbench - reference| over all steps, relative to the largest reference logit,
// feeding kvbench the reference's tokens.
double WorstRelativeError(Decoder& decoder, const Reference& reference, const std::string& params) {
  auto method = CreateMethod("streamingllm", YAML::Load(params));
  PrefillResult prefill = decoder.Prefill(reference.prompt, {CacheConfig{method.get(), kBudget}}, kNewTokens);
  std::vector<at::Tensor> rows{prefill.last_logits};
  for (TokenId token : reference.tokens) rows.push_back(decoder.DecodeStep(prefill.sequences[0], token));
  const at::Tensor logits = at::stack(rows);
  return ((logits - reference.logits).abs().max() / reference.logits.abs().max()).item<double>();
}

class StreamingCachePositions : public ::testing::TestWithParam<std::string> {};

TEST_P(StreamingCachePositions, EqualsTheOriginalNumberingStepByStep) {
  const std::string mode = GetParam();
  const auto model = testing::TinyCheckpoint("streaming_positions_" + mode);
  const Reference reference = RunReference(model, mode);
  ASSERT_EQ(reference.tokens.size(), static_cast<size_t>(kNewTokens));
  auto decoder = Decoder::Load(model, DecoderOptions{});
  const std::string common = "{mode: " + mode + ", sinks: " + std::to_string(kSinks);

  const double cache_error = WorstRelativeError(*decoder, reference, common + ", positions: cache}");
  EXPECT_LE(cache_error, kRelativeTolerance) << "positions: cache, mode " << mode;

  const double absolute_error = WorstRelativeError(*decoder, reference, common + ", positions: absolute}");
  EXPECT_GT(absolute_error, 100 * kRelativeTolerance)
      << "positions: absolute gives the reference's logits too: the comparison cannot tell the numberings apart";
  std::cout << "mode " << mode << ": worst relative error, cache " << cache_error << ", absolute " << absolute_error
            << "\n";
}

INSTANTIATE_TEST_SUITE_P(Modes, StreamingCachePositions, ::testing::Values("prefill", "decode"));

}  // namespace
}  // namespace kvb
