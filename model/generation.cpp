#include "model/generation.h"

#include <algorithm>

#include "util/error.h"

namespace kvb {

const char* StopReasonName(StopReason reason) {
  switch (reason) {
    case StopReason::kMaxNewTokens:
      return "max_new_tokens";
    case StopReason::kEos:
      return "eos";
    case StopReason::kStopString:
      return "stop_string";
  }
  return "?";
}

GenerationResult GreedyDecode(Decoder& decoder, SequenceState& state, const at::Tensor& first_logits,
                              const GenerationOptions& options, const Tokenizer* tokenizer) {
  KVB_REQUIRE(tokenizer != nullptr || options.stop_strings.empty(), "stop strings need a tokenizer");
  GenerationResult result;
  at::Tensor logits = first_logits;
  for (std::int64_t step = 0; step < options.max_new_tokens; ++step) {
    // The one host sync per step: the next token decides whether to stop.
    const auto token = static_cast<TokenId>(logits.argmax().item<std::int64_t>());
    if (std::find(options.eos_ids.begin(), options.eos_ids.end(), token) != options.eos_ids.end()) {
      result.stop_reason = StopReason::kEos;
      break;
    }
    result.tokens.push_back(token);
    if (!options.stop_strings.empty()) {
      const std::string text = tokenizer->Decode(result.tokens, /*skip_special_tokens=*/true);
      size_t cut = std::string::npos;
      for (const std::string& stop : options.stop_strings) cut = std::min(cut, text.find(stop));
      if (cut != std::string::npos) {
        result.text = text.substr(0, cut);
        result.stop_reason = StopReason::kStopString;
        return result;
      }
    }
    if (step + 1 < options.max_new_tokens) logits = decoder.DecodeStep(state, token);
  }
  if (tokenizer != nullptr) result.text = tokenizer->Decode(result.tokens, /*skip_special_tokens=*/true);
  return result;
}

std::vector<GenerationResult> GenerateForConfigs(Decoder& decoder, const TokenIds& prompt,
                                                 const std::vector<CacheConfig>& configs,
                                                 const GenerationOptions& options, const Tokenizer* tokenizer,
                                                 std::vector<SequenceState>* states) {
  PrefillResult prefill = decoder.Prefill(prompt, configs, options.max_new_tokens);
  std::vector<GenerationResult> results;
  for (SequenceState& state : prefill.sequences) {
    results.push_back(GreedyDecode(decoder, state, prefill.last_logits, options, tokenizer));
  }
  if (states != nullptr) *states = std::move(prefill.sequences);
  return results;
}

}  // namespace kvb
