// Greedy generation on top of Decoder: one prompt, one or many caches (one prefill).
#pragma once

#include <string>
#include <vector>

#include "model/decoder.h"
#include "model/tokenizer/tokenizer.h"

namespace kvb {

struct GenerationOptions {
  std::int64_t max_new_tokens = 128;
  TokenIds eos_ids;                       // any of them ends generation (not part of the output)
  std::vector<std::string> stop_strings;  // generation ends once the text contains one; text cut before it
};

enum class StopReason { kMaxNewTokens, kEos, kStopString };

struct GenerationResult {
  TokenIds tokens;   // generated ids, EOS excluded
  std::string text;  // decoded (skip special tokens), cut at a stop string; empty without a tokenizer
  StopReason stop_reason = StopReason::kMaxNewTokens;
};

const char* StopReasonName(StopReason reason);

// Greedy decoding of one prefilled cache. `tokenizer` may be null when there are no stop
// strings; then `text` stays empty.
GenerationResult GreedyDecode(Decoder& decoder, SequenceState& state, const at::Tensor& first_logits,
                              const GenerationOptions& options, const Tokenizer* tokenizer);

// One prefill feeding every config, then greedy decoding of each cache in turn.
// `states`, when given, receives the decoded caches (for kept-token reports).
std::vector<GenerationResult> GenerateForConfigs(Decoder& decoder, const TokenIds& prompt,
                                                 const std::vector<CacheConfig>& configs,
                                                 const GenerationOptions& options, const Tokenizer* tokenizer,
                                                 std::vector<SequenceState>* states = nullptr);

}  // namespace kvb
