#include "model/tokenizer/bpe_model.h"

#include <cstdio>
#include <mutex>
#include <queue>

#include "model/tokenizer/unicode_class.h"
#include "util/error.h"

namespace kvb::tokenizer_internal {

BpeModel::BpeModel(Vocab vocab, const MergeList& merges, BpeOptions options,
                   const std::string& source)
    : vocab_(std::move(vocab)), options_(std::move(options)) {
  TokenId max_id = -1;
  for (const auto& [token, id] : vocab_) {
    KVB_REQUIRE(id >= 0, source, ": model.vocab: negative id ", id, " for token '", token, "'");
    max_id = std::max(max_id, id);
  }
  id_to_token_.resize(static_cast<std::size_t>(max_id + 1));
  for (const auto& [token, id] : vocab_) id_to_token_[static_cast<std::size_t>(id)] = token;

  merges_.reserve(merges.size() * 2);
  for (std::size_t rank = 0; rank < merges.size(); ++rank) {
    const auto& [a, b] = merges[rank];
    const auto ia = vocab_.find(a), ib = vocab_.find(b);
    const std::string merged =
        a + (b.compare(0, options_.continuing_subword_prefix.size(), options_.continuing_subword_prefix) == 0
                 ? b.substr(options_.continuing_subword_prefix.size())
                 : b);
    const auto im = vocab_.find(merged);
    KVB_REQUIRE(ia != vocab_.end() && ib != vocab_.end() && im != vocab_.end(), source,
                ": model.merges[", rank, "] = '", a, " ", b,
                "': a part or the merged token is not in model.vocab");
    merges_.emplace(PairKey(ia->second, ib->second),
                    MergeTarget{static_cast<std::int32_t>(rank), im->second});
  }
  if (options_.unk_token) {
    auto it = vocab_.find(*options_.unk_token);
    KVB_REQUIRE(it != vocab_.end(), source, ": model.unk_token '", *options_.unk_token,
                "' is not in model.vocab");
    unk_id_ = it->second;
  }
  if (options_.byte_fallback) {
    byte_fallback_ids_.resize(256);
    for (int b = 0; b < 256; ++b) {
      char name[8];
      std::snprintf(name, sizeof(name), "<0x%02X>", b);
      if (auto it = vocab_.find(name); it != vocab_.end()) byte_fallback_ids_[b] = it->second;
    }
  }
}

std::optional<TokenId> BpeModel::TokenToId(std::string_view token) const {
  auto it = vocab_.find(std::string(token));
  if (it == vocab_.end()) return std::nullopt;
  return it->second;
}

const std::string* BpeModel::IdToToken(TokenId id) const {
  if (id < 0 || static_cast<std::size_t>(id) >= id_to_token_.size()) return nullptr;
  const std::string& token = id_to_token_[static_cast<std::size_t>(id)];
  // Holes in the id range have no token (an empty token never is in a vocab).
  return token.empty() && vocab_.count(token) == 0 ? nullptr : &token;
}

// One symbol per character (with the subword prefix / word suffix where configured);
// characters missing from the vocabulary become byte tokens or the unknown token.
void BpeModel::InitialSymbols(std::string_view word, TokenIds& symbols) const {
  std::optional<TokenId> pending_unk;
  std::string key;
  for (std::size_t pos = 0; pos < word.size();) {
    const std::size_t len = Utf8Length(static_cast<unsigned char>(word[pos]));
    const bool is_first = pos == 0, is_last = pos + len >= word.size();
    key.clear();
    if (!is_first) key += options_.continuing_subword_prefix;
    key.append(word.data() + pos, len);
    if (is_last) key += options_.end_of_word_suffix;
    if (auto it = vocab_.find(key); it != vocab_.end()) {
      if (pending_unk) symbols.push_back(*pending_unk), pending_unk.reset();
      symbols.push_back(it->second);
    } else {
      bool done = false;
      if (options_.byte_fallback) {
        bool all = true;
        for (unsigned char b : key) all = all && byte_fallback_ids_[b].has_value();
        if (all) {
          // As `tokenizers` does: a pending unknown token stays pending across byte tokens.
          for (unsigned char b : key) symbols.push_back(*byte_fallback_ids_[b]);
          done = true;
        }
      }
      if (!done && unk_id_) {
        if (pending_unk && !options_.fuse_unk) symbols.push_back(*pending_unk);
        pending_unk = unk_id_;
      }
    }
    pos += len;
  }
  if (pending_unk) symbols.push_back(*pending_unk);
}

// Lowest-rank pair first, leftmost among equal ranks, over a linked list of symbols
// with a heap of candidate merges: O(n log n) even for a whole sentencepiece-style text.
void BpeModel::MergeAll(TokenIds& symbols) const {
  const int n = static_cast<int>(symbols.size());
  if (n < 2) return;
  struct Candidate {
    std::int32_t rank;
    int pos;
    TokenId new_id;
    bool operator>(const Candidate& o) const {
      return rank != o.rank ? rank > o.rank : pos > o.pos;
    }
  };
  std::vector<int> prev(n), next(n);
  std::vector<bool> alive(n, true);
  std::vector<Candidate> storage;
  storage.reserve(static_cast<std::size_t>(n));
  std::priority_queue<Candidate, std::vector<Candidate>, std::greater<Candidate>> queue(
      std::greater<Candidate>(), std::move(storage));
  for (int i = 0; i < n; ++i) {
    prev[i] = i - 1;
    next[i] = i + 1 < n ? i + 1 : -1;
    if (i + 1 < n) {
      if (auto it = merges_.find(PairKey(symbols[i], symbols[i + 1])); it != merges_.end())
        queue.push({it->second.rank, i, it->second.new_id});
    }
  }
  while (!queue.empty()) {
    const Candidate top = queue.top();
    queue.pop();
    if (!alive[top.pos] || next[top.pos] < 0) continue;
    const int right = next[top.pos];
    // Stale entry: the pair at this position changed since it was queued.
    auto it = merges_.find(PairKey(symbols[top.pos], symbols[right]));
    if (it == merges_.end() || it->second.new_id != top.new_id) continue;
    symbols[top.pos] = top.new_id;
    alive[right] = false;
    next[top.pos] = next[right];
    if (next[right] >= 0) prev[next[right]] = top.pos;
    if (prev[top.pos] >= 0) {
      const int p = prev[top.pos];
      if (auto m = merges_.find(PairKey(symbols[p], symbols[top.pos])); m != merges_.end())
        queue.push({m->second.rank, p, m->second.new_id});
    }
    if (next[top.pos] >= 0) {
      if (auto m = merges_.find(PairKey(symbols[top.pos], symbols[next[top.pos]])); m != merges_.end())
        queue.push({m->second.rank, top.pos, m->second.new_id});
    }
  }
  int w = 0;
  for (int i = 0; i < n; ++i) {
    if (alive[i]) symbols[w++] = symbols[i];
  }
  symbols.resize(static_cast<std::size_t>(w));
}

void BpeModel::Tokenize(std::string_view word, TokenIds& out) const {
  if (word.empty()) return;
  const bool cacheable = word.size() <= kMaxCachedWordBytes;
  std::string key;
  if (cacheable) {
    key.assign(word);
    std::shared_lock lock(cache_mutex_);
    if (auto it = cache_.find(key); it != cache_.end()) {
      out.insert(out.end(), it->second.begin(), it->second.end());
      return;
    }
  }
  TokenIds symbols;
  bool whole = false;
  if (options_.ignore_merges) {
    if (auto it = vocab_.find(std::string(word)); it != vocab_.end()) {
      symbols.push_back(it->second);
      whole = true;
    }
  }
  if (!whole) {
    symbols.reserve(word.size());
    InitialSymbols(word, symbols);
    MergeAll(symbols);
  }
  out.insert(out.end(), symbols.begin(), symbols.end());
  if (cacheable) {
    std::unique_lock lock(cache_mutex_);
    if (cache_.size() < kMaxCacheEntries) cache_.emplace(std::move(key), std::move(symbols));
  }
}

}  // namespace kvb::tokenizer_internal
