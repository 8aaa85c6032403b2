// Encoding and decoding equal the Python `tokenizers` package, token for token, on the
// real tokenizer files of ../shared over a corpus of awkward text.
#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <nlohmann/json.hpp>

#include "model/tokenizer/tokenizer.h"
#include "tests/tokenizer/tokenizer_corpus.h"
#include "tests/common/test_env.h"
#include "util/error.h"
#include "util/file.h"

namespace kvb {
namespace {

using nlohmann::json;
using testing::Corpus;

TokenIds ToIds(const json& j) { return j.get<TokenIds>(); }

void CheckParity(const std::string& relative) {
  auto dir_opt = testing::SharedPath(relative);
  if (!dir_opt) GTEST_SKIP() << "needs ../shared/" << relative << "; not found, skipping";
  const auto dir = *dir_opt;
  const auto tmp = testing::TempDir("tokenizer_parity_" + dir.filename().string());
  const std::vector<std::string> corpus = Corpus();
  WriteFileAtomically(tmp / "corpus.json", json(corpus).dump());
  const std::string script =
      (testing::SourceDir() / "tests/tokenizer/python/tokenize_reference.py").string();
  const auto result = testing::RunCommand(
      testing::ShellQuote(testing::PythonExe()) + " " + testing::ShellQuote(script) + " " +
      testing::ShellQuote((dir / "tokenizer.json").string()) + " " +
      testing::ShellQuote((tmp / "corpus.json").string()) + " " +
      testing::ShellQuote((tmp / "reference.json").string()));
  ASSERT_EQ(result.exit_code, 0) << result.output;
  const json reference = json::parse(ReadFile(tmp / "reference.json"));
  ASSERT_EQ(reference.size(), corpus.size());

  const auto tokenizer = Tokenizer::FromDirectory(dir);
  for (std::size_t i = 0; i < corpus.size(); ++i) {
    const std::string& text = corpus[i];
    SCOPED_TRACE("corpus[" + std::to_string(i) + "] = " + json(text).dump().substr(0, 120));
    const TokenIds with_special = tokenizer->Encode(text, true);
    EXPECT_EQ(with_special, ToIds(reference[i]["ids_special"]));
    EXPECT_EQ(tokenizer->Encode(text, false), ToIds(reference[i]["ids_plain"]));
    const TokenIds ref_ids = ToIds(reference[i]["ids_special"]);
    EXPECT_EQ(tokenizer->Decode(ref_ids, false), reference[i]["decode_keep"].get<std::string>());
    EXPECT_EQ(tokenizer->Decode(ref_ids, true), reference[i]["decode_skip"].get<std::string>());
  }
}

TEST(TokenizerParity, Llama2) { CheckParity("tokenizers/llama2"); }
TEST(TokenizerParity, Llama3) { CheckParity("tokenizers/llama3"); }
TEST(TokenizerParity, Qwen3) { CheckParity("tokenizers/qwen3"); }
TEST(TokenizerParity, TinyStories) { CheckParity("models/tinystories-656K"); }

// Byte-level BPE without a normalizer loses nothing: decode(encode(x)) == x.
TEST(TokenizerRoundTrip, Llama3DecodesWhatItEncoded) {
  KVB_REQUIRE_SHARED(dir, "tokenizers/llama3");
  const auto tokenizer = Tokenizer::FromDirectory(dir);
  for (const std::string& text : Corpus()) {
    EXPECT_EQ(tokenizer->Decode(tokenizer->Encode(text, false), false), text);
  }
}

TEST(TokenizerErrors, InvalidUtf8IsAnErrorNamingTheOffset) {
  KVB_REQUIRE_SHARED(dir, "tokenizers/qwen3");
  const auto tokenizer = Tokenizer::FromDirectory(dir);
  for (const std::string bad : {std::string("abc\xFF"), std::string("\xC3"), std::string("ok \xED\xA0\x80 surrogate")}) {
    try {
      tokenizer->Encode(bad, true);
      ADD_FAILURE() << "no error for invalid UTF-8";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("invalid UTF-8"), std::string::npos) << e.what();
    }
  }
}

// Throughput on English prose, printed for the README (the bound is loose on purpose:
// CI machines are shared).
TEST(TokenizerSpeed, EnglishTokensPerSecond) {
  KVB_REQUIRE_SHARED(dir, "tokenizers/llama3");
  const auto tokenizer = Tokenizer::FromDirectory(dir);
  std::string text;
  for (int i = 0; i < 40; ++i) text += Corpus()[0] + " " + Corpus()[1] + " " + Corpus().back();
  tokenizer->Encode(text, false);  // warm the word cache, as repeated dataset fitting does
  const auto start = std::chrono::steady_clock::now();
  std::size_t tokens = 0;
  for (int r = 0; r < 5; ++r) tokens += tokenizer->Encode(text, false).size();
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const double rate = static_cast<double>(tokens) / seconds;
  std::printf("llama3 encode: %zu tokens in %.3f s = %.2f M tokens/s\n", tokens, seconds, rate / 1e6);
  EXPECT_GT(rate, 2e5);
}

}  // namespace
}  // namespace kvb
