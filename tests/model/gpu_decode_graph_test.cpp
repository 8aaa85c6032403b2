// CUDA graphs of the decode step: generation with graphs equals generation without them
// (same tokens, same caches), for one cache and for a batch whose members stop at
// different steps (the batch changes, so the graph is captured again). Label gpu.
#include <gtest/gtest.h>
#include <torch/cuda.h>
#include <yaml-cpp/yaml.h>

#include "methods/registry.h"
#include "model/decoder.h"
#include "model/generation.h"
#include "tests/model/model_test_util.h"

namespace kvb {
namespace {

struct GraphRun {
  std::vector<GenerationResult> results;
  std::vector<std::vector<std::vector<std::int32_t>>> kept;
};

GraphRun Generate(const std::filesystem::path& dir, bool graphs, const GenerationOptions& options) {
  DecoderOptions decoder_options;
  decoder_options.device = at::kCUDA;
  decoder_options.dtype = at::kFloat;
  decoder_options.cuda_graphs = graphs;
  auto decoder = Decoder::Load(dir, decoder_options);
  auto snapkv = CreateMethod("snapkv", YAML::Load("{window: 4}"));
  auto pyramid = CreateMethod("pyramidkv", YAML::Load("{window: 4}"));
  const std::vector<CacheConfig> configs = {{nullptr, 0}, {snapkv.get(), 10}, {pyramid.get(), 12}, {snapkv.get(), 20}};
  TokenIds prompt;
  for (int i = 0; i < 48; ++i) prompt.push_back((i * 29 + 7) % 250 + 3);
  GraphRun run;
  std::vector<SequenceState> states;
  // Two samples in a row: the second must not replay the first one's graph.
  for (int sample = 0; sample < 2; ++sample) {
    prompt[0] = 3 + sample;
    run.results = GenerateForConfigs(*decoder, prompt, configs, options, nullptr, &states);
  }
  for (const SequenceState& state : states) run.kept.push_back(state.kv.TokensKept());
  return run;
}

// qwen3 "small" has head_dim 64 (the decode kernel, graphs on); llama "tiny" head_dim 16
// (the ATen fallback, which must not be captured: graphs stay off and results still match).
class DecodeGraph : public ::testing::TestWithParam<std::pair<std::string, std::string>> {};

TEST_P(DecodeGraph, SameTokensAndCachesAsEagerDecoding) {
  if (!torch::cuda::is_available()) GTEST_SKIP() << "no CUDA device";
  const auto& [arch, preset] = GetParam();
  const auto dir = testing::TempDir("decode_graph_" + arch) / preset;
  RandomCheckpointOptions checkpoint;
  checkpoint.arch = arch;
  checkpoint.preset = preset;
  checkpoint.seed = 11;
  checkpoint.dtype = "F32";
  WriteRandomCheckpoint(dir, checkpoint);
  GenerationOptions options;
  options.max_new_tokens = 12;
  const GraphRun eager = Generate(dir, false, options);
  const GraphRun graphed = Generate(dir, true, options);
  ASSERT_EQ(eager.results.size(), graphed.results.size());
  for (size_t n = 0; n < eager.results.size(); ++n) {
    EXPECT_EQ(graphed.results[n].tokens, eager.results[n].tokens) << "config " << n;
    EXPECT_EQ(graphed.kept[n], eager.kept[n]) << "config " << n;
  }
  // An EOS one config emits early: the batch shrinks and is captured again.
  options.eos_ids = {eager.results[1].tokens[4]};
  const GraphRun eager_eos = Generate(dir, false, options);
  const GraphRun graphed_eos = Generate(dir, true, options);
  for (size_t n = 0; n < eager_eos.results.size(); ++n) {
    EXPECT_EQ(graphed_eos.results[n].tokens, eager_eos.results[n].tokens) << "config " << n << " with EOS";
    EXPECT_EQ(graphed_eos.kept[n], eager_eos.kept[n]) << "config " << n << " with EOS";
  }
}

INSTANTIATE_TEST_SUITE_P(Models, DecodeGraph,
                         ::testing::Values(std::make_pair(std::string("qwen3"), std::string("small")),
                                           std::make_pair(std::string("llama"), std::string("tiny"))));

}  // namespace
}  // namespace kvb
