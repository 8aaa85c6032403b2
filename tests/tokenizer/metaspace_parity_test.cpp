// The Metaspace pre-tokenizer (Mistral-style tokenizer.json files) against the Python
// `tokenizers` package. No file in ../shared uses it (Llama-2 and TinyStories express the
// same idea with a Prepend + Replace normalizer), so the test writes variants of the real
// Llama-2 tokenizer.json with that normalizer swapped for Metaspace, one per
// prepend_scheme (first / always / never) and split (true / false), and encodes the
// parity corpus (leading, repeated and trailing spaces, "▁" in the text, special tokens
// in the middle, where "first" and "always" part ways) with each.
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

struct Variant {
  const char* prepend_scheme;
  bool split;
};

std::string Name(const Variant& v) { return StrCat(v.prepend_scheme, v.split ? "_split" : "_nosplit"); }

// Llama-2's tokenizer.json with Metaspace doing the normalizer's work.
json MetaspaceVariant(json tokenizer, const Variant& v) {
  const json metaspace = {{"type", "Metaspace"}, {"replacement", "\xE2\x96\x81"},
                          {"prepend_scheme", v.prepend_scheme}, {"split", v.split}};
  tokenizer["normalizer"] = nullptr;
  tokenizer["pre_tokenizer"] = metaspace;
  tokenizer["decoder"] = {{"type", "Sequence"}, {"decoders", {{{"type", "ByteFallback"}}, metaspace}}};
  return tokenizer;
}

class MetaspaceParity : public ::testing::TestWithParam<Variant> {};

TEST_P(MetaspaceParity, EncodesAndDecodesAsTokenizers) {
  KVB_REQUIRE_SHARED(source, "tokenizers/llama2");
  const Variant variant = GetParam();
  const auto dir = testing::TempDir("metaspace_" + Name(variant));
  const json original = json::parse(ReadFile(source / "tokenizer.json"));
  ASSERT_TRUE(original["pre_tokenizer"].is_null()) << "the shared llama2 file changed; revisit this test";
  WriteFileAtomically(dir / "tokenizer.json", MetaspaceVariant(original, variant).dump());
  WriteFileAtomically(dir / "tokenizer_config.json", ReadFile(source / "tokenizer_config.json"));
  const std::vector<std::string> corpus = testing::Corpus();
  WriteFileAtomically(dir / "corpus.json", json(corpus).dump());
  const auto script = testing::SourceDir() / "tests/tokenizer/python/tokenize_reference.py";
  const auto result = testing::RunCommand(
      testing::ShellQuote(testing::PythonExe()) + " " + testing::ShellQuote(script.string()) + " " +
      testing::ShellQuote((dir / "tokenizer.json").string()) + " " +
      testing::ShellQuote((dir / "corpus.json").string()) + " " +
      testing::ShellQuote((dir / "reference.json").string()) + " 2>&1");
  ASSERT_EQ(result.exit_code, 0) << result.output;
  const json reference = json::parse(ReadFile(dir / "reference.json"));
  ASSERT_EQ(reference.size(), corpus.size());

  const auto tokenizer = Tokenizer::FromDirectory(dir);
  for (std::size_t i = 0; i < corpus.size(); ++i) {
    SCOPED_TRACE("corpus[" + std::to_string(i) + "] = " + json(corpus[i]).dump().substr(0, 120));
    EXPECT_EQ(tokenizer->Encode(corpus[i], true), reference[i]["ids_special"].get<TokenIds>());
    EXPECT_EQ(tokenizer->Encode(corpus[i], false), reference[i]["ids_plain"].get<TokenIds>());
    const TokenIds ids = reference[i]["ids_special"].get<TokenIds>();
    EXPECT_EQ(tokenizer->Decode(ids, false), reference[i]["decode_keep"].get<std::string>());
    EXPECT_EQ(tokenizer->Decode(ids, true), reference[i]["decode_skip"].get<std::string>());
  }
}

INSTANTIATE_TEST_SUITE_P(PrependSchemeAndSplit, MetaspaceParity,
                         ::testing::Values(Variant{"first", true}, Variant{"first", false}, Variant{"always", true},
                                           Variant{"always", false}, Variant{"never", true},
                                           Variant{"never", false}),
                         [](const ::testing::TestParamInfo<Variant>& info) { return Name(info.param); });

}  // namespace
}  // namespace kvb
