// Batched decoding of N caches (the configurations of one sample): a batched step must
// give, per cache, what a step of that cache alone gives, and batched greedy generation
// the same tokens and caches as decoding each cache on its own. The configurations mix
// what makes batching hard: different budgets (ragged segments), query_head granularity
// (more segments), decode-time eviction (h2o, streamingllm in decode mode), and `full`.
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <memory>
#include <string>
#include <vector>

#include "methods/registry.h"
#include "model/decoder.h"
#include "model/generation.h"
#include "tests/model/model_test_util.h"

namespace kvb {
namespace {

constexpr std::int64_t kNewTokens = 10;

struct NamedConfig {
  std::string method;
  std::string params;  // YAML mapping
  std::int64_t budget;
};

// Budgets sit below the 40-token test prompt, above the methods' windows (8 here).
const std::vector<NamedConfig>& SweepConfigs() {
  static const std::vector<NamedConfig> configs = {
      {"full", "{}", 0},
      {"snapkv", "{window: 8}", 12},
      {"snapkv", "{window: 8}", 24},
      {"ada_snapkv", "{window: 8}", 16},
      {"pyramidkv", "{window: 8}", 16},
      {"snapkv", "{window: 8, granularity: query_head}", 16},
      {"streamingllm", "{mode: decode, sinks: 2}", 14},
      {"h2o", "{mode: decode, window: 8}", 14},
      {"h2o", "{window: 8}", 20},
  };
  return configs;
}

class BatchedDecode : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    dir_ = testing::TinyCheckpoint("batched_decode_" + GetParam(), GetParam());
    decoder_ = Decoder::Load(dir_, DecoderOptions{});
    for (const NamedConfig& c : SweepConfigs()) {
      methods_.push_back(CreateMethod(c.method, YAML::Load(c.params)));
      configs_.push_back({methods_.back().get(), c.budget});
    }
    for (int i = 0; i < 40; ++i) prompt_.push_back(static_cast<TokenId>((i * 37 + 11) % 250 + 3));
  }

  std::filesystem::path dir_;
  std::unique_ptr<Decoder> decoder_;
  std::vector<std::unique_ptr<EvictionMethod>> methods_;
  std::vector<CacheConfig> configs_;
  TokenIds prompt_;
};

TEST_P(BatchedDecode, StepEqualsSingleSteps) {
  PrefillResult batched = decoder_->Prefill(prompt_, configs_, kNewTokens);
  PrefillResult single = decoder_->Prefill(prompt_, configs_, kNewTokens);
  std::vector<SequenceState*> states;
  for (SequenceState& state : batched.sequences) states.push_back(&state);
  TokenId token = static_cast<TokenId>(batched.last_logits.argmax().item<std::int64_t>());
  for (int step = 0; step < 4; ++step) {
    const at::Tensor rows = decoder_->DecodeStep(states, TokenIds(states.size(), token));
    ASSERT_EQ(rows.size(0), static_cast<std::int64_t>(states.size()));
    for (size_t n = 0; n < states.size(); ++n) {
      const at::Tensor alone = decoder_->DecodeStep(single.sequences[n], token);
      const double scale = alone.abs().max().item<double>();
      EXPECT_LT((rows[n] - alone).abs().max().item<double>(), 1e-5 * scale) << "config " << n << " step " << step;
      EXPECT_EQ(batched.sequences[n].kv.TokensKept(), single.sequences[n].kv.TokensKept()) << "config " << n;
    }
    token = static_cast<TokenId>((token * 7 + 5) % 250 + 3);  // vary the fed tokens, not only the argmax
  }
}

TEST_P(BatchedDecode, GreedyBatchEqualsEachCacheAlone) {
  GenerationOptions options;
  options.max_new_tokens = kNewTokens;
  std::vector<SequenceState> together_states;
  const auto together = GenerateForConfigs(*decoder_, prompt_, configs_, options, nullptr, &together_states);
  ASSERT_EQ(together.size(), configs_.size());
  PrefillResult prefill = decoder_->Prefill(prompt_, configs_, kNewTokens);
  for (size_t n = 0; n < configs_.size(); ++n) {
    SCOPED_TRACE("config " + std::to_string(n) + " (" + SweepConfigs()[n].method + ")");
    const GenerationResult alone = GreedyDecode(*decoder_, prefill.sequences[n], prefill.last_logits, options, nullptr);
    EXPECT_EQ(together[n].tokens, alone.tokens);
    EXPECT_EQ(together_states[n].kv.TokensKept(), prefill.sequences[n].kv.TokensKept());
    EXPECT_EQ(together[n].tokens.size(), static_cast<size_t>(kNewTokens));
    EXPECT_GT(together[n].decode_ms, 0.0);
  }
}

// Sequences leave the batch at EOS: the others go on and still match decoding alone.
TEST_P(BatchedDecode, EarlyStopLeavesTheOthersUnchanged) {
  GenerationOptions plain;
  plain.max_new_tokens = kNewTokens;
  PrefillResult reference = decoder_->Prefill(prompt_, configs_, kNewTokens);
  std::vector<TokenIds> alone;
  for (SequenceState& state : reference.sequences) {
    alone.push_back(GreedyDecode(*decoder_, state, reference.last_logits, plain, nullptr).tokens);
  }
  // An EOS id that one config emits at some step but (ideally) not all of them do.
  GenerationOptions with_eos = plain;
  with_eos.eos_ids = {alone[1][3]};
  const auto together = GenerateForConfigs(*decoder_, prompt_, configs_, with_eos, nullptr);
  for (size_t n = 0; n < configs_.size(); ++n) {
    TokenIds expected;
    for (TokenId t : alone[n]) {
      if (t == with_eos.eos_ids[0]) break;
      expected.push_back(t);
    }
    EXPECT_EQ(together[n].tokens, expected) << "config " << n;
    EXPECT_EQ(together[n].stop_reason, expected.size() < alone[n].size() ? StopReason::kEos : StopReason::kMaxNewTokens);
  }
  EXPECT_LE(together[1].tokens.size(), 3u);
}

// min_new_tokens masks EOS for the first steps (transformers' semantics), then EOS ends.
TEST_P(BatchedDecode, MinNewTokensMasksEosUntilReached) {
  GenerationOptions plain;
  plain.max_new_tokens = kNewTokens;
  PrefillResult reference = decoder_->Prefill(prompt_, configs_, kNewTokens);
  const TokenIds alone = GreedyDecode(*decoder_, reference.sequences[0], reference.last_logits, plain, nullptr).tokens;
  GenerationOptions options = plain;
  options.eos_ids = {alone[0]};  // the very first token would end the sequence at once
  options.min_new_tokens = 3;
  const auto results = GenerateForConfigs(*decoder_, prompt_, {configs_[0]}, options, nullptr);
  ASSERT_GE(results[0].tokens.size(), 3u);
  EXPECT_NE(results[0].tokens[0], alone[0]);
  for (size_t i = 3; i < results[0].tokens.size(); ++i) EXPECT_NE(results[0].tokens[i], alone[0]);
  options.min_new_tokens = 0;
  EXPECT_TRUE(GenerateForConfigs(*decoder_, prompt_, {configs_[0]}, options, nullptr)[0].tokens.empty());
}

INSTANTIATE_TEST_SUITE_P(Architectures, BatchedDecode, ::testing::Values("llama", "qwen3"));

}  // namespace
}  // namespace kvb
