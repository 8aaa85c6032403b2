// Unit tests on small hand-written tokenizer.json files: formats, errors, flags.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "model/tokenizer/tokenizer.h"
#include "tests/common/test_env.h"
#include "util/error.h"
#include "util/file.h"

namespace kvb {
namespace {

using nlohmann::json;

// A byte-level BPE over "ab" with merges in the given form.
json TinyByteLevel(bool merges_as_lists) {
  json vocab = {{"a", 0}, {"b", 1}, {"Ġ", 2}, {"ab", 3}, {"Ġa", 4}, {"Ġab", 5}};
  json merges = merges_as_lists ? json::array({json::array({"Ġ", "a"}), json::array({"a", "b"}),
                                              json::array({"Ġa", "b"})})
                                : json::array({"Ġ a", "a b", "Ġa b"});
  return {{"version", "1.0"},
          {"added_tokens", json::array({{{"id", 6}, {"content", "<eos>"}, {"special", true},
                                         {"normalized", false}, {"lstrip", false}, {"rstrip", false},
                                         {"single_word", false}}})},
          {"normalizer", nullptr},
          {"pre_tokenizer", {{"type", "ByteLevel"}, {"add_prefix_space", false}, {"use_regex", true}}},
          {"post_processor", nullptr},
          {"decoder", {{"type", "ByteLevel"}}},
          {"model", {{"type", "BPE"}, {"vocab", vocab}, {"merges", merges}}}};
}

std::filesystem::path WriteTokenizer(const std::string& name, const json& j) {
  const auto dir = testing::TempDir(name);
  WriteFileAtomically(dir / "tokenizer.json", j.dump());
  return dir;
}

TEST(Tokenizer, MergesAsStringsAndListsAgree) {
  for (bool lists : {false, true}) {
    const auto tok = Tokenizer::FromDirectory(WriteTokenizer("tok_merges", TinyByteLevel(lists)));
    EXPECT_EQ(tok->Encode("ab ab<eos>a", false), (TokenIds{3, 5, 6, 0}));
    EXPECT_EQ(tok->Decode({3, 5, 6, 0}, false), "ab ab<eos>a");
    EXPECT_EQ(tok->Decode({3, 5, 6, 0}, true), "ab aba");
    EXPECT_EQ(tok->vocab_size(), 7);
    EXPECT_EQ(tok->TokenToId("<eos>"), 6);
    EXPECT_EQ(tok->IdToToken(5), "Ġab");
  }
}

void ExpectErrorMentions(const json& j, const std::string& needle) {
  const auto dir = WriteTokenizer("tok_error", j);
  try {
    Tokenizer::FromDirectory(dir);
    ADD_FAILURE() << "no error; expected one mentioning " << needle;
  } catch (const Error& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find(needle), std::string::npos) << what;
    EXPECT_NE(what.find("tokenizer.json"), std::string::npos) << what;
  }
}

TEST(Tokenizer, UnknownComponentTypesNameTheKey) {
  json j = TinyByteLevel(false);
  j["normalizer"] = {{"type", "Sequence"}, {"normalizers", json::array({{{"type", "NFC"}}, {{"type", "Frobnicate"}}})}};
  ExpectErrorMentions(j, "normalizer.normalizers[1].type");
  j = TinyByteLevel(false);
  j["pre_tokenizer"] = {{"type", "Juggle"}};
  ExpectErrorMentions(j, "'Juggle' at key pre_tokenizer.type");
  j = TinyByteLevel(false);
  j["decoder"] = {{"type", "CTC"}};
  ExpectErrorMentions(j, "decoder.type");
  j = TinyByteLevel(false);
  j["model"]["type"] = "Unigram";
  ExpectErrorMentions(j, "model.type");
  j = TinyByteLevel(false);
  j["model"]["merges"] = json::array({"a zz"});
  ExpectErrorMentions(j, "model.merges[0]");
}

TEST(Tokenizer, MissingFilesAreAnError) {
  const auto dir = testing::TempDir("tok_missing");
  EXPECT_THROW(Tokenizer::FromDirectory(dir), Error);
}

TEST(Tokenizer, AddedTokenFlags) {
  json j = TinyByteLevel(false);
  j["added_tokens"].push_back({{"id", 7}, {"content", "X"}, {"special", false}, {"normalized", false},
                               {"lstrip", true}, {"rstrip", true}, {"single_word", false}});
  j["added_tokens"].push_back({{"id", 8}, {"content", "ba"}, {"special", false}, {"normalized", false},
                               {"lstrip", false}, {"rstrip", false}, {"single_word", true}});
  const auto tok = Tokenizer::FromDirectory(WriteTokenizer("tok_flags", j));
  // lstrip/rstrip swallow the spaces around X; single_word "ba" only matches as a word.
  EXPECT_EQ(tok->Encode("a X b", false), (TokenIds{0, 7, 1}));
  EXPECT_EQ(tok->Encode("ab ba", false), (TokenIds{3, 2, 8}));
  EXPECT_EQ(tok->Encode("aba", false), (TokenIds{3, 0}));
}

}  // namespace
}  // namespace kvb
