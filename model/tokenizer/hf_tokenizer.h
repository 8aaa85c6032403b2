// Internal: the two tokenizer back-ends behind Tokenizer::FromDirectory.
#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "model/tokenizer/tokenizer.h"

namespace kvb::tokenizer_internal {

// bos_token / eos_token strings from tokenizer_config.json, when it has them.
struct SpecialTokenNames {
  std::optional<std::string> bos;
  std::optional<std::string> eos;
};

// tokenizer.json (the `tokenizers` format).
std::unique_ptr<Tokenizer> LoadHfTokenizer(const std::filesystem::path& file,
                                           const SpecialTokenNames& names);

// tokenizer.model (sentencepiece protobuf), through libsentencepiece.
std::unique_ptr<Tokenizer> LoadSentencePieceTokenizer(const std::filesystem::path& file,
                                                      const SpecialTokenNames& names,
                                                      bool add_bos);

}  // namespace kvb::tokenizer_internal
