// Text <-> token ids, equal to the Python `tokenizers` package token for token.
// Torch-free: datasets use it to fit prompts to a length.
#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "util/types.h"

namespace kvb {

class Tokenizer {
 public:
  // Loads <dir>/tokenizer.json (or <dir>/tokenizer.model through sentencepiece) and
  // <dir>/tokenizer_config.json when present. Errors name the file and the key.
  static std::unique_ptr<Tokenizer> FromDirectory(const std::filesystem::path& dir);

  virtual ~Tokenizer() = default;

  // add_special_tokens: what the file's post-processor adds (BOS for Llama) as
  // `tokenizers`' encode(text, add_special_tokens=...) does.
  virtual TokenIds Encode(std::string_view text, bool add_special_tokens) const = 0;
  virtual std::string Decode(const TokenIds& ids, bool skip_special_tokens) const = 0;

  virtual std::int64_t vocab_size() const = 0;
  virtual std::optional<TokenId> TokenToId(std::string_view token) const = 0;
  virtual std::optional<TokenId> bos_id() const = 0;
  // EOS ids known to the tokenizer files (tokenizer_config.json eos_token); the model
  // adds those of config.json / generation_config.json.
  virtual TokenIds eos_ids() const = 0;

  // The vocabulary string of `id` (added tokens included), or nullopt for an id the
  // tokenizer does not have. For display (`kvbench tokenize --verbose`).
  virtual std::optional<std::string> IdToToken(TokenId id) const = 0;
};

}  // namespace kvb
