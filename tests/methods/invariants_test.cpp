// Invariants of every registered method on real runs (TinyStories from ../shared and a
// make-model tiny GQA llama): one prefill feeds every (method, budget) configuration,
// then batched greedy decoding.
//  - each segment's length is within its capacity, and within the budget after prefill;
//  - bytes held == sum(lengths) x head_dim x 2 x dtype size;
//  - a budget >= the prompt length generates exactly what `full` generates;
//  - granularity: query_head keeps, per query head, what the method keeps on the same
//    layer with K/V repeated per query head (the references' repeat_kv);
//  - decode-mode methods (streamingllm, h2o) evict one token per step once full and
//    stay at the budget; streamingllm keeps its sinks' rows untouched.
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <fstream>
#include <map>

#include "methods/head_detection.h"
#include "methods/registry.h"
#include "model/decoder.h"
#include "model/generation.h"
#include "model/random_checkpoint.h"
#include "tests/common/test_env.h"
#include "util/error.h"

namespace kvb {
namespace {

constexpr std::int64_t kPromptLength = 96;
constexpr std::int64_t kNewTokens = 6;
const std::vector<std::int64_t> kBudgets = {40, 72};  // above the default window (32), below L

struct TestModel {
  std::string name;
  std::unique_ptr<Decoder> decoder;
};

std::filesystem::path RandomModelDir() {
  static const std::filesystem::path dir = [] {
    auto out = testing::TempDir("methods_invariants") / "llama_tiny_gqa";
    RandomCheckpointOptions options;
    options.arch = "llama";
    options.preset = "tiny";
    options.seed = 7;
    options.dtype = "F32";
    WriteRandomCheckpoint(out, options);
    return out;
  }();
  return dir;
}

std::vector<TestModel> Models() {
  std::vector<TestModel> models;
  DecoderOptions options;  // CPU, fp32
  if (auto tiny = testing::SharedPath("models/tinystories-656K"))
    models.push_back({"tinystories", Decoder::Load(*tiny, options)});
  models.push_back({"random-llama-gqa", Decoder::Load(RandomModelDir(), options)});
  return models;
}

TokenIds Prompt(const Decoder& decoder, std::uint64_t seed) {
  at::manual_seed(seed);
  const at::Tensor ids = at::randint(3, decoder.config().vocab_size, {kPromptLength}, at::kLong);
  TokenIds prompt;
  for (std::int64_t i = 0; i < kPromptLength; ++i) prompt.push_back(static_cast<TokenId>(ids[i].item<std::int64_t>()));
  return prompt;
}

// headkv needs a score file of the model's shape: synthetic, fixed-seed importances.
std::string HeadScoreFileFor(const ModelShape& shape, const std::string& name) {
  at::manual_seed(11);
  const at::Tensor means = at::rand({shape.num_layers * shape.num_q_heads}, at::kDouble);
  std::string json = "{";
  for (int l = 0; l < shape.num_layers; ++l)
    for (int h = 0; h < shape.num_q_heads; ++h)
      json += StrCat(l || h ? ", " : "", "\"", l, "-", h, "\": [", means[l * shape.num_q_heads + h].item<double>(), "]");
  const auto path = testing::TempDir("methods_invariants_" + name) / "scores.json";
  std::ofstream(path) << json << "}\n";
  return path.string();
}

YAML::Node DefaultParams(const std::string& method, const std::string& score_file) {
  if (method == "headkv") return YAML::Load(StrCat("{heads: \"", score_file, "\"}"));
  return YAML::Node();
}

std::int64_t DtypeBytes(const LayerKV& layer) { return static_cast<std::int64_t>(layer.keys.element_size()); }

void ExpectCacheInvariants(const SequenceState& state, const std::string& what) {
  for (int l = 0; l < state.kv.num_layers(); ++l) {
    const LayerKV& layer = state.kv.layer(l);
    std::int64_t tokens = 0;
    for (int s = 0; s < layer.num_segments(); ++s) {
      EXPECT_LE(layer.host_length[s], layer.host_capacity[s]) << what << " layer " << l << " segment " << s;
      tokens += layer.host_length[s];
    }
    EXPECT_EQ(layer.BytesHeld(), tokens * layer.head_dim() * 2 * DtypeBytes(layer)) << what << " layer " << l;
    EXPECT_EQ(layer.length.to(at::kCPU).sum().item<std::int64_t>(), tokens) << what << " device/host lengths";
  }
}

// Keys of the first 4 rows (StreamingLLM's default sinks) of every segment.
at::Tensor SinkRows(const LayerKV& layer) {
  std::vector<int64_t> rows;
  for (int s = 0; s < layer.num_segments(); ++s)
    for (int j = 0; j < 4; ++j) rows.push_back(layer.host_offset[s] + j);
  return layer.keys.index_select(0, at::tensor(rows)).clone();
}

class InvariantsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { models_ = new std::vector<TestModel>(Models()); }
  static void TearDownTestSuite() { delete models_; }
  static std::vector<TestModel>* models_;
};
std::vector<TestModel>* InvariantsTest::models_ = nullptr;

TEST_F(InvariantsTest, EveryMethodKeepsLengthsWithinCapacityAndBytesExact) {
  for (TestModel& model : *models_) {
    Decoder& decoder = *model.decoder;
    const std::string scores = HeadScoreFileFor(decoder.config().shape(), model.name);
    std::vector<std::unique_ptr<EvictionMethod>> methods;
    std::vector<CacheConfig> configs;
    std::vector<std::string> names;
    for (const std::string& name : MethodRegistry::Get().Names())
      for (std::int64_t budget : kBudgets) {
        methods.push_back(CreateMethod(name, DefaultParams(name, scores)));
        configs.push_back({methods.back().get(), budget});
        names.push_back(StrCat(model.name, " ", name, " B=", budget));
      }
    GenerationOptions options;
    options.max_new_tokens = kNewTokens;
    std::vector<SequenceState> states;
    GenerateForConfigs(decoder, Prompt(decoder, 1), configs, options, nullptr, &states);
    ASSERT_EQ(states.size(), configs.size());
    for (std::size_t c = 0; c < configs.size(); ++c) {
      ExpectCacheInvariants(states[c], names[c]);
      const std::string& method = configs[c].method->name();
      // Uniform methods keep exactly B per segment; the others share B across heads or
      // layers (PyramidKV's integer schedule over-allocates by spec, P1).
      if (method == "snapkv" || method == "streamingllm" || method == "h2o") {
        for (const auto& kept : states[c].kept)
          for (const auto& positions : kept.per_segment)
            EXPECT_EQ(static_cast<std::int64_t>(positions.size()), configs[c].budget) << names[c];
      }
      if (method == "full") {
        for (const auto& kept : states[c].kept)
          for (const auto& positions : kept.per_segment)
            EXPECT_EQ(static_cast<std::int64_t>(positions.size()), kPromptLength) << names[c];
      }
    }
  }
}

TEST_F(InvariantsTest, BudgetAtLeastThePromptGeneratesWhatFullGenerates) {
  for (TestModel& model : *models_) {
    Decoder& decoder = *model.decoder;
    const std::string scores = HeadScoreFileFor(decoder.config().shape(), model.name);
    const TokenIds prompt = Prompt(decoder, 2);
    GenerationOptions options;
    options.max_new_tokens = kNewTokens;
    const auto full = GenerateForConfigs(decoder, prompt, {CacheConfig{}}, options, nullptr);
    std::vector<std::unique_ptr<EvictionMethod>> methods;
    std::vector<CacheConfig> configs;
    std::vector<std::string> names;
    for (const std::string& name : MethodRegistry::Get().Names())
      for (std::int64_t budget : {kPromptLength, kPromptLength + 40}) {
        methods.push_back(CreateMethod(name, DefaultParams(name, scores)));
        configs.push_back({methods.back().get(), budget});
        names.push_back(StrCat(model.name, " ", name, " B=", budget));
      }
    std::vector<SequenceState> states;
    const auto results = GenerateForConfigs(decoder, prompt, configs, options, nullptr, &states);
    for (std::size_t c = 0; c < configs.size(); ++c) {
      EXPECT_EQ(results[c].tokens, full[0].tokens) << names[c];
      for (const auto& kept : states[c].kept)
        for (const auto& positions : kept.per_segment)
          EXPECT_EQ(static_cast<std::int64_t>(positions.size()), kPromptLength) << names[c];
    }
  }
}

// Wraps a method and keeps a copy of each layer's view, to replay the selection offline.
class RecordingMethod : public EvictionMethod {
 public:
  explicit RecordingMethod(std::unique_ptr<EvictionMethod> inner) : inner_(std::move(inner)) {}
  Granularity granularity() const override { return inner_->granularity(); }
  void BeginPrompt(const ModelShape& shape, std::int64_t length, std::int64_t budget) override {
    inner_->BeginPrompt(shape, length, budget);
  }
  KeptPositions SelectPrefill(const LayerView& view) override {
    LayerView copy = view;
    copy.queries = view.queries.clone(), copy.keys = view.keys.clone(), copy.values = view.values.clone();
    views.push_back(copy);
    return inner_->SelectPrefill(view);
  }
  std::vector<LayerView> views;

 private:
  std::unique_ptr<EvictionMethod> inner_;
};

// The view a repeat_kv reference sees: every query head has its own copy of its KV head.
LayerView RepeatedKv(LayerView view) {
  const int group = view.shape.group_size();
  view.keys = view.keys.repeat_interleave(group, 0);
  view.values = view.values.repeat_interleave(group, 0);
  view.shape.num_kv_heads = view.shape.num_q_heads;
  return view;
}

TEST_F(InvariantsTest, QueryHeadEqualsTheRepeatedKvSelection) {
  for (TestModel& model : *models_) {
    Decoder& decoder = *model.decoder;
    const ModelShape shape = decoder.config().shape();
    ASSERT_GT(shape.group_size(), 1) << model.name << " must be GQA for this test to mean something";
    const std::string scores = HeadScoreFileFor(shape, model.name);
    for (const std::string& name : MethodRegistry::Get().Names()) {
      if (MethodRegistry::Get().Find(name).schema.Find("granularity") == nullptr) continue;
      YAML::Node params = DefaultParams(name, scores);
      params["granularity"] = "query_head";
      auto recording = std::make_unique<RecordingMethod>(CreateMethod(name, params));
      RecordingMethod& recorder = *recording;
      const std::int64_t budget = kBudgets[0];
      PrefillResult prefill = decoder.Prefill(Prompt(decoder, 3), {CacheConfig{recording.get(), budget}}, 1);
      ASSERT_EQ(static_cast<int>(recorder.views.size()), shape.num_layers) << name;
      YAML::Node kv_params = DefaultParams(name, scores);
      kv_params["granularity"] = "kv_head";
      auto reference = CreateMethod(name, kv_params);
      reference->BeginPrompt(RepeatedKv(recorder.views[0]).shape, kPromptLength, budget);
      for (int l = 0; l < shape.num_layers; ++l) {
        const KeptPositions expected = reference->SelectPrefill(RepeatedKv(recorder.views[l]));
        ASSERT_EQ(prefill.sequences[0].kept[l].num_segments(), shape.num_q_heads) << name;
        EXPECT_EQ(prefill.sequences[0].kept[l].per_segment, expected.per_segment) << model.name << " " << name
                                                                                   << " layer " << l;
        const LayerKV& cache = prefill.sequences[0].kv.layer(l);
        EXPECT_EQ(cache.num_segments(), shape.num_q_heads) << name;
      }
    }
  }
}

TEST_F(InvariantsTest, DecodeModeMethodsEvictOnePerStepAndStayAtTheBudget) {
  constexpr std::int64_t kSteps = 12;
  for (TestModel& model : *models_) {
    Decoder& decoder = *model.decoder;
    for (const char* name : {"streamingllm", "h2o"}) {
      auto method = CreateMethod(name, YAML::Load("{mode: decode}"));
      const std::int64_t budget = kBudgets[0];
      PrefillResult prefill = decoder.Prefill(Prompt(decoder, 4), {CacheConfig{method.get(), budget}}, kSteps);
      SequenceState& state = prefill.sequences[0];
      std::vector<at::Tensor> sinks;  // streamingllm: the first 4 rows of every segment
      for (int l = 0; l < state.kv.num_layers(); ++l) sinks.push_back(SinkRows(state.kv.layer(l)));
      at::Tensor logits = prefill.last_logits;
      for (std::int64_t step = 0; step < kSteps; ++step) {
        logits = decoder.DecodeStep(state, static_cast<TokenId>(logits.argmax().item<std::int64_t>()));
        for (int l = 0; l < state.kv.num_layers(); ++l) {
          const LayerKV& layer = state.kv.layer(l);
          for (int s = 0; s < layer.num_segments(); ++s) {
            // Appended, attended, then the oldest non-sink (or lowest-scored) row goes.
            EXPECT_EQ(layer.host_length[s], budget) << model.name << " " << name << " step " << step;
            EXPECT_LE(layer.host_length[s], layer.host_capacity[s]);
          }
          EXPECT_EQ(layer.BytesHeld(), layer.num_segments() * budget * layer.head_dim() * 2 * DtypeBytes(layer));
        }
      }
      if (std::string(name) == "streamingllm") {
        for (int l = 0; l < state.kv.num_layers(); ++l) {
          const LayerKV& layer = state.kv.layer(l);
          EXPECT_TRUE(SinkRows(layer).equal(sinks[l]))
              << model.name << " layer " << l << ": the sinks moved";
        }
      }
    }
  }
}

}  // namespace
}  // namespace kvb
