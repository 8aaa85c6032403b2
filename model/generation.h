// Greedy generation on top of Decoder: one prompt, one or many caches (one prefill).
#pragma once

#include <string>
#include <vector>

#include "model/decoder.h"
#include "model/tokenizer/tokenizer.h"

namespace kvb {

struct GenerationOptions {
  std::int64_t max_new_tokens = 128;
  // EOS ids cannot be chosen before this many tokens (transformers' min_new_tokens: their
  // logits are set to -inf); stop strings still apply.
  std::int64_t min_new_tokens = 0;
  TokenIds eos_ids;                       // any of them ends generation (not part of the output)
  std::vector<std::string> stop_strings;  // generation ends once the text contains one; text cut before it
};

enum class StopReason { kMaxNewTokens, kEos, kStopString };

struct GenerationResult {
  TokenIds tokens;   // generated ids, EOS excluded
  std::string text;  // decoded (skip special tokens), cut at a stop string; empty without a tokenizer
  StopReason stop_reason = StopReason::kMaxNewTokens;
  // Wall time of the decode steps this sequence took part in (device synchronised at the
  // end of each step). Under batched decoding a step serves every active sequence, so
  // this is the time the sequence waited for, not a share of it.
  double decode_ms = 0.0;
};

const char* StopReasonName(StopReason reason);

// Greedy decoding of one prefilled cache. `tokenizer` may be null when there are no stop
// strings; then `text` stays empty.
GenerationResult GreedyDecode(Decoder& decoder, SequenceState& state, const at::Tensor& first_logits,
                              const GenerationOptions& options, const Tokenizer* tokenizer);

// Greedy decoding of N caches prefilled from the same prompt, as one batch: every step
// feeds the still-active sequences together (Decoder's batched DecodeStep); a sequence
// leaves the batch at EOS, a stop string or max_new_tokens. `first_logits` [vocab] is the
// prompt's last logits, shared by all. Each result equals GreedyDecode of that cache
// alone, up to the rounding of batched matmuls.
std::vector<GenerationResult> GreedyDecodeBatch(Decoder& decoder, const std::vector<SequenceState*>& states,
                                                const at::Tensor& first_logits, const GenerationOptions& options,
                                                const Tokenizer* tokenizer);

// One prefill feeding every config, then batched greedy decoding of all the caches.
// `states`, when given, receives the decoded caches (for kept-token reports).
std::vector<GenerationResult> GenerateForConfigs(Decoder& decoder, const TokenIds& prompt,
                                                 const std::vector<CacheConfig>& configs,
                                                 const GenerationOptions& options, const Tokenizer* tokenizer,
                                                 std::vector<SequenceState>* states = nullptr);

}  // namespace kvb
