// Chat templates from tokenizer_config.json, rendered as transformers'
// apply_chat_template(messages, tokenize=False, add_generation_prompt=...) does,
// through the Jinja subset interpreter in jinja.h.
#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace kvb {

namespace jinja {
class Template;
}

struct ChatMessage {
  std::string role;     // "system", "user", "assistant", ...
  std::string content;
};
using ChatMessages = std::vector<ChatMessage>;

class ChatTemplate {
 public:
  // The template of <dir>/tokenizer_config.json `chat_template` (a string, or a list
  // of {name, template} from which "default" is taken), else <dir>/chat_template.jinja;
  // nullopt when the directory has none. A template the interpreter cannot parse is an
  // error naming the file.
  static std::optional<ChatTemplate> FromDirectory(const std::filesystem::path& dir);

  // `origin` names the template in errors; bos/eos are the strings the template sees
  // as bos_token / eos_token.
  ChatTemplate(const std::string& source, std::string origin, std::string bos_token,
               std::string eos_token);
  ~ChatTemplate();
  ChatTemplate(ChatTemplate&&) noexcept;
  ChatTemplate& operator=(ChatTemplate&&) noexcept;

  // Throws kvb::Error when the template raises (e.g. roles that do not alternate) or
  // uses something the interpreter does not support; never falls back to plain text.
  std::string Render(const ChatMessages& messages, bool add_generation_prompt = true) const;

  const std::string& origin() const { return origin_; }

 private:
  std::unique_ptr<jinja::Template> template_;
  std::string origin_;
  std::string bos_token_, eos_token_;
};

}  // namespace kvb
