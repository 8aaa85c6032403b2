#include "model/random_checkpoint.h"

#include <cmath>
#include <cstring>
#include <map>
#include <vector>

#include <nlohmann/json.hpp>

#include "model/tokenizer/tokenizer_json_builder.h"
#include "util/error.h"
#include "util/file.h"
#include "util/half.h"
#include "util/safetensors_writer.h"

namespace kvb {
namespace {

struct Shape {
  std::int64_t vocab, hidden, intermediate;
  int layers, heads, kv_heads, head_dim;
  std::int64_t max_positions;
  double rope_theta;
};

Shape PresetShape(const std::string& preset, const std::string& arch) {
  // Qwen3 presets use a head_dim other than hidden / heads, as the real Qwen3 models do.
  const bool qwen3 = arch == "qwen3";
  if (preset == "tiny") return {512, 64, 128, 2, 4, 2, qwen3 ? 32 : 16, 4096, 10000.0};
  if (preset == "small") return {1024, 256, 688, 4, 8, 2, qwen3 ? 64 : 32, 8192, 10000.0};
  if (preset == "llama3-8b-shape") return {128256, 4096, 14336, 32, 32, 8, 128, 8192, 500000.0};
  throw ConfigError(StrCat("make-model: unknown preset \"", preset, "\" (tiny, small, llama3-8b-shape)"));
}

struct ArchInfo {
  const char* architecture;
  const char* model_type;
  bool qkv_bias;
  bool qk_norm;
  bool tied;  // Qwen's small models tie their embeddings; exercise that path
};

ArchInfo ArchOf(const std::string& arch) {
  if (arch == "llama") return {"LlamaForCausalLM", "llama", false, false, false};
  if (arch == "mistral") return {"MistralForCausalLM", "mistral", false, false, false};
  if (arch == "qwen2") return {"Qwen2ForCausalLM", "qwen2", true, false, true};
  if (arch == "qwen3") return {"Qwen3ForCausalLM", "qwen3", false, true, true};
  throw ConfigError(StrCat("make-model: unknown --arch \"", arch, "\" (llama, mistral, qwen2, qwen3)"));
}

std::uint64_t SplitMix64(std::uint64_t& state) {
  std::uint64_t z = (state += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

std::uint64_t NameHash(const std::string& name) {  // FNV-1a
  std::uint64_t hash = 0xCBF29CE484222325ull;
  for (unsigned char c : name) hash = (hash ^ c) * 0x100000001B3ull;
  return hash;
}

// How a tensor is initialised: uniform in [center - half_width, center + half_width).
struct Init {
  double center;
  double half_width;
};

SafetensorsEntry RandomTensor(const std::string& name, std::vector<std::int64_t> shape, Init init,
                              std::uint64_t seed, const std::string& dtype) {
  SafetensorsEntry entry{name, dtype, shape, {}};
  std::int64_t count = 1;
  for (auto dim : shape) count *= dim;
  const std::int64_t element = SafetensorsElementSize(dtype);
  entry.data.resize(static_cast<size_t>(count * element));
  std::uint64_t state = seed ^ NameHash(name);
  for (std::int64_t i = 0; i < count; ++i) {
    const double unit = static_cast<double>(SplitMix64(state) >> 11) * 0x1.0p-53;  // [0, 1)
    const auto value = static_cast<float>(init.center + (2 * unit - 1) * init.half_width);
    std::uint8_t* out = entry.data.data() + i * element;
    if (dtype == "F32") {
      std::memcpy(out, &value, 4);
    } else {
      const std::uint16_t half = dtype == "F16" ? FloatToHalf(value) : FloatToBFloat16(value);
      std::memcpy(out, &half, 2);
    }
  }
  return entry;
}

// Names, shapes and initialisations of every tensor, in file order.
struct TensorPlan {
  std::string name;
  std::vector<std::int64_t> shape;
  Init init;
};

std::vector<TensorPlan> PlanTensors(const Shape& s, const ArchInfo& a) {
  // Uniform with std 1/sqrt(fan_in) keeps activations of order one through the layers,
  // so greedy outputs are decided by clear margins.
  auto linear = [](std::int64_t fan_in) { return Init{0.0, std::sqrt(3.0 / static_cast<double>(fan_in))}; };
  const Init norm{1.0, 0.1}, bias{0.0, 0.1};
  const std::int64_t q = static_cast<std::int64_t>(s.heads) * s.head_dim;
  const std::int64_t kv = static_cast<std::int64_t>(s.kv_heads) * s.head_dim;
  std::vector<TensorPlan> plan;
  plan.push_back({"model.embed_tokens.weight", {s.vocab, s.hidden}, Init{0.0, 1.0}});
  for (int i = 0; i < s.layers; ++i) {
    const std::string p = StrCat("model.layers.", i, ".");
    plan.push_back({p + "input_layernorm.weight", {s.hidden}, norm});
    plan.push_back({p + "self_attn.q_proj.weight", {q, s.hidden}, linear(s.hidden)});
    plan.push_back({p + "self_attn.k_proj.weight", {kv, s.hidden}, linear(s.hidden)});
    plan.push_back({p + "self_attn.v_proj.weight", {kv, s.hidden}, linear(s.hidden)});
    if (a.qkv_bias) {
      plan.push_back({p + "self_attn.q_proj.bias", {q}, bias});
      plan.push_back({p + "self_attn.k_proj.bias", {kv}, bias});
      plan.push_back({p + "self_attn.v_proj.bias", {kv}, bias});
    }
    if (a.qk_norm) {
      plan.push_back({p + "self_attn.q_norm.weight", {s.head_dim}, norm});
      plan.push_back({p + "self_attn.k_norm.weight", {s.head_dim}, norm});
    }
    plan.push_back({p + "self_attn.o_proj.weight", {s.hidden, q}, linear(q)});
    plan.push_back({p + "post_attention_layernorm.weight", {s.hidden}, norm});
    plan.push_back({p + "mlp.gate_proj.weight", {s.intermediate, s.hidden}, linear(s.hidden)});
    plan.push_back({p + "mlp.up_proj.weight", {s.intermediate, s.hidden}, linear(s.hidden)});
    plan.push_back({p + "mlp.down_proj.weight", {s.hidden, s.intermediate}, linear(s.intermediate)});
  }
  plan.push_back({"model.norm.weight", {s.hidden}, norm});
  if (!a.tied) plan.push_back({"lm_head.weight", {s.vocab, s.hidden}, linear(s.hidden)});
  return plan;
}

// config.json's spelling of a safetensors dtype.
const char* TorchDtypeName(const std::string& dtype) {
  if (dtype == "F32") return "float32";
  if (dtype == "F16") return "float16";
  return "bfloat16";
}

nlohmann::json ConfigJson(const Shape& s, const ArchInfo& a, const std::string& dtype, bool has_bos) {
  nlohmann::json config = {
      {"architectures", {a.architecture}},
      {"model_type", a.model_type},
      {"vocab_size", s.vocab},
      {"hidden_size", s.hidden},
      {"intermediate_size", s.intermediate},
      {"num_hidden_layers", s.layers},
      {"num_attention_heads", s.heads},
      {"num_key_value_heads", s.kv_heads},
      {"head_dim", s.head_dim},
      {"hidden_act", "silu"},
      {"max_position_embeddings", s.max_positions},
      {"rms_norm_eps", 1e-6},
      {"rope_theta", s.rope_theta},
      {"rope_scaling", nullptr},
      {"attention_bias", false},
      {"tie_word_embeddings", a.tied},
      {"torch_dtype", TorchDtypeName(dtype)},
      {"bos_token_id", has_bos ? nlohmann::json(0) : nlohmann::json(nullptr)},
      {"eos_token_id", 1},
  };
  if (std::string(a.model_type) == "mistral") config["sliding_window"] = nullptr;
  return config;
}

// ---- the tokenizer: GPT-2 byte alphabet, a few English merges, two special tokens -----

constexpr const char* kMerges[] = {
    "Ġ t", "h e", "i n", "Ġ a", "e r", "o n", "Ġt he", "r e", "a t", "Ġ s", "e n", "o r", "Ġ w",
    "i s", "a n", "i t", "e d", "Ġ o", "Ġ b", "Ġ c", "o u", "a r", "Ġ m", "Ġ f", "in g", "Ġ p",
    "Ġ h", "Ġ l", "l l", "Ġ d", "Ġ i", "Ġa n", "Ġan d", "e s", "Ġt o", "o w", "Ġ n", "l e", "Ġo f",
};
constexpr const char* kBos = "<|begin_of_text|>";
constexpr const char* kEos = "<|end_of_text|>";

void WriteTokenizer(const std::filesystem::path& dir) {
  ByteLevelBpeSpec spec;
  // Special tokens first (ids 0 and 1), as the config's bos/eos ids say.
  spec.added_tokens = {{0, kBos}, {1, kEos}};
  spec.bos = spec.added_tokens[0];
  spec.vocab[kBos] = 0;
  spec.vocab[kEos] = 1;
  int next_id = 2;
  for (const std::string& symbol : ByteLevelAlphabet()) spec.vocab[symbol] = next_id++;
  // The table is written with literal "Ġ", which is the byte-level symbol of ' ' itself.
  for (const char* merge : kMerges) {
    const std::string pair = merge;
    const auto space = pair.find(' ');
    spec.merges.push_back(pair);
    spec.vocab[pair.substr(0, space) + pair.substr(space + 1)] = next_id++;
  }
  spec.split_patterns = {kLlama3SplitPattern};
  spec.byte_level_regex = false;
  WriteFileAtomically(dir / "tokenizer.json", BuildByteLevelBpeTokenizerJson(spec).dump(2));
  const nlohmann::ordered_json config = {
      {"bos_token", kBos},
      {"eos_token", kEos},
      {"model_max_length", 131072},
      {"clean_up_tokenization_spaces", false},
      {"tokenizer_class", "PreTrainedTokenizerFast"},
  };
  WriteFileAtomically(dir / "tokenizer_config.json", config.dump(2));
}

std::string ShardName(int index, int count) {
  char name[64];
  std::snprintf(name, sizeof name, "model-%05d-of-%05d.safetensors", index, count);
  return name;
}

}  // namespace

void WriteRandomCheckpoint(const std::filesystem::path& out_dir, const RandomCheckpointOptions& options) {
  const ArchInfo arch = ArchOf(options.arch);
  Shape shape = PresetShape(options.preset, options.arch);
  KVB_REQUIRE(options.num_layers >= 0, "make-model: --layers must be positive, got ", options.num_layers);
  if (options.num_layers > 0) shape.layers = options.num_layers;
  KVB_REQUIRE(options.dtype == "F32" || options.dtype == "F16" || options.dtype == "BF16",
              "make-model: dtype must be F32, F16 or BF16, got ", options.dtype);
  std::filesystem::create_directories(out_dir);
  const std::vector<TensorPlan> plan = PlanTensors(shape, arch);

  // Group tensors into shards by size; values come from (seed, name) alone.
  const std::int64_t element = SafetensorsElementSize(options.dtype);
  const std::int64_t limit = options.max_shard_bytes > 0 ? options.max_shard_bytes : (std::int64_t{4} << 30);
  std::vector<std::vector<const TensorPlan*>> shards(1);
  std::int64_t shard_bytes = 0, total_bytes = 0;
  for (const TensorPlan& tensor : plan) {
    std::int64_t bytes = element;
    for (auto dim : tensor.shape) bytes *= dim;
    if (shard_bytes > 0 && shard_bytes + bytes > limit) {
      shards.emplace_back();
      shard_bytes = 0;
    }
    shards.back().push_back(&tensor);
    shard_bytes += bytes;
    total_bytes += bytes;
  }
  const int count = static_cast<int>(shards.size());
  nlohmann::ordered_json weight_map = nlohmann::ordered_json::object();
  for (int i = 0; i < count; ++i) {
    const std::string file = count == 1 ? "model.safetensors" : ShardName(i + 1, count);
    std::vector<SafetensorsEntry> entries;
    for (const TensorPlan* tensor : shards[i]) {
      entries.push_back(RandomTensor(tensor->name, tensor->shape, tensor->init, options.seed, options.dtype));
      weight_map[tensor->name] = file;
    }
    WriteSafetensors(out_dir / file, entries);
  }
  if (count > 1) {
    const nlohmann::ordered_json index = {{"metadata", {{"total_size", total_bytes}}}, {"weight_map", weight_map}};
    WriteFileAtomically(out_dir / "model.safetensors.index.json", index.dump(2));
  }
  WriteFileAtomically(out_dir / "config.json", ConfigJson(shape, arch, options.dtype, true).dump(2));
  const nlohmann::json generation = {{"bos_token_id", 0}, {"eos_token_id", 1}};
  WriteFileAtomically(out_dir / "generation_config.json", generation.dump(2));
  WriteTokenizer(out_dir);
}

}  // namespace kvb
