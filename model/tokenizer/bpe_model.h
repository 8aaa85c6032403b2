// The BPE model of `tokenizers`: merges by rank (lowest first, leftmost on ties),
// optional byte fallback (<0xAB> tokens) and unknown-token fusing, `ignore_merges`
// (a word already in the vocabulary is one token: Llama-3), and a word cache.
#pragma once

#include <cstdint>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "util/types.h"

namespace kvb::tokenizer_internal {

struct BpeOptions {
  std::optional<std::string> unk_token;
  bool fuse_unk = false;
  bool byte_fallback = false;
  bool ignore_merges = false;
  std::string continuing_subword_prefix;
  std::string end_of_word_suffix;
};

using Vocab = std::unordered_map<std::string, TokenId>;
using MergeList = std::vector<std::pair<std::string, std::string>>;

class BpeModel {
 public:
  // `source` names the file in error messages (a merge whose parts or result are not
  // in the vocabulary).
  BpeModel(Vocab vocab, const MergeList& merges, BpeOptions options, const std::string& source);

  // Appends the ids of one pre-tokenized word (non-empty, valid UTF-8).
  void Tokenize(std::string_view word, TokenIds& out) const;

  std::optional<TokenId> TokenToId(std::string_view token) const;
  // nullptr when the id is not in the model's vocabulary.
  const std::string* IdToToken(TokenId id) const;
  std::int64_t vocab_size() const { return static_cast<std::int64_t>(id_to_token_.size()); }

 private:
  struct MergeTarget {
    std::int32_t rank;
    TokenId new_id;
  };
  static std::uint64_t PairKey(TokenId a, TokenId b) {
    return (static_cast<std::uint64_t>(static_cast<std::uint32_t>(a)) << 32) |
           static_cast<std::uint32_t>(b);
  }
  void InitialSymbols(std::string_view word, TokenIds& symbols) const;
  void MergeAll(TokenIds& symbols) const;

  Vocab vocab_;
  std::vector<std::string> id_to_token_;
  std::unordered_map<std::uint64_t, MergeTarget> merges_;
  BpeOptions options_;
  std::optional<TokenId> unk_id_;
  std::vector<std::optional<TokenId>> byte_fallback_ids_;  // 256 entries when byte_fallback

  // Words up to kMaxCachedWordBytes, up to kMaxCacheEntries of them (then no new entries).
  static constexpr std::size_t kMaxCachedWordBytes = 256;
  static constexpr std::size_t kMaxCacheEntries = 200000;
  mutable std::shared_mutex cache_mutex_;
  mutable std::unordered_map<std::string, TokenIds> cache_;
};

}  // namespace kvb::tokenizer_internal
