#include "model/tokenizer/chat_template.h"

#include <nlohmann/json.hpp>

#include "model/tokenizer/jinja.h"
#include "util/error.h"
#include "util/file.h"

namespace kvb {
namespace {

std::string TokenString(const nlohmann::json& config, const char* key) {
  if (!config.contains(key)) return "";
  const auto& v = config.at(key);
  if (v.is_string()) return v.get<std::string>();
  if (v.is_object() && v.contains("content") && v.at("content").is_string())
    return v.at("content").get<std::string>();
  return "";
}

}  // namespace

std::optional<ChatTemplate> ChatTemplate::FromDirectory(const std::filesystem::path& dir) {
  const auto config_file = dir / "tokenizer_config.json";
  nlohmann::json config = nlohmann::json::object();
  if (std::filesystem::exists(config_file)) {
    try {
      config = nlohmann::json::parse(ReadFile(config_file));
    } catch (const nlohmann::json::exception& e) {
      throw Error(StrCat(config_file.string(), ": invalid JSON: ", e.what()));
    }
  }
  const std::string bos = TokenString(config, "bos_token"), eos = TokenString(config, "eos_token");
  const nlohmann::json& t = config.contains("chat_template") ? config.at("chat_template") : nlohmann::json();
  const std::string origin = config_file.string() + " chat_template";
  if (t.is_string()) return ChatTemplate(t.get<std::string>(), origin, bos, eos);
  if (t.is_array()) {
    for (std::size_t i = 0; i < t.size(); ++i) {
      KVB_REQUIRE(t[i].is_object() && t[i].contains("name") && t[i].contains("template"),
                  config_file.string(), ": chat_template[", i, "] needs name and template");
      if (t[i].at("name") == "default")
        return ChatTemplate(t[i].at("template").get<std::string>(), origin + "[default]", bos, eos);
    }
    throw Error(StrCat(config_file.string(), ": chat_template is a list without a 'default' entry"));
  }
  KVB_REQUIRE(t.is_null(), config_file.string(), ": chat_template must be a string or a list");
  const auto jinja_file = dir / "chat_template.jinja";
  if (std::filesystem::exists(jinja_file))
    return ChatTemplate(ReadFile(jinja_file), jinja_file.string(), bos, eos);
  return std::nullopt;
}

ChatTemplate::ChatTemplate(const std::string& source, std::string origin, std::string bos_token,
                           std::string eos_token)
    : template_(std::make_unique<jinja::Template>(source, origin)),
      origin_(std::move(origin)),
      bos_token_(std::move(bos_token)),
      eos_token_(std::move(eos_token)) {}

ChatTemplate::~ChatTemplate() = default;
ChatTemplate::ChatTemplate(ChatTemplate&&) noexcept = default;
ChatTemplate& ChatTemplate::operator=(ChatTemplate&&) noexcept = default;

std::string ChatTemplate::Render(const ChatMessages& messages, bool add_generation_prompt) const {
  using jinja::Value;
  jinja::ValueList list;
  for (const ChatMessage& m : messages)
    list.push_back(Value::Dict({{"role", Value::String(m.role)}, {"content", Value::String(m.content)}}));
  // The variables transformers passes: messages, tools (None), documents (None),
  // add_generation_prompt, and the special tokens.
  const Value context = Value::Dict({{"messages", Value::List(std::move(list))},
                                     {"tools", Value::None()},
                                     {"documents", Value::None()},
                                     {"add_generation_prompt", Value::Bool(add_generation_prompt)},
                                     {"bos_token", Value::String(bos_token_)},
                                     {"eos_token", Value::String(eos_token_)}});
  return template_->Render(context);
}

}  // namespace kvb
