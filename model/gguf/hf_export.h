// GGUF -> Hugging Face checkpoint directory: config.json, model.safetensors,
// tokenizer.json, tokenizer_config.json (with the chat template), generation_config.json.
#pragma once

#include <filesystem>
#include <string>

namespace kvb::gguf {

struct ExportOptions {
  std::string dtype = "BF16";  // safetensors dtype of the weights: "BF16" or "F32"
};

// Writes `out_dir` (created if needed). Errors name the GGUF file and the key or tensor.
void ExportToHuggingFace(const std::filesystem::path& gguf_path, const std::filesystem::path& out_dir,
                         const ExportOptions& options = {});

}  // namespace kvb::gguf
