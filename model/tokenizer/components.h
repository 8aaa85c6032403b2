// The pipeline stages of a tokenizer.json (normalizer, pre-tokenizer, decoder), each
// built from its JSON node. Unknown types are errors naming the file and the JSON key.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace kvb::tokenizer_internal {

// Where a JSON node came from, for error messages: "<file>: normalizer.normalizers[1]".
struct JsonPlace {
  std::string file;
  std::string key;
  JsonPlace Child(const std::string& name) const { return {file, key + "." + name}; }
  JsonPlace Index(std::size_t i) const { return {file, key + "[" + std::to_string(i) + "]"}; }
};

class Normalizer {
 public:
  virtual ~Normalizer() = default;
  virtual void Apply(std::string& text) const = 0;
};

// A piece of text moving through pre-tokenization; `first` marks the piece that starts
// the input (Metaspace's prepend_scheme "first").
struct PreToken {
  std::string text;
  bool first = false;
};

class PreTokenizer {
 public:
  virtual ~PreTokenizer() = default;
  // Replaces `pieces` by their split (empty pieces are dropped).
  virtual void Apply(std::vector<PreToken>& pieces) const = 0;
  // True for ByteLevel: the model sees each byte as its GPT-2 printable character.
  virtual bool MapsBytes() const { return false; }
};

class Decoder {
 public:
  virtual ~Decoder() = default;
  virtual void Apply(std::vector<std::string>& tokens) const = 0;
};

// nullptr for a JSON null.
std::unique_ptr<Normalizer> MakeNormalizer(const nlohmann::json& node, const JsonPlace& place);
std::unique_ptr<PreTokenizer> MakePreTokenizer(const nlohmann::json& node, const JsonPlace& place);
std::unique_ptr<Decoder> MakeDecoder(const nlohmann::json& node, const JsonPlace& place);

// GPT-2's reversible byte <-> printable character map.
const std::string& ByteToChar(unsigned char byte);  // UTF-8 of the mapped character
// Appends the byte-level form of `text`.
void MapBytes(std::string_view text, std::string& out);

// Rust's String::from_utf8_lossy: each maximal invalid subsequence becomes U+FFFD.
std::string Utf8Lossy(std::string_view bytes);

}  // namespace kvb::tokenizer_internal
