// config.json parsing: family differences become fields; unknown architectures and
// malformed keys are errors naming the file and the key.
#include <gtest/gtest.h>

#include <optional>

#include "model/model_config.h"
#include "util/error.h"

namespace kvb {
namespace {

nlohmann::json Base(const std::string& architecture) {
  return {{"architectures", {architecture}}, {"vocab_size", 100},     {"hidden_size", 64},
          {"intermediate_size", 128},        {"num_hidden_layers", 2}, {"num_attention_heads", 4},
          {"num_key_value_heads", 2},        {"eos_token_id", {5, 7}}};
}

TEST(ModelConfig, FamilyDifferencesAreData) {
  const ModelConfig llama = ModelConfig::FromJson(Base("LlamaForCausalLM"), "config.json");
  EXPECT_FALSE(llama.qkv_bias);
  EXPECT_FALSE(llama.qk_norm);
  EXPECT_EQ(llama.head_dim, 16);
  EXPECT_EQ(llama.eos_token_ids, (TokenIds{5, 7}));
  EXPECT_TRUE(ModelConfig::FromJson(Base("Qwen2ForCausalLM"), "c").qkv_bias);
  EXPECT_FALSE(ModelConfig::FromJson(Base("Qwen2ForCausalLM"), "c").output_bias);
  auto qwen3 = Base("Qwen3ForCausalLM");
  qwen3["head_dim"] = 32;
  const ModelConfig q3 = ModelConfig::FromJson(qwen3, "c");
  EXPECT_TRUE(q3.qk_norm);
  EXPECT_EQ(q3.head_dim, 32);
  auto biased = Base("LlamaForCausalLM");
  biased["attention_bias"] = true;
  EXPECT_TRUE(ModelConfig::FromJson(biased, "c").qkv_bias);
  EXPECT_TRUE(ModelConfig::FromJson(biased, "c").output_bias);
}

TEST(ModelConfig, RopeScalingInBothSpellings) {
  auto old_style = Base("LlamaForCausalLM");
  old_style["rope_theta"] = 500000.0;
  old_style["rope_scaling"] = {{"rope_type", "llama3"},     {"factor", 8.0},
                               {"low_freq_factor", 1.0},    {"high_freq_factor", 4.0},
                               {"original_max_position_embeddings", 8192}};
  const ModelConfig a = ModelConfig::FromJson(old_style, "c");
  EXPECT_EQ(a.rope_scaling.type, RopeScalingType::kLlama3);
  EXPECT_EQ(a.rope_theta, 500000.0);
  EXPECT_EQ(a.rope_scaling.original_max_position_embeddings, 8192);
  auto new_style = Base("LlamaForCausalLM");
  new_style["rope_parameters"] = {{"rope_type", "linear"}, {"factor", 2.0}, {"rope_theta", 1e6}};
  const ModelConfig b = ModelConfig::FromJson(new_style, "c");
  EXPECT_EQ(b.rope_scaling.type, RopeScalingType::kLinear);
  EXPECT_EQ(b.rope_theta, 1e6);
  auto legacy = Base("LlamaForCausalLM");
  legacy["rope_scaling"] = {{"type", "dynamic"}, {"factor", 2.0}};
  EXPECT_EQ(ModelConfig::FromJson(legacy, "c").rope_scaling.type, RopeScalingType::kDynamic);
  auto unknown = Base("LlamaForCausalLM");
  unknown["rope_scaling"] = {{"rope_type", "yarn"}, {"factor", 2.0}};
  EXPECT_THROW(ModelConfig::FromJson(unknown, "c"), Error);
}

TEST(ModelConfig, UnknownArchitectureNamesItAndListsSupported) {
  try {
    ModelConfig::FromJson(Base("GPT2LMHeadModel"), "/m/config.json");
    FAIL() << "no error";
  } catch (const Error& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("/m/config.json"), std::string::npos) << message;
    EXPECT_NE(message.find("GPT2LMHeadModel"), std::string::npos) << message;
    for (const char* name : {"LlamaForCausalLM", "MistralForCausalLM", "Qwen2ForCausalLM", "Qwen3ForCausalLM"}) {
      EXPECT_NE(message.find(name), std::string::npos) << message;
    }
  }
}

TEST(ModelConfig, MissingOrMistypedKeyNamesIt) {
  auto missing = Base("LlamaForCausalLM");
  missing.erase("hidden_size");
  try {
    ModelConfig::FromJson(missing, "config.json");
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("hidden_size"), std::string::npos) << e.what();
  }
  auto mistyped = Base("LlamaForCausalLM");
  mistyped["num_hidden_layers"] = "two";
  try {
    ModelConfig::FromJson(mistyped, "config.json");
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("num_hidden_layers"), std::string::npos) << e.what();
  }
  auto grouped = Base("LlamaForCausalLM");
  grouped["num_key_value_heads"] = 3;
  EXPECT_THROW(ModelConfig::FromJson(grouped, "config.json"), Error);
}

// The window, nullopt when full attention applies everywhere.
std::optional<std::int64_t> Window(const ModelConfig& config) { return config.sliding_window; }

// Mistral-7B-Instruct-v0.2 writes "sliding_window": null, v0.1 writes 4096; Qwen2 writes a
// window next to "use_sliding_window": false, which means the window is not used.
TEST(ModelConfig, SlidingWindowOnlyWhereTheFamilyAppliesIt) {
  auto v02 = Base("MistralForCausalLM");
  v02["sliding_window"] = nullptr;
  EXPECT_FALSE(Window(ModelConfig::FromJson(v02, "c")).has_value());
  EXPECT_FALSE(Window(ModelConfig::FromJson(Base("MistralForCausalLM"), "c")).has_value());
  auto v01 = Base("MistralForCausalLM");
  v01["sliding_window"] = 4096;
  EXPECT_EQ(Window(ModelConfig::FromJson(v01, "c")), std::optional<std::int64_t>(4096));
  auto qwen2 = Base("Qwen2ForCausalLM");
  qwen2["sliding_window"] = 32768;
  qwen2["use_sliding_window"] = false;
  EXPECT_FALSE(Window(ModelConfig::FromJson(qwen2, "c")).has_value());
  auto llama = Base("LlamaForCausalLM");
  llama["sliding_window"] = 4096;  // not a Llama key: ignored, as transformers ignores it
  EXPECT_FALSE(Window(ModelConfig::FromJson(llama, "c")).has_value());
}

TEST(ModelConfig, SlidingWindowErrorsNameTheKey) {
  auto qwen2 = Base("Qwen2ForCausalLM");
  qwen2["sliding_window"] = 4096;
  qwen2["use_sliding_window"] = true;
  try {
    ModelConfig::FromJson(qwen2, "/m/config.json");
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("use_sliding_window"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("/m/config.json"), std::string::npos) << e.what();
  }
  for (const nlohmann::json& bad : {nlohmann::json(0), nlohmann::json(-5), nlohmann::json("4096")}) {
    auto mistral = Base("MistralForCausalLM");
    mistral["sliding_window"] = bad;
    try {
      ModelConfig::FromJson(mistral, "/m/config.json");
      FAIL() << "no error for sliding_window " << bad.dump();
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("sliding_window"), std::string::npos) << e.what();
    }
  }
}

}  // namespace
}  // namespace kvb
