#include "model/tokenizer/tokenizer.h"

#include <nlohmann/json.hpp>

#include "model/tokenizer/hf_tokenizer.h"
#include "util/error.h"
#include "util/file.h"

namespace kvb {
namespace {

// A special token in tokenizer_config.json is a string or {"content": "..."}.
std::optional<std::string> TokenName(const nlohmann::json& config, const char* key) {
  if (!config.contains(key)) return std::nullopt;
  const auto& v = config.at(key);
  if (v.is_string()) return v.get<std::string>();
  if (v.is_object() && v.contains("content") && v.at("content").is_string())
    return v.at("content").get<std::string>();
  return std::nullopt;
}

}  // namespace

std::unique_ptr<Tokenizer> Tokenizer::FromDirectory(const std::filesystem::path& dir) {
  const auto json_file = dir / "tokenizer.json";
  const auto model_file = dir / "tokenizer.model";
  const auto config_file = dir / "tokenizer_config.json";
  tokenizer_internal::SpecialTokenNames names;
  bool add_bos = true;
  if (std::filesystem::exists(config_file)) {
    nlohmann::json config;
    try {
      config = nlohmann::json::parse(ReadFile(config_file));
    } catch (const nlohmann::json::exception& e) {
      throw Error(StrCat(config_file.string(), ": invalid JSON: ", e.what()));
    }
    names.bos = TokenName(config, "bos_token");
    names.eos = TokenName(config, "eos_token");
    if (config.contains("add_bos_token") && config.at("add_bos_token").is_boolean())
      add_bos = config.at("add_bos_token").get<bool>();
  }
  if (std::filesystem::exists(json_file)) return tokenizer_internal::LoadHfTokenizer(json_file, names);
  if (std::filesystem::exists(model_file))
    return tokenizer_internal::LoadSentencePieceTokenizer(model_file, names, add_bos);
  throw Error(StrCat(dir.string(), ": no tokenizer.json or tokenizer.model"));
}

}  // namespace kvb
