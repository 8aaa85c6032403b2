#include <sentencepiece_processor.h>

#include "model/tokenizer/hf_tokenizer.h"
#include "util/error.h"
#include "util/utf8.h"

namespace kvb::tokenizer_internal {
namespace {

class SentencePieceTokenizer : public Tokenizer {
 public:
  SentencePieceTokenizer(const std::filesystem::path& file, const SpecialTokenNames& names,
                         bool add_bos)
      : add_bos_(add_bos) {
    const auto status = processor_.Load(file.string());
    KVB_REQUIRE(status.ok(), file.string(), ": cannot load the sentencepiece model: ",
                status.ToString());
    if (names.bos) {
      if (auto id = TokenToId(*names.bos)) bos_ = *id;
    } else if (processor_.bos_id() >= 0) {
      bos_ = processor_.bos_id();
    }
    if (names.eos) {
      if (auto id = TokenToId(*names.eos)) eos_.push_back(*id);
    } else if (processor_.eos_id() >= 0) {
      eos_.push_back(processor_.eos_id());
    }
  }

  TokenIds Encode(std::string_view text, bool add_special_tokens) const override {
    if (!IsValidUtf8(text)) DecodeUtf8(text, "the text to tokenize");
    std::vector<int> ids;
    const auto status = processor_.Encode(text, &ids);
    KVB_REQUIRE(status.ok(), "sentencepiece encode: ", status.ToString());
    TokenIds out;
    if (add_special_tokens && add_bos_ && bos_) out.push_back(*bos_);
    out.insert(out.end(), ids.begin(), ids.end());
    return out;
  }

  std::string Decode(const TokenIds& ids, bool skip_special_tokens) const override {
    std::vector<int> kept;
    for (TokenId id : ids) {
      if (id < 0 || id >= processor_.GetPieceSize()) continue;
      if (skip_special_tokens && processor_.IsControl(id)) continue;
      kept.push_back(id);
    }
    std::string out;
    const auto status = processor_.Decode(kept, &out);
    KVB_REQUIRE(status.ok(), "sentencepiece decode: ", status.ToString());
    return out;
  }

  std::int64_t vocab_size() const override { return processor_.GetPieceSize(); }
  std::optional<TokenId> TokenToId(std::string_view token) const override {
    const int id = processor_.PieceToId(token);
    if (id == processor_.unk_id() && token != processor_.IdToPiece(id)) return std::nullopt;
    return id;
  }
  std::optional<std::string> IdToToken(TokenId id) const override {
    if (id < 0 || id >= processor_.GetPieceSize()) return std::nullopt;
    return processor_.IdToPiece(id);
  }
  std::optional<TokenId> bos_id() const override { return bos_; }
  TokenIds eos_ids() const override { return eos_; }

 private:
  sentencepiece::SentencePieceProcessor processor_;
  bool add_bos_;
  std::optional<TokenId> bos_;
  TokenIds eos_;
};

}  // namespace

std::unique_ptr<Tokenizer> LoadSentencePieceTokenizer(const std::filesystem::path& file,
                                                      const SpecialTokenNames& names,
                                                      bool add_bos) {
  return std::make_unique<SentencePieceTokenizer>(file, names, add_bos);
}

}  // namespace kvb::tokenizer_internal
