// A tiny deterministic Tokenizer for dataset tests until (and besides) the real one:
// one token per Unicode code point (id = code point + kFirstTextId), BOS "<s>" = 1,
// EOS "</s>" = 2. The literal text "<s>" encodes to BOS, as special tokens do in
// Hugging Face tokenizers, so chat-template BOS handling can be tested.
#pragma once

#include <string>
#include <string_view>

#include "model/tokenizer/tokenizer.h"
#include "util/utf8.h"

namespace kvb::testing {

class FakeTokenizer : public Tokenizer {
 public:
  static constexpr TokenId kBos = 1;
  static constexpr TokenId kEos = 2;
  static constexpr TokenId kFirstTextId = 16;

  TokenIds Encode(std::string_view text, bool add_special_tokens) const override {
    TokenIds ids;
    if (add_special_tokens) ids.push_back(kBos);
    const std::u32string cps = DecodeUtf8(text, "fake tokenizer input");
    for (std::size_t i = 0; i < cps.size(); ++i) {
      if (cps.compare(i, 3, U"<s>") == 0) {
        ids.push_back(kBos);
        i += 2;
        continue;
      }
      ids.push_back(static_cast<TokenId>(cps[i]) + kFirstTextId);
    }
    return ids;
  }

  std::string Decode(const TokenIds& ids, bool skip_special_tokens) const override {
    std::string out;
    for (TokenId id : ids) {
      if (id == kBos || id == kEos) {
        if (!skip_special_tokens) out += id == kBos ? "<s>" : "</s>";
        continue;
      }
      AppendUtf8(static_cast<char32_t>(id - kFirstTextId), out);
    }
    return out;
  }

  std::int64_t vocab_size() const override { return 0x110000 + kFirstTextId; }
  std::optional<TokenId> TokenToId(std::string_view token) const override {
    if (token == "<s>") return kBos;
    if (token == "</s>") return kEos;
    return std::nullopt;
  }
  std::optional<std::string> IdToToken(TokenId id) const {
    if (id == kBos) return std::string("<s>");
    if (id == kEos) return std::string("</s>");
    if (id < kFirstTextId) return std::nullopt;
    std::string out;
    AppendUtf8(static_cast<char32_t>(id - kFirstTextId), out);
    return out;
  }
  std::optional<TokenId> bos_id() const override { return kBos; }
  TokenIds eos_ids() const override { return {kEos}; }
};

}  // namespace kvb::testing
