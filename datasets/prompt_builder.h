// Helpers every dataset uses to turn text into the exact ids the model prefills:
// Python str.format, LongBench's middle truncation, the chat wrapper, the fit check.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "datasets/dataset.h"

namespace kvb {

using FormatFields = std::map<std::string, std::string, std::less<>>;

// Python `template.format(**fields)` for named fields: `{name}` is replaced (values
// are not re-parsed), `{{` and `}}` are literal braces. A field not in `fields`, a
// format spec or a lone brace is an Error naming `what` (Python raises there too).
std::string PyFormat(std::string_view template_text, const FormatFields& fields,
                     std::string_view what);

// LongBench's middle truncation (spec §1.4.1 step 3): ids = Encode(text, add_special);
// when there are more than `max_tokens` ids, returns Decode(ids[:half]) +
// Decode(ids[n-half:]) with half = max_tokens / 2 (floor); otherwise returns `text`
// unchanged. `skip_special_on_decode` is the decode flag (LongBench: true).
std::string MiddleTruncate(const Tokenizer& tokenizer, const std::string& text, TokenCount max_tokens,
                           bool add_special_tokens, bool skip_special_on_decode);

// Wraps `text` in the model's chat template when `context.chat` is set.
std::string WrapInChat(const PromptContext& context, const std::string& text);

// Encodes a prompt for prefill. Text the chat template rendered usually starts with
// the BOS text already (Llama-3 `<|begin_of_text|>`); then no second BOS is added.
TokenIds EncodePrompt(const PromptContext& context, const std::string& text, bool chat_wrapped);

// Throws kvb::Error naming `what` when prompt + max_new_tokens exceeds the context.
void RequireFits(const PromptContext& context, TokenCount prompt_tokens, TokenCount max_new_tokens,
                 std::string_view what);

// Validates that `context` has a tokenizer and a positive context limit.
void RequireUsableContext(const PromptContext& context, std::string_view dataset);

// "name:0123abcd": a template set's name plus a short hash of its exact text, so a
// changed template file shows up as a different version in every result row.
std::string TemplateSetVersion(std::string_view name, std::string_view content);

// 64-bit FNV-1a (stable across platforms; used for versions and per-sample seeds).
std::uint64_t Fnv1a64(std::string_view bytes, std::uint64_t seed = 1469598103934665603ULL);

}  // namespace kvb
