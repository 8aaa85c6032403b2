// Parity with Hugging Face transformers (CPU, fp32) for every supported architecture:
// random models built and saved by transformers itself (python/make_reference.py),
// compared on the logits of every prompt position (1e-4 relative to the largest logit),
// every named intermediate tensor (layer by layer), and 50 greedy tokens.
#include <gtest/gtest.h>

#include <map>

#include "model/decoder.h"
#include "model/generation.h"
#include "tests/common/test_env.h"
#include "tests/model/model_test_util.h"

namespace kvb {
namespace {

// fp32 on both sides; the two differ only in summation order.
constexpr double kRelativeTolerance = 1e-4;

std::filesystem::path ReferenceRoot() {
  static const std::filesystem::path root = [] {
    const auto dir = testing::TempDir("decoder_parity");
    const auto script = testing::SourceDir() / "tests/model/python/make_reference.py";
    const auto result = testing::RunCommand(testing::PythonExe() + " " + testing::ShellQuote(script.string()) +
                                            " " + testing::ShellQuote(dir.string()));
    if (result.exit_code != 0) return std::filesystem::path();
    std::cout << result.output.substr(result.output.size() > 2000 ? result.output.size() - 2000 : 0);
    return dir;
  }();
  return root;
}

// max |actual - expected| <= tolerance * max |expected|.
void ExpectClose(const at::Tensor& actual, const at::Tensor& expected, const std::string& what) {
  ASSERT_EQ(actual.sizes(), expected.sizes()) << what;
  const double scale = expected.abs().max().item<double>();
  const double error = (actual.to(at::kFloat) - expected).abs().max().item<double>();
  EXPECT_LE(error, kRelativeTolerance * scale) << what << ": max abs error " << error << " vs scale " << scale;
}

class DecoderParity : public ::testing::TestWithParam<std::string> {};

TEST_P(DecoderParity, LogitsTapsAndGreedyMatchTransformers) {
  const auto root = ReferenceRoot();
  ASSERT_FALSE(root.empty()) << "tests/model/python/make_reference.py failed (see output above)";
  const auto dir = root / GetParam();
  SafetensorsFile reference(dir / "reference.safetensors");
  const TokenIds prompt = testing::ToTokenIds(testing::ReadReference(reference, "prompt"));

  auto decoder = Decoder::Load(dir, DecoderOptions{});
  std::map<std::string, at::Tensor> taps;
  decoder->set_tap([&](const std::string& name, int layer, const at::Tensor& value) {
    taps[layer < 0 ? name : name + "." + std::to_string(layer)] = value.clone();
  });
  const at::Tensor logits = decoder->PromptLogits(prompt);
  decoder->set_tap(nullptr);
  ExpectClose(logits, testing::ReadReference(reference, "logits"), "logits");

  int compared = 0;
  for (const auto& [name, tensor] : reference.tensors()) {
    if (name.rfind("tap.", 0) != 0) continue;
    const std::string tap = name.substr(4);
    ASSERT_TRUE(taps.count(tap)) << "kvbench has no tap named " << tap;
    ExpectClose(taps[tap], testing::ReadReference(reference, name), "tap " + tap);
    ++compared;
  }
  EXPECT_EQ(compared, 2 + 4 * decoder->config().num_layers);

  GenerationOptions options;
  options.max_new_tokens = 50;
  const auto results = GenerateForConfigs(*decoder, prompt, {CacheConfig{}}, options, nullptr);
  EXPECT_EQ(results[0].tokens, testing::ToTokenIds(testing::ReadReference(reference, "greedy")));
}

INSTANTIATE_TEST_SUITE_P(Architectures, DecoderParity,
                         ::testing::Values("llama", "llama_dynamic", "mistral", "qwen2", "qwen3"));

}  // namespace
}  // namespace kvb
