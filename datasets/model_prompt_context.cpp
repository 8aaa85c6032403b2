#include "datasets/model_prompt_context.h"

#include "datasets/jsonl.h"
#include "util/error.h"

namespace kvb {

ChatRenderer MakeChatRenderer(const ChatTemplate& chat_template) {
  return [&chat_template](std::string_view user_text) {
    return chat_template.Render({{"user", std::string(user_text)}}, /*add_generation_prompt=*/true);
  };
}

PromptContext ModelPromptResources::Context() const {
  PromptContext context;
  context.tokenizer = tokenizer.get();
  if (chat_template) context.chat = MakeChatRenderer(*chat_template);
  context.context_limit = context_limit;
  return context;
}

ModelPromptResources LoadModelPromptResources(const std::filesystem::path& model_dir, bool use_chat_template,
                                              TokenCount context_limit) {
  ModelPromptResources resources;
  resources.tokenizer = Tokenizer::FromDirectory(model_dir);
  if (use_chat_template) resources.chat_template = ChatTemplate::FromDirectory(model_dir);
  resources.context_limit = context_limit;
  if (context_limit <= 0) {
    const auto config_file = model_dir / "config.json";
    KVB_REQUIRE(std::filesystem::is_regular_file(config_file), config_file.string(),
                ": not found; give the context limit explicitly");
    const auto config = ReadJsonFile(config_file);
    const auto it = config.find("max_position_embeddings");
    KVB_REQUIRE(it != config.end() && it->is_number_integer(), config_file.string(),
                ": no integer max_position_embeddings; give the context limit explicitly");
    resources.context_limit = it->get<TokenCount>();
  }
  return resources;
}

}  // namespace kvb
