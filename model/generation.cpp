#include "model/generation.h"

#include <algorithm>
#include <chrono>
#include <limits>

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

namespace {

using Clock = std::chrono::steady_clock;

void SynchronizeDevice(const at::Tensor& on_device) {
  // .item() of a value computed last waits for every queued kernel of the stream.
  if (!on_device.is_cpu()) (void)on_device.sum().item<float>();
}

// Active sequences have all generated `step` tokens: below min_new_tokens none may end.
at::Tensor WithoutEosBefore(const at::Tensor& logits, std::int64_t step, const GenerationOptions& options) {
  if (step >= options.min_new_tokens || options.eos_ids.empty()) return logits;
  std::vector<std::int64_t> ids(options.eos_ids.begin(), options.eos_ids.end());
  const at::Tensor eos = at::tensor(ids, at::TensorOptions().dtype(at::kLong)).to(logits.device());
  return logits.clone().index_fill_(-1, eos, -std::numeric_limits<float>::infinity());
}

// Appends `token` to `result`; true when the sequence ends here (EOS or a stop string).
bool Accept(TokenId token, const GenerationOptions& options, const Tokenizer* tokenizer, GenerationResult& result) {
  if (std::find(options.eos_ids.begin(), options.eos_ids.end(), token) != options.eos_ids.end()) {
    result.stop_reason = StopReason::kEos;
    return true;
  }
  result.tokens.push_back(token);
  if (options.stop_strings.empty()) return false;
  const std::string text = tokenizer->Decode(result.tokens, /*skip_special_tokens=*/true);
  size_t cut = std::string::npos;
  for (const std::string& stop : options.stop_strings) cut = std::min(cut, text.find(stop));
  if (cut == std::string::npos) return false;
  result.text = text.substr(0, cut);
  result.stop_reason = StopReason::kStopString;
  return true;
}

}  // namespace

GenerationResult GreedyDecode(Decoder& decoder, SequenceState& state, const at::Tensor& first_logits,
                              const GenerationOptions& options, const Tokenizer* tokenizer) {
  return GreedyDecodeBatch(decoder, {&state}, first_logits, options, tokenizer)[0];
}

std::vector<GenerationResult> GreedyDecodeBatch(Decoder& decoder, const std::vector<SequenceState*>& states,
                                                const at::Tensor& first_logits, const GenerationOptions& options,
                                                const Tokenizer* tokenizer) {
  KVB_REQUIRE(tokenizer != nullptr || options.stop_strings.empty(), "stop strings need a tokenizer");
  std::vector<GenerationResult> results(states.size());
  std::vector<size_t> active(states.size());
  for (size_t n = 0; n < active.size(); ++n) active[n] = n;
  // Row i of `logits` belongs to sequence active[i]; all start from the prompt's logits.
  at::Tensor logits = first_logits.unsqueeze(0).expand({static_cast<std::int64_t>(active.size()), -1});
  for (std::int64_t step = 0; step < options.max_new_tokens && !active.empty(); ++step) {
    // The one host sync per step: the next tokens decide who stops.
    const at::Tensor next = WithoutEosBefore(logits, step, options).argmax(-1).cpu();
    const std::int64_t* next_tokens = next.data_ptr<std::int64_t>();
    std::vector<size_t> still_active;
    std::vector<SequenceState*> batch;
    TokenIds tokens;
    for (size_t i = 0; i < active.size(); ++i) {
      const auto token = static_cast<TokenId>(next_tokens[i]);
      if (Accept(token, options, tokenizer, results[active[i]])) continue;
      if (step + 1 == options.max_new_tokens) continue;
      still_active.push_back(active[i]);
      batch.push_back(states[active[i]]);
      tokens.push_back(token);
    }
    active = std::move(still_active);
    if (active.empty()) break;
    const auto start = Clock::now();
    logits = decoder.DecodeStep(batch, tokens);
    SynchronizeDevice(logits);
    const double step_ms = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
    for (size_t n : active) results[n].decode_ms += step_ms;
  }
  for (GenerationResult& result : results) {
    if (tokenizer != nullptr && result.stop_reason != StopReason::kStopString) {
      result.text = tokenizer->Decode(result.tokens, /*skip_special_tokens=*/true);
    }
  }
  return results;
}

std::vector<GenerationResult> GenerateForConfigs(Decoder& decoder, const TokenIds& prompt,
                                                 const std::vector<CacheConfig>& configs,
                                                 const GenerationOptions& options, const Tokenizer* tokenizer,
                                                 std::vector<SequenceState>* states) {
  PrefillResult prefill = decoder.Prefill(prompt, configs, options.max_new_tokens);
  std::vector<SequenceState*> batch;
  for (SequenceState& state : prefill.sequences) batch.push_back(&state);
  std::vector<GenerationResult> results = GreedyDecodeBatch(decoder, batch, prefill.last_logits, options, tokenizer);
  if (states != nullptr) *states = std::move(prefill.sequences);
  return results;
}

}  // namespace kvb
