#include "model/gguf/hf_export.h"

#include <cstring>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <regex>

#include "model/gguf/dequantize.h"
#include "model/gguf/gguf_file.h"
#include "model/tokenizer/tokenizer_json_builder.h"
#include "util/error.h"
#include "util/file.h"
#include "util/half.h"
#include "util/safetensors_writer.h"

namespace kvb::gguf {
namespace {

using nlohmann::ordered_json;

// The architectures whose GGUF layout kvbench can map back to transformers' names.
struct ArchInfo {
  const char* gguf_name;
  const char* hf_architecture;
  const char* hf_model_type;
  bool permuted_qk;  // llama.cpp's converter interleaves the rotary halves of q/k rows
};
constexpr ArchInfo kArchitectures[] = {
    {"llama", "LlamaForCausalLM", "llama", true},
    {"qwen2", "Qwen2ForCausalLM", "qwen2", false},
};

const ArchInfo& FindArchitecture(const GgufFile& file) {
  const std::string arch = file.Get("general.architecture").get<std::string>();
  for (const ArchInfo& info : kArchitectures) {
    if (arch == info.gguf_name) return info;
  }
  throw Error(StrCat(file.path().string(), ": GGUF architecture '", arch,
                     "' cannot be converted; supported: llama, qwen2"));
}

// GGUF tensor name -> transformers name ("blk.3.attn_q.weight" -> "model.layers.3.self_attn.q_proj.weight").
std::optional<std::string> HfTensorName(const std::string& name) {
  static const std::map<std::string, std::string> kGlobal = {
      {"token_embd.weight", "model.embed_tokens.weight"},
      {"output_norm.weight", "model.norm.weight"},
      {"output.weight", "lm_head.weight"},
  };
  static const std::map<std::string, std::string> kPerLayer = {
      {"attn_norm.weight", "input_layernorm.weight"},   {"ffn_norm.weight", "post_attention_layernorm.weight"},
      {"attn_q.weight", "self_attn.q_proj.weight"},     {"attn_k.weight", "self_attn.k_proj.weight"},
      {"attn_v.weight", "self_attn.v_proj.weight"},     {"attn_output.weight", "self_attn.o_proj.weight"},
      {"attn_q.bias", "self_attn.q_proj.bias"},         {"attn_k.bias", "self_attn.k_proj.bias"},
      {"attn_v.bias", "self_attn.v_proj.bias"},         {"ffn_gate.weight", "mlp.gate_proj.weight"},
      {"ffn_up.weight", "mlp.up_proj.weight"},          {"ffn_down.weight", "mlp.down_proj.weight"},
  };
  if (auto it = kGlobal.find(name); it != kGlobal.end()) return it->second;
  static const std::regex kLayer(R"(blk\.(\d+)\.(.+))");
  std::smatch m;
  if (std::regex_match(name, m, kLayer)) {
    if (auto it = kPerLayer.find(m[2].str()); it != kPerLayer.end()) {
      return StrCat("model.layers.", m[1].str(), ".", it->second);
    }
  }
  return std::nullopt;
}

// Undoes the rotary interleave llama.cpp applies to q/k rows: within each head, GGUF row
// 2a + b holds transformers row b * (head_dim / 2) + a.
std::vector<float> UnpermuteRows(const std::vector<float>& w, std::int64_t rows, std::int64_t cols,
                                 std::int64_t num_heads) {
  const std::int64_t head_dim = rows / num_heads;
  const std::int64_t half = head_dim / 2;
  std::vector<float> out(w.size());
  for (std::int64_t h = 0; h < num_heads; ++h) {
    for (std::int64_t a = 0; a < half; ++a) {
      for (std::int64_t b = 0; b < 2; ++b) {
        const std::int64_t src = h * head_dim + 2 * a + b;
        const std::int64_t dst = h * head_dim + b * half + a;
        std::memcpy(&out[dst * cols], &w[src * cols], cols * sizeof(float));
      }
    }
  }
  return out;
}

std::vector<std::uint8_t> Encode(const std::vector<float>& values, const std::string& dtype) {
  std::vector<std::uint8_t> bytes(values.size() * SafetensorsElementSize(dtype));
  if (dtype == "F32") {
    std::memcpy(bytes.data(), values.data(), bytes.size());
  } else {
    for (size_t i = 0; i < values.size(); ++i) {
      const std::uint16_t b = FloatToBFloat16(values[i]);
      bytes[2 * i] = static_cast<std::uint8_t>(b & 0xFF);
      bytes[2 * i + 1] = static_cast<std::uint8_t>(b >> 8);
    }
  }
  return bytes;
}

template <typename T>
T MetaOr(const GgufFile& file, const std::string& key, T fallback) {
  return file.metadata().contains(key) ? file.metadata()[key].get<T>() : fallback;
}

ordered_json BuildConfig(const GgufFile& file, const ArchInfo& arch, bool tied, const std::string& dtype) {
  const std::string p = std::string(arch.gguf_name) + ".";
  const auto hidden = file.Get(p + "embedding_length").get<std::int64_t>();
  const auto heads = file.Get(p + "attention.head_count").get<std::int64_t>();
  const auto vocab = file.metadata().contains(p + "vocab_size")
                         ? file.metadata()[p + "vocab_size"].get<std::int64_t>()
                         : static_cast<std::int64_t>(file.Get("tokenizer.ggml.tokens").size());
  ordered_json config;
  config["architectures"] = {arch.hf_architecture};
  config["model_type"] = arch.hf_model_type;
  config["hidden_size"] = hidden;
  config["intermediate_size"] = file.Get(p + "feed_forward_length").get<std::int64_t>();
  config["num_hidden_layers"] = file.Get(p + "block_count").get<std::int64_t>();
  config["num_attention_heads"] = heads;
  config["num_key_value_heads"] = MetaOr<std::int64_t>(file, p + "attention.head_count_kv", heads);
  config["head_dim"] = MetaOr<std::int64_t>(file, p + "rope.dimension_count", hidden / heads);
  config["hidden_act"] = "silu";
  config["max_position_embeddings"] = file.Get(p + "context_length").get<std::int64_t>();
  config["rms_norm_eps"] = file.Get(p + "attention.layer_norm_rms_epsilon").get<double>();
  config["rope_theta"] = MetaOr<double>(file, p + "rope.freq_base", 10000.0);
  config["vocab_size"] = vocab;
  config["tie_word_embeddings"] = tied;
  config["attention_bias"] = file.FindTensor("blk.0.attn_q.bias") != nullptr;
  config["mlp_bias"] = false;
  if (file.metadata().contains("tokenizer.ggml.bos_token_id")) {
    config["bos_token_id"] = file.metadata()["tokenizer.ggml.bos_token_id"];
  }
  if (file.metadata().contains("tokenizer.ggml.eos_token_id")) {
    config["eos_token_id"] = file.metadata()["tokenizer.ggml.eos_token_id"];
  }
  config["torch_dtype"] = dtype == "F32" ? "float32" : "bfloat16";
  return config;
}

// Pre-tokenization for the BPE vocabularies named by tokenizer.ggml.pre, as the families'
// own tokenizer.json files express it.
void SetPreTokenizer(const GgufFile& file, ByteLevelBpeSpec& spec) {
  const std::string pre = MetaOr<std::string>(file, "tokenizer.ggml.pre", "default");
  if (pre == "default" || pre == "gpt2") return;  // ByteLevel with its own GPT-2 regex
  if (pre == "smollm") {
    // Each digit on its own (the family's Digits(individual_digits) step, written as the
    // equivalent Split on \p{N}), then GPT-2 byte-level splitting.
    spec.split_patterns = {"\\p{N}"};
    return;
  }
  if (pre == "llama-bpe" || pre == "llama3") {
    spec.split_patterns = {kLlama3SplitPattern};
    spec.byte_level_regex = false;
    spec.ignore_merges = true;
    return;
  }
  if (pre == "qwen2") {
    spec.split_patterns = {kQwen2SplitPattern};
    spec.byte_level_regex = false;
    return;
  }
  throw Error(StrCat(file.path().string(), ": tokenizer.ggml.pre '", pre,
                     "' is not supported; supported: default, gpt2, smollm, llama-bpe, qwen2"));
}

constexpr int kTokenTypeControl = 3;
constexpr int kTokenTypeUserDefined = 4;

ordered_json BuildTokenizer(const GgufFile& file) {
  const std::string model = file.Get("tokenizer.ggml.model").get<std::string>();
  KVB_REQUIRE(model == "gpt2", file.path().string(), ": tokenizer.ggml.model '", model,
              "' cannot be converted (kvbench converts byte-level BPE vocabularies, 'gpt2')");
  const auto& tokens = file.Get("tokenizer.ggml.tokens");
  const nlohmann::json types = file.metadata().value("tokenizer.ggml.token_type", nlohmann::json::array());
  ByteLevelBpeSpec spec;
  for (size_t id = 0; id < tokens.size(); ++id) {
    const std::string token = tokens[id].get<std::string>();
    spec.vocab[token] = id;
    const int type = id < types.size() ? types[id].get<int>() : 1;
    if (type == kTokenTypeControl || type == kTokenTypeUserDefined) {
      spec.added_tokens.push_back({static_cast<TokenId>(id), token, /*special=*/type == kTokenTypeControl,
                                   /*normalized=*/type != kTokenTypeControl});
    }
  }
  spec.merges = ordered_json(file.Get("tokenizer.ggml.merges"));
  SetPreTokenizer(file, spec);
  const bool add_bos = MetaOr<bool>(file, "tokenizer.ggml.add_bos_token", false);
  if (add_bos && file.metadata().contains("tokenizer.ggml.bos_token_id")) {
    const auto bos = file.metadata()["tokenizer.ggml.bos_token_id"].get<TokenId>();
    spec.bos = AddedTokenSpec{bos, tokens.at(static_cast<size_t>(bos)).get<std::string>()};
  }
  return BuildByteLevelBpeTokenizerJson(spec);
}

std::optional<std::string> TokenText(const GgufFile& file, const char* id_key) {
  if (!file.metadata().contains(id_key)) return std::nullopt;
  const auto id = file.metadata()[id_key].get<size_t>();
  const auto& tokens = file.Get("tokenizer.ggml.tokens");
  KVB_REQUIRE(id < tokens.size(), file.path().string(), ": ", id_key, " = ", id, " is outside the vocabulary");
  return tokens[id].get<std::string>();
}

ordered_json BuildTokenizerConfig(const GgufFile& file) {
  ordered_json config;
  config["tokenizer_class"] = "PreTrainedTokenizerFast";
  config["add_bos_token"] = MetaOr<bool>(file, "tokenizer.ggml.add_bos_token", false);
  if (auto bos = TokenText(file, "tokenizer.ggml.bos_token_id")) config["bos_token"] = *bos;
  if (auto eos = TokenText(file, "tokenizer.ggml.eos_token_id")) config["eos_token"] = *eos;
  if (auto unk = TokenText(file, "tokenizer.ggml.unknown_token_id")) config["unk_token"] = *unk;
  if (auto pad = TokenText(file, "tokenizer.ggml.padding_token_id")) config["pad_token"] = *pad;
  config["model_max_length"] = file.metadata().value(
      file.Get("general.architecture").get<std::string>() + ".context_length", 2048);
  if (file.metadata().contains("tokenizer.chat_template")) {
    config["chat_template"] = file.metadata()["tokenizer.chat_template"];
  }
  return config;
}

void WriteJson(const std::filesystem::path& path, const ordered_json& json) {
  WriteFileAtomically(path, json.dump(2) + "\n");
}

}  // namespace

void ExportToHuggingFace(const std::filesystem::path& gguf_path, const std::filesystem::path& out_dir,
                         const ExportOptions& options) {
  KVB_REQUIRE(options.dtype == "BF16" || options.dtype == "F32", "convert: --dtype must be bf16 or fp32, not ",
              options.dtype);
  const GgufFile file(gguf_path);
  const ArchInfo& arch = FindArchitecture(file);
  const std::string p = std::string(arch.gguf_name) + ".";
  const auto heads = file.Get(p + "attention.head_count").get<std::int64_t>();
  const auto kv_heads = MetaOr<std::int64_t>(file, p + "attention.head_count_kv", heads);

  std::vector<SafetensorsEntry> entries;
  for (const TensorInfo& info : file.tensors()) {
    const std::optional<std::string> hf_name = HfTensorName(info.name);
    if (!hf_name) continue;  // e.g. rope_freqs: recomputed from the config
    std::vector<float> values = Dequantize(info.type, file.TensorData(info), info.num_elements());
    const std::vector<std::int64_t> shape = info.torch_shape();
    const bool is_q = info.name.find("attn_q.") != std::string::npos;
    const bool is_k = info.name.find("attn_k.") != std::string::npos;
    if (arch.permuted_qk && (is_q || is_k)) {
      const std::int64_t rows = shape[0];
      const std::int64_t cols = shape.size() > 1 ? shape[1] : 1;
      values = UnpermuteRows(values, rows, cols, is_q ? heads : kv_heads);
    }
    const bool norm = info.name.find("norm") != std::string::npos;
    const std::string dtype = norm ? "F32" : options.dtype;  // norms stay exact, as HF checkpoints keep them
    entries.push_back({*hf_name, dtype, shape, Encode(values, dtype)});
  }
  const bool tied = file.FindTensor("output.weight") == nullptr;
  KVB_REQUIRE(file.FindTensor("token_embd.weight") != nullptr, gguf_path.string(),
              ": tensor token_embd.weight is missing");

  std::filesystem::create_directories(out_dir);
  WriteSafetensors(out_dir / "model.safetensors", entries);
  WriteJson(out_dir / "config.json", BuildConfig(file, arch, tied, options.dtype));
  WriteJson(out_dir / "tokenizer.json", BuildTokenizer(file));
  WriteJson(out_dir / "tokenizer_config.json", BuildTokenizerConfig(file));
  ordered_json generation;
  if (file.metadata().contains("tokenizer.ggml.bos_token_id")) {
    generation["bos_token_id"] = file.metadata()["tokenizer.ggml.bos_token_id"];
  }
  if (file.metadata().contains("tokenizer.ggml.eos_token_id")) {
    generation["eos_token_id"] = file.metadata()["tokenizer.ggml.eos_token_id"];
  }
  WriteJson(out_dir / "generation_config.json", generation);
}

}  // namespace kvb::gguf
