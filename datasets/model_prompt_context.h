// What datasets need from a checkpoint directory, loaded without the decoder:
// the tokenizer, the chat template, and the context limit from config.json.
#pragma once

#include <filesystem>
#include <memory>
#include <optional>

#include "datasets/dataset.h"
#include "model/tokenizer/chat_template.h"
#include "model/tokenizer/tokenizer.h"

namespace kvb {

// Renders one user turn with add_generation_prompt=true (what datasets wrap prompts in).
ChatRenderer MakeChatRenderer(const ChatTemplate& chat_template);

struct ModelPromptResources {
  std::unique_ptr<Tokenizer> tokenizer;
  std::optional<ChatTemplate> chat_template;  // nullopt: none, or turned off
  TokenCount context_limit = 0;

  // Borrows this object's members: keep it alive (and unmoved) while the context is used.
  PromptContext Context() const;
};

// `context_limit` > 0 overrides config.json's max_position_embeddings (an error names
// the file when neither is there). `use_chat_template` = false ignores the template.
ModelPromptResources LoadModelPromptResources(const std::filesystem::path& model_dir, bool use_chat_template,
                                              TokenCount context_limit = 0);

}  // namespace kvb
