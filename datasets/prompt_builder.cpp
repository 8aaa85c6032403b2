#include "datasets/prompt_builder.h"

#include <cstdio>

#include "model/tokenizer/tokenizer.h"
#include "util/error.h"

namespace kvb {

std::string PyFormat(std::string_view text, const FormatFields& fields, std::string_view what) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '{' && i + 1 < text.size() && text[i + 1] == '{') {
      out += '{';
      ++i;
    } else if (c == '}' && i + 1 < text.size() && text[i + 1] == '}') {
      out += '}';
      ++i;
    } else if (c == '{') {
      const std::size_t close = text.find('}', i);
      KVB_REQUIRE(close != std::string_view::npos, what, ": unmatched '{' at offset ", i);
      const std::string_view name = text.substr(i + 1, close - i - 1);
      KVB_REQUIRE(name.find_first_of(":!{[.") == std::string_view::npos, what,
                  ": format field '{", name, "}' is not a plain name (not supported)");
      const auto it = fields.find(name);
      KVB_REQUIRE(it != fields.end(), what, ": the template uses '{", name,
                  "}', which the record does not have");
      out += it->second;
      i = close;
    } else {
      KVB_REQUIRE(c != '}', what, ": single '}' at offset ", i, " (Python raises here)");
      out += c;
    }
  }
  return out;
}

std::string MiddleTruncate(const Tokenizer& tokenizer, const std::string& text, TokenCount max_tokens,
                           bool add_special_tokens, bool skip_special_on_decode) {
  const TokenIds ids = tokenizer.Encode(text, add_special_tokens);
  const auto n = static_cast<TokenCount>(ids.size());
  if (n <= max_tokens) return text;
  const TokenCount half = max_tokens / 2;
  const TokenIds head(ids.begin(), ids.begin() + half);
  const TokenIds tail(ids.end() - half, ids.end());
  return tokenizer.Decode(head, skip_special_on_decode) + tokenizer.Decode(tail, skip_special_on_decode);
}

std::string WrapInChat(const PromptContext& context, const std::string& text) {
  return context.chat ? context.chat(text) : text;
}

TokenIds EncodePrompt(const PromptContext& context, const std::string& text, bool chat_wrapped) {
  const Tokenizer& tokenizer = *context.tokenizer;
  bool add_special = true;
  if (chat_wrapped) {
    if (auto bos = tokenizer.bos_id()) {
      const std::string bos_text = tokenizer.Decode({*bos}, /*skip_special_tokens=*/false);
      if (!bos_text.empty() && text.rfind(bos_text, 0) == 0) add_special = false;
    }
  }
  return tokenizer.Encode(text, add_special);
}

void RequireFits(const PromptContext& context, TokenCount prompt_tokens, TokenCount max_new_tokens,
                 std::string_view what) {
  KVB_REQUIRE(prompt_tokens + max_new_tokens <= context.context_limit, what, ": the prompt (",
              prompt_tokens, " tokens) plus max_new_tokens (", max_new_tokens,
              ") does not fit the model's context of ", context.context_limit,
              " tokens; lower the length or the truncation limit (max_length)");
}

void RequireUsableContext(const PromptContext& context, std::string_view dataset) {
  KVB_REQUIRE(context.tokenizer != nullptr, "dataset '", dataset, "': no tokenizer given");
  KVB_REQUIRE(context.context_limit > 0, "dataset '", dataset, "': the model's context limit is ",
              context.context_limit);
}

std::uint64_t Fnv1a64(std::string_view bytes, std::uint64_t seed) {
  std::uint64_t hash = seed;
  for (unsigned char c : bytes) {
    hash ^= c;
    hash *= 1099511628211ULL;
  }
  return hash;
}

std::string TemplateSetVersion(std::string_view name, std::string_view content) {
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(Fnv1a64(content)));
  return StrCat(name, ":", std::string(hex, 8));
}

}  // namespace kvb
