// "One prefill, many caches": a single Prefill feeding N (method, budget) configurations
// gives exactly what N separate runs give; `full` equals the plain decoder bit for bit;
// each method sees the layer view the interface promises. Toy methods live here.
#include <gtest/gtest.h>

#include "methods/registry.h"
#include "model/decoder.h"
#include "model/generation.h"
#include "tests/model/model_test_util.h"
#include "util/error.h"

namespace kvb {
namespace {

constexpr std::int64_t kNewTokens = 12;

// Keeps the last `budget` prompt positions of every segment.
class KeepRecent : public EvictionMethod {
 public:
  explicit KeepRecent(Granularity granularity = Granularity::kKvHead) : granularity_(granularity) {}
  const std::string& name() const override { return name_; }
  Granularity granularity() const override { return granularity_; }
  KeptPositions SelectPrefill(const LayerView& view) override {
    const int segments = granularity_ == Granularity::kQueryHead ? view.shape.num_q_heads : view.shape.num_kv_heads;
    KeptPositions kept;
    kept.per_segment.resize(segments);
    for (std::int64_t p = std::max<std::int64_t>(0, view.prompt_length - view.budget); p < view.prompt_length; ++p) {
      for (auto& positions : kept.per_segment) positions.push_back(p);
    }
    return kept;
  }

 private:
  std::string name_ = "keep_recent";
  Granularity granularity_;
};

// Ragged per-head sets that depend on the layer and the keys, and checks the view.
class KeepByKeyNorm : public EvictionMethod {
 public:
  const std::string& name() const override { return name_; }
  void BeginPrompt(const ModelShape& shape, std::int64_t prompt_length, std::int64_t budget) override {
    began_ = true;
    next_layer_ = 0;
  }
  KeptPositions SelectPrefill(const LayerView& view) override {
    EXPECT_TRUE(began_);
    EXPECT_EQ(view.layer, next_layer_++);
    const std::int64_t L = view.prompt_length;
    EXPECT_EQ(view.queries.sizes(), (at::IntArrayRef{view.shape.num_q_heads, L, view.shape.head_dim}));
    EXPECT_EQ(view.keys.sizes(), (at::IntArrayRef{view.shape.num_kv_heads, L, view.shape.head_dim}));
    EXPECT_EQ(view.values.sizes(), view.keys.sizes());
    KeptPositions kept;
    const at::Tensor norms = view.keys.norm(2, -1);  // [H_kv, L]
    for (int h = 0; h < view.shape.num_kv_heads; ++h) {
      const std::int64_t count = std::min<std::int64_t>(L, view.budget + h + view.layer);  // ragged
      const at::Tensor top = std::get<0>(std::get<1>(norms[h].topk(count)).sort()).contiguous();
      std::vector<std::int64_t> positions(top.data_ptr<std::int64_t>(), top.data_ptr<std::int64_t>() + count);
      kept.per_segment.push_back(positions);
    }
    return kept;
  }

 private:
  std::string name_ = "keep_by_key_norm";
  bool began_ = false;
  int next_layer_ = 0;
};

struct CacheRun {
  TokenIds tokens;
  std::vector<std::vector<std::int32_t>> lengths;
  std::int64_t bytes = 0;
};

class PrefillMany : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { dir_ = new std::filesystem::path(testing::TinyCheckpoint("prefill_many")); }
  static std::filesystem::path* dir_;

  std::vector<CacheRun> Generate(Decoder& decoder, const std::vector<CacheConfig>& configs) {
    GenerationOptions options;
    options.max_new_tokens = kNewTokens;
    std::vector<SequenceState> states;
    const auto results = GenerateForConfigs(decoder, prompt_, configs, options, nullptr, &states);
    std::vector<CacheRun> runs;
    for (size_t i = 0; i < results.size(); ++i) {
      runs.push_back({results[i].tokens, states[i].kv.TokensKept(), states[i].kv.BytesHeld()});
    }
    return runs;
  }

  TokenIds prompt_ = {0, 40, 41, 42, 250, 251, 19, 77, 78, 79, 80, 3, 9, 100, 101, 300, 301, 302, 5, 6};
};
std::filesystem::path* PrefillMany::dir_ = nullptr;

TEST_F(PrefillMany, OnePrefillEqualsSeparateRuns) {
  auto decoder = Decoder::Load(*dir_, DecoderOptions{});
  // 4 methods x 5 budgets, as a sweep would run them.
  std::vector<std::unique_ptr<EvictionMethod>> methods;
  std::vector<CacheConfig> configs;
  for (std::int64_t budget : {2, 4, 7, 12, 30}) {
    methods.push_back(std::make_unique<KeepRecent>());
    configs.push_back({methods.back().get(), budget});
    methods.push_back(std::make_unique<KeepRecent>(Granularity::kQueryHead));
    configs.push_back({methods.back().get(), budget});
    methods.push_back(std::make_unique<KeepByKeyNorm>());
    configs.push_back({methods.back().get(), budget});
    configs.push_back({nullptr, 0});
  }
  const std::vector<CacheRun> together = Generate(*decoder, configs);
  ASSERT_EQ(together.size(), 20u);
  for (size_t i = 0; i < configs.size(); ++i) {
    SCOPED_TRACE("config " + std::to_string(i) + ", budget " + std::to_string(configs[i].budget));
    const CacheRun alone = Generate(*decoder, std::vector<CacheConfig>{configs[i]})[0];
    EXPECT_EQ(together[i].tokens, alone.tokens);
    EXPECT_EQ(together[i].lengths, alone.lengths);
    EXPECT_EQ(together[i].tokens.size(), static_cast<size_t>(kNewTokens));
  }
  // The caches differ where the methods do: budget 2 keeps 2 + 11 generated per segment.
  EXPECT_EQ(together[0].lengths[0], (std::vector<std::int32_t>{2 + kNewTokens - 1, 2 + kNewTokens - 1}));
  EXPECT_EQ(together[1].lengths[0].size(), 4u);  // query_head: one segment per query head
}

TEST_F(PrefillMany, BytesHeldFollowLengths) {
  auto decoder = Decoder::Load(*dir_, DecoderOptions{});
  KeepByKeyNorm method;
  const CacheRun run = Generate(*decoder, std::vector<CacheConfig>{CacheConfig{&method, 5}})[0];
  std::int64_t tokens = 0;
  for (const auto& layer : run.lengths) {
    for (auto n : layer) tokens += n;
  }
  EXPECT_EQ(run.bytes, tokens * decoder->config().head_dim * 2 * 4);
  // Layer 1, KV head 1 kept budget + 1 + 1 prompt tokens, then 11 generated ones.
  EXPECT_EQ(run.lengths[1][1], 5 + 1 + 1 + kNewTokens - 1);
}

TEST_F(PrefillMany, BudgetCoveringThePromptEqualsFull) {
  auto decoder = Decoder::Load(*dir_, DecoderOptions{});
  KeepRecent kv_head, query_head(Granularity::kQueryHead);
  const std::vector<CacheRun> outs = Generate(*decoder, std::vector<CacheConfig>{CacheConfig{nullptr, 0}, CacheConfig{&kv_head, 100}, CacheConfig{&query_head, 100}});
  EXPECT_EQ(outs[1].tokens, outs[0].tokens);
  EXPECT_EQ(outs[2].tokens, outs[0].tokens);
}

TEST_F(PrefillMany, FullMethodEqualsPlainDecoderBitForBit) {
  auto decoder = Decoder::Load(*dir_, DecoderOptions{});
  const auto full = CreateMethod("full");
  PrefillResult plain = decoder->Prefill(prompt_, std::vector<CacheConfig>{CacheConfig{nullptr, 0}}, kNewTokens);
  PrefillResult with_full = decoder->Prefill(prompt_, std::vector<CacheConfig>{CacheConfig{full.get(), 8}}, kNewTokens);
  ASSERT_TRUE(at::equal(plain.last_logits, with_full.last_logits));
  TokenId token = static_cast<TokenId>(plain.last_logits.argmax().item<std::int64_t>());
  for (int step = 0; step < kNewTokens - 1; ++step) {
    const at::Tensor a = decoder->DecodeStep(plain.sequences[0], token);
    const at::Tensor b = decoder->DecodeStep(with_full.sequences[0], token);
    ASSERT_TRUE(at::equal(a, b)) << "step " << step;
    token = static_cast<TokenId>(a.argmax().item<std::int64_t>());
  }
}

TEST_F(PrefillMany, EmptyPromptIsAnError) {
  auto decoder = Decoder::Load(*dir_, DecoderOptions{});
  EXPECT_THROW(decoder->Prefill(TokenIds{}, std::vector<CacheConfig>{CacheConfig{nullptr, 0}}, 4), Error);
}

}  // namespace
}  // namespace kvb
