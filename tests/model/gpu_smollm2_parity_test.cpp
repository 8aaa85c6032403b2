// The real SmolLM2-135M-Instruct, as `kvbench convert gguf` wrote it (scripts/setup.sh
// puts it in models/SmolLM2-135M-Instruct), on CUDA in bf16: transformers loading the
// converted directory gives the same logits as kvbench within bf16 tolerance, and the
// same greedy tokens (tests/model/gpu_parity_util.h). Issue 8's acceptance check.
#include <gtest/gtest.h>

#include <cstdlib>

#include "model/tokenizer/tokenizer.h"
#include "tests/model/gpu_parity_util.h"

namespace kvb {
namespace {

// KVB_SMOLLM2_DIR, else the repository's models/ directory.
std::filesystem::path SmolLm2Dir() {
  if (const char* dir = std::getenv("KVB_SMOLLM2_DIR")) return dir;
  return testing::SourceDir() / "models/SmolLM2-135M-Instruct";
}

TEST(GpuSmolLm2Parity, ConvertedCheckpointMatchesTransformersInBf16) {
  KVB_SKIP_WITHOUT_CUDA_PARITY();
  const auto dir = SmolLm2Dir();
  if (!std::filesystem::exists(dir / "config.json")) {
    GTEST_SKIP() << "needs the converted SmolLM2-135M-Instruct at " << dir
                 << " (scripts/setup.sh makes it; or set KVB_SMOLLM2_DIR)";
  }
  const auto tokenizer = Tokenizer::FromDirectory(dir);
  const TokenIds prompt = tokenizer->Encode(
      "The key-value cache of a transformer stores, for every layer and every attention head, the keys and "
      "values of the tokens seen so far. Evicting entries from it saves memory; the question is which ones.",
      /*add_special_tokens=*/true);
  testing::ExpectBf16ParityWithTransformers(dir, prompt, "smollm2-135m-instruct");
}

}  // namespace
}  // namespace kvb
