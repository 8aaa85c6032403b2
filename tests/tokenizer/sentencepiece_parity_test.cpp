// The tokenizer.model path (Debian's libsentencepiece): a sentencepiece model derived
// from ../shared/tokenizers/llama2/tokenizer.json (python/sentencepiece_reference.py)
// encodes and decodes the parity corpus exactly as the Python `sentencepiece` package
// does, and, on every text without special-token strings, exactly as kvbench's own
// tokenizer.json path does on the file it was derived from.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "model/tokenizer/tokenizer.h"
#include "tests/common/test_env.h"
#include "tests/tokenizer/tokenizer_corpus.h"
#include "util/error.h"
#include "util/file.h"

namespace kvb {
namespace {

using nlohmann::json;

// sentencepiece never matches control pieces inside text; tokenizers splits them out
// first. Texts containing their strings are compared with sentencepiece only.
bool HasSpecialTokenString(const std::string& text) {
  for (const char* special : {"<s>", "</s>", "<unk>"}) {
    if (text.find(special) != std::string::npos) return true;
  }
  return false;
}

class SentencePieceParity : public ::testing::Test {
 protected:
  void SetUp() override {
    auto source = testing::SharedPath("tokenizers/llama2");
    if (!source) GTEST_SKIP() << "needs ../shared/tokenizers/llama2; not found, skipping";
    source_dir_ = *source;
    model_dir_ = testing::TempDir("sentencepiece_parity") / "llama2-spm";
    std::filesystem::create_directories(model_dir_);
    WriteFileAtomically(model_dir_.parent_path() / "corpus.json", json(testing::Corpus()).dump());
    const auto script = testing::SourceDir() / "tests/tokenizer/python/sentencepiece_reference.py";
    const auto result = testing::RunCommand(
        testing::ShellQuote(testing::PythonExe()) + " " + testing::ShellQuote(script.string()) + " " +
        testing::ShellQuote((source_dir_ / "tokenizer.json").string()) + " " +
        testing::ShellQuote(model_dir_.string()) + " " +
        testing::ShellQuote((model_dir_.parent_path() / "corpus.json").string()) + " 2>&1");
    ASSERT_EQ(result.exit_code, 0) << result.output;
    ASSERT_FALSE(std::filesystem::exists(model_dir_ / "tokenizer.json"));
    reference_ = json::parse(ReadFile(model_dir_ / "reference.json"));
  }

  std::filesystem::path source_dir_, model_dir_;
  json reference_;
};

TEST_F(SentencePieceParity, EncodesAndDecodesAsPythonSentencePiece) {
  const auto tokenizer = Tokenizer::FromDirectory(model_dir_);  // no tokenizer.json: tokenizer.model
  const std::vector<std::string> corpus = testing::Corpus();
  ASSERT_EQ(reference_.size(), corpus.size());
  EXPECT_EQ(tokenizer->vocab_size(), 32000);
  EXPECT_EQ(tokenizer->bos_id(), std::optional<TokenId>(1));
  EXPECT_EQ(tokenizer->eos_ids(), (TokenIds{2}));
  for (std::size_t i = 0; i < corpus.size(); ++i) {
    SCOPED_TRACE("corpus[" + std::to_string(i) + "] = " + json(corpus[i]).dump().substr(0, 120));
    const json& expected = reference_[i];
    EXPECT_EQ(tokenizer->Encode(corpus[i], true), expected["ids_special"].get<TokenIds>());
    EXPECT_EQ(tokenizer->Encode(corpus[i], false), expected["ids_plain"].get<TokenIds>());
    const TokenIds ids = expected["ids_special"].get<TokenIds>();
    EXPECT_EQ(tokenizer->Decode(ids, false), expected["decode_keep"].get<std::string>());
    EXPECT_EQ(tokenizer->Decode(ids, true), expected["decode_skip"].get<std::string>());
  }
}

TEST_F(SentencePieceParity, AgreesWithTheTokenizerJsonItWasDerivedFrom) {
  const auto from_model = Tokenizer::FromDirectory(model_dir_);
  const auto from_json = Tokenizer::FromDirectory(source_dir_);
  int compared = 0;
  for (const std::string& text : testing::Corpus()) {
    if (HasSpecialTokenString(text)) continue;
    SCOPED_TRACE(json(text).dump().substr(0, 120));
    EXPECT_EQ(from_model->Encode(text, true), from_json->Encode(text, true));
    ++compared;
  }
  EXPECT_GE(compared, 20);
}

TEST_F(SentencePieceParity, InvalidUtf8IsAnError) {
  const auto tokenizer = Tokenizer::FromDirectory(model_dir_);
  try {
    tokenizer->Encode("abc\xFF", true);
    ADD_FAILURE() << "no error for invalid UTF-8";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("invalid UTF-8"), std::string::npos) << e.what();
  }
}

TEST(SentencePieceErrors, CorruptModelNamesTheFile) {
  const auto dir = testing::TempDir("sentencepiece_corrupt");
  WriteFileAtomically(dir / "tokenizer.model", "not a protobuf");
  try {
    Tokenizer::FromDirectory(dir);
    ADD_FAILURE() << "no error for a corrupt tokenizer.model";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("tokenizer.model"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace kvb
