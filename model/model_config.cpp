#include "model/model_config.h"

#include <algorithm>
#include <array>

#include "util/error.h"
#include "util/file.h"

namespace kvb {
namespace {

// What each supported architecture implies beyond the keys of its config.json. This
// table is the one place the architecture name is looked at (STYLE P12).
struct ArchitectureTraits {
  const char* name;
  bool qkv_bias_always;        // Qwen2: q/k/v bias regardless of attention_bias
  bool attention_bias_on_qkv;  // attention_bias adds a bias to q/k/v
  bool attention_bias_on_o;    // attention_bias adds a bias to o_proj
  bool qk_norm;                // Qwen3
  bool honours_sliding_window; // Mistral applies `sliding_window` when set
};

constexpr std::array<ArchitectureTraits, 4> kArchitectures = {{
    {"LlamaForCausalLM", false, true, true, false, false},
    {"MistralForCausalLM", false, false, false, false, true},
    {"Qwen2ForCausalLM", true, false, false, false, false},
    {"Qwen3ForCausalLM", false, true, true, true, false},
}};

// model_type -> architecture, for configs saved without "architectures".
constexpr std::array<std::pair<const char*, const char*>, 4> kModelTypes = {{
    {"llama", "LlamaForCausalLM"},
    {"mistral", "MistralForCausalLM"},
    {"qwen2", "Qwen2ForCausalLM"},
    {"qwen3", "Qwen3ForCausalLM"},
}};

const nlohmann::json* Find(const nlohmann::json& object, const char* key) {
  auto it = object.find(key);
  if (it == object.end() || it->is_null()) return nullptr;
  return &*it;
}

template <typename T>
T Required(const nlohmann::json& config, const char* key, const std::string& source) {
  const nlohmann::json* value = Find(config, key);
  KVB_REQUIRE(value != nullptr, source, ": missing key \"", key, "\"");
  try {
    return value->get<T>();
  } catch (const nlohmann::json::exception&) {
    throw Error(StrCat(source, ": key \"", key, "\" has the wrong type (", value->type_name(), ")"));
  }
}

template <typename T>
T Optional(const nlohmann::json& config, const char* key, T fallback, const std::string& source) {
  if (Find(config, key) == nullptr) return fallback;
  return Required<T>(config, key, source);
}

std::string ArchitectureOf(const nlohmann::json& config, const std::string& source) {
  if (const nlohmann::json* list = Find(config, "architectures")) {
    KVB_REQUIRE(list->is_array() && !list->empty() && (*list)[0].is_string(), source,
                ": \"architectures\" must be a non-empty list of strings");
    return (*list)[0].get<std::string>();
  }
  const std::string model_type = Optional<std::string>(config, "model_type", "", source);
  for (const auto& [type, architecture] : kModelTypes) {
    if (model_type == type) return architecture;
  }
  throw Error(StrCat(source, ": neither \"architectures\" nor a known \"model_type\" (got \"", model_type,
                     "\"); supported: ", SupportedArchitectures()));
}

void AddTokenIds(const nlohmann::json* value, TokenIds& ids, const std::string& source, const char* key) {
  if (value == nullptr) return;
  auto add = [&](const nlohmann::json& id) {
    KVB_REQUIRE(id.is_number_integer(), source, ": \"", key, "\" must be an integer or a list of integers");
    const TokenId token = id.get<TokenId>();
    if (std::find(ids.begin(), ids.end(), token) == ids.end()) ids.push_back(token);
  };
  if (value->is_array()) {
    for (const auto& id : *value) add(id);
  } else {
    add(*value);
  }
}

// RoPE parameters: transformers < 5 writes rope_theta + rope_scaling, 5.x writes
// rope_parameters (holding rope_theta). Both are read.
void ParseRope(const nlohmann::json& config, const std::string& source, ModelConfig& out) {
  const nlohmann::json* params = Find(config, "rope_parameters");
  if (params == nullptr) params = Find(config, "rope_scaling");
  out.rope_theta = Optional<double>(config, "rope_theta", 10000.0, source);
  if (params == nullptr) return;
  KVB_REQUIRE(params->is_object(), source, ": rope parameters must be an object");
  out.rope_theta = Optional<double>(*params, "rope_theta", out.rope_theta, source);
  std::string type = Optional<std::string>(*params, "rope_type", "", source);
  if (type.empty()) type = Optional<std::string>(*params, "type", "default", source);
  RopeScaling& scaling = out.rope_scaling;
  if (type == "default") {
    scaling.type = RopeScalingType::kNone;
    return;
  }
  scaling.factor = Required<double>(*params, "factor", source + " rope_scaling");
  if (type == "linear") {
    scaling.type = RopeScalingType::kLinear;
  } else if (type == "dynamic") {
    scaling.type = RopeScalingType::kDynamic;
  } else if (type == "llama3") {
    scaling.type = RopeScalingType::kLlama3;
    scaling.low_freq_factor = Required<double>(*params, "low_freq_factor", source + " rope_scaling");
    scaling.high_freq_factor = Required<double>(*params, "high_freq_factor", source + " rope_scaling");
    scaling.original_max_position_embeddings =
        Required<std::int64_t>(*params, "original_max_position_embeddings", source + " rope_scaling");
  } else {
    throw Error(StrCat(source, ": rope type \"", type, "\" is not supported (default, linear, dynamic, llama3)"));
  }
}

}  // namespace

std::string SupportedArchitectures() {
  std::string names;
  for (const auto& traits : kArchitectures) names += (names.empty() ? "" : ", ") + std::string(traits.name);
  return names;
}

ModelConfig ModelConfig::FromJson(const nlohmann::json& config, const std::string& source) {
  KVB_REQUIRE(config.is_object(), source, ": not a JSON object");
  ModelConfig out;
  out.architecture = ArchitectureOf(config, source);
  const auto traits = std::find_if(kArchitectures.begin(), kArchitectures.end(),
                                   [&](const ArchitectureTraits& t) { return out.architecture == t.name; });
  KVB_REQUIRE(traits != kArchitectures.end(), source, ": architecture \"", out.architecture,
              "\" is not supported; supported: ", SupportedArchitectures());

  out.vocab_size = Required<std::int64_t>(config, "vocab_size", source);
  out.hidden_size = Required<std::int64_t>(config, "hidden_size", source);
  out.intermediate_size = Required<std::int64_t>(config, "intermediate_size", source);
  out.num_layers = Required<int>(config, "num_hidden_layers", source);
  out.num_heads = Required<int>(config, "num_attention_heads", source);
  out.num_kv_heads = Optional<int>(config, "num_key_value_heads", out.num_heads, source);
  KVB_REQUIRE(out.num_heads > 0 && out.num_kv_heads > 0 && out.num_heads % out.num_kv_heads == 0, source,
              ": num_attention_heads (", out.num_heads, ") must be a positive multiple of num_key_value_heads (",
              out.num_kv_heads, ")");
  out.head_dim = Optional<int>(config, "head_dim", static_cast<int>(out.hidden_size / out.num_heads), source);
  KVB_REQUIRE(out.head_dim > 0 && out.head_dim % 2 == 0, source, ": head_dim must be even and positive, got ",
              out.head_dim);
  const std::string activation = Optional<std::string>(config, "hidden_act", "silu", source);
  KVB_REQUIRE(activation == "silu", source, ": hidden_act \"", activation, "\" is not supported (silu)");
  out.rms_norm_eps = Optional<double>(config, "rms_norm_eps", 1e-6, source);
  ParseRope(config, source, out);

  const bool attention_bias = Optional<bool>(config, "attention_bias", false, source);
  out.qkv_bias = traits->qkv_bias_always || (traits->attention_bias_on_qkv && attention_bias);
  out.output_bias = traits->attention_bias_on_o && attention_bias;
  out.mlp_bias = Optional<bool>(config, "mlp_bias", false, source);
  out.qk_norm = traits->qk_norm;
  out.tie_word_embeddings = Optional<bool>(config, "tie_word_embeddings", false, source);
  out.max_position_embeddings = Optional<std::int64_t>(config, "max_position_embeddings", 0, source);
  if (traits->honours_sliding_window && Find(config, "sliding_window") != nullptr) {
    // null (Mistral-7B-Instruct-v0.2) or absent: full attention; an int (v0.1: 4096) is the window.
    const auto window = Required<std::int64_t>(config, "sliding_window", source);
    KVB_REQUIRE(window > 0, source, ": key \"sliding_window\" must be a positive number of tokens or null, got ", window);
    out.sliding_window = window;
  }
  KVB_REQUIRE(!Optional<bool>(config, "use_sliding_window", false, source), source,
              ": use_sliding_window is not supported");
  out.torch_dtype = Optional<std::string>(config, "torch_dtype", Optional<std::string>(config, "dtype", "", source),
                                          source);
  if (const nlohmann::json* bos = Find(config, "bos_token_id"); bos && bos->is_number_integer()) {
    out.bos_token_id = bos->get<TokenId>();
  }
  AddTokenIds(Find(config, "eos_token_id"), out.eos_token_ids, source, "eos_token_id");
  return out;
}

ModelConfig ModelConfig::FromDirectory(const std::filesystem::path& dir) {
  const auto config_path = dir / "config.json";
  KVB_REQUIRE(std::filesystem::exists(config_path), config_path.string(), ": not found (is ", dir.string(),
              " a Hugging Face checkpoint directory?)");
  nlohmann::json config;
  try {
    config = nlohmann::json::parse(ReadFile(config_path));
  } catch (const nlohmann::json::exception& e) {
    throw Error(StrCat(config_path.string(), ": invalid JSON: ", e.what()));
  }
  ModelConfig out = FromJson(config, config_path.string());
  const auto generation_path = dir / "generation_config.json";
  if (std::filesystem::exists(generation_path)) {
    try {
      const auto generation = nlohmann::json::parse(ReadFile(generation_path));
      AddTokenIds(Find(generation, "eos_token_id"), out.eos_token_ids, generation_path.string(), "eos_token_id");
    } catch (const nlohmann::json::exception& e) {
      throw Error(StrCat(generation_path.string(), ": invalid JSON: ", e.what()));
    }
  }
  return out;
}

}  // namespace kvb
