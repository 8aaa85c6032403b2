// Writes the JSON of a byte-level BPE tokenizer.json (GPT-2 byte alphabet, optional Split
// regexes before it, TemplateProcessing with a BOS or the ByteLevel post-processor), in
// the layout `tokenizers` itself saves. One builder for every writer: `kvbench
// make-model` (model/random_checkpoint.cpp) and the GGUF export (model/gguf/hf_export.cpp).
// Torch-free.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "util/types.h"

namespace kvb {

// Llama 3's pre-tokenizer regex: contractions, words, 1-3 digit runs, punctuation, spaces.
extern const char* const kLlama3SplitPattern;
// Qwen2/Qwen3's: as Llama 3's but every digit on its own.
extern const char* const kQwen2SplitPattern;

struct AddedTokenSpec {
  TokenId id = 0;
  std::string content;
  bool special = true;      // skipped by decode(skip_special_tokens=True)
  bool normalized = false;  // matched on the normalized text (tokenizers' flag)
};

struct ByteLevelBpeSpec {
  nlohmann::ordered_json vocab = nlohmann::ordered_json::object();  // token -> id, added tokens included
  nlohmann::ordered_json merges = nlohmann::ordered_json::array();  // "left right" strings, by rank
  std::vector<AddedTokenSpec> added_tokens;
  // Split(Regex, Isolated) steps applied in order before ByteLevel; empty: ByteLevel alone.
  std::vector<std::string> split_patterns;
  bool byte_level_regex = true;   // ByteLevel's own GPT-2 regex (off when a Split did the work)
  bool ignore_merges = false;     // a whole pre-token found in the vocabulary is one token (Llama 3)
  // A BOS prepended by TemplateProcessing; nullopt: the ByteLevel post-processor (adds nothing).
  std::optional<AddedTokenSpec> bos;
};

// The 256 symbols of the byte-level alphabet, indexed by byte ("Ġ" for ' ').
std::vector<std::string> ByteLevelAlphabet();

nlohmann::ordered_json BuildByteLevelBpeTokenizerJson(const ByteLevelBpeSpec& spec);

}  // namespace kvb
