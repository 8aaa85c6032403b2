#include "model/checkpoint.h"

#include <algorithm>
#include <map>
#include <memory>

#include <nlohmann/json.hpp>

#include "model/safetensors_file.h"
#include "util/error.h"
#include "util/file.h"

namespace kvb {
namespace {

std::string ShapeString(const std::vector<std::int64_t>& shape) {
  std::string out = "[";
  for (size_t i = 0; i < shape.size(); ++i) out += (i ? ", " : "") + std::to_string(shape[i]);
  return out + "]";
}

at::ScalarType FileDtype(const std::string& dtype) {
  if (dtype == "F32") return at::kFloat;
  if (dtype == "F16") return at::kHalf;
  return at::kBFloat16;  // the reader admits only F32, F16, BF16
}

// The checkpoint's shards, and which one holds each tensor.
class CheckpointFiles {
 public:
  explicit CheckpointFiles(const std::filesystem::path& dir) {
    const auto index_path = dir / "model.safetensors.index.json";
    const auto single_path = dir / "model.safetensors";
    if (std::filesystem::exists(index_path)) {
      description_ = index_path.string();
      nlohmann::json index;
      try {
        index = nlohmann::json::parse(ReadFile(index_path));
      } catch (const nlohmann::json::exception& e) {
        throw Error(StrCat(index_path.string(), ": invalid JSON: ", e.what()));
      }
      KVB_REQUIRE(index.contains("weight_map") && index["weight_map"].is_object(), index_path.string(),
                  ": missing \"weight_map\"");
      std::map<std::string, SafetensorsFile*> opened;
      for (const auto& [tensor, file] : index["weight_map"].items()) {
        KVB_REQUIRE(file.is_string(), index_path.string(), ": weight_map[\"", tensor, "\"] is not a file name");
        const std::string shard = file.get<std::string>();
        if (!opened.count(shard)) {
          const auto shard_path = dir / shard;
          KVB_REQUIRE(std::filesystem::exists(shard_path), index_path.string(), ": shard ", shard_path.string(),
                      " (holding \"", tensor, "\") not found");
          files_.push_back(std::make_unique<SafetensorsFile>(shard_path));
          opened[shard] = files_.back().get();
        }
        location_[tensor] = opened[shard];
      }
    } else {
      KVB_REQUIRE(std::filesystem::exists(single_path), dir.string(),
                  ": no model.safetensors or model.safetensors.index.json");
      description_ = single_path.string();
      files_.push_back(std::make_unique<SafetensorsFile>(single_path));
      for (const auto& entry : files_.back()->tensors()) location_[entry.first] = files_.back().get();
    }
  }

  bool Contains(const std::string& name) const { return location_.count(name) != 0; }
  const std::vector<std::unique_ptr<SafetensorsFile>>& files() const { return files_; }

  // The tensor, shape-checked, converted to the run dtype and device.
  at::Tensor Load(const std::string& name, const std::vector<std::int64_t>& expected_shape,
                  const WeightLoadOptions& options) const {
    return MappedView(name, expected_shape).to(options.device, options.dtype, /*non_blocking=*/false, /*copy=*/true);
  }

  // Loads row blocks stored as separate tensors (q, k, v) into one [sum of rows, ...] buffer
  // and makes each `part` a row range of it: every byte goes from the file to its final
  // place once, with no second buffer to concatenate into.
  struct RowBlock {
    at::Tensor* part;
    std::string name;
    std::vector<std::int64_t> shape;
  };
  at::Tensor LoadRowBlocks(const std::vector<RowBlock>& blocks, const WeightLoadOptions& options) const {
    std::vector<std::int64_t> fused_shape = blocks.front().shape;
    fused_shape[0] = 0;
    for (const RowBlock& block : blocks) fused_shape[0] += block.shape[0];
    at::Tensor fused = at::empty(fused_shape, at::TensorOptions().device(options.device).dtype(options.dtype));
    std::int64_t row = 0;
    for (const RowBlock& block : blocks) {
      *block.part = fused.narrow(0, row, block.shape[0]);
      block.part->copy_(MappedView(block.name, block.shape));
      row += block.shape[0];
    }
    return fused;
  }

 private:
  // The file's bytes of `name` as a CPU tensor in the file dtype (no copy), shape-checked.
  at::Tensor MappedView(const std::string& name, const std::vector<std::int64_t>& expected_shape) const {
    auto it = location_.find(name);
    KVB_REQUIRE(it != location_.end(), description_, ": tensor \"", name, "\" is missing");
    const SafetensorsFile& file = *it->second;
    const SafetensorsTensor& tensor = file.Get(name);
    KVB_REQUIRE(tensor.shape == expected_shape, file.path().string(), ": tensor \"", name, "\" has shape ",
                ShapeString(tensor.shape), " but config.json implies ", ShapeString(expected_shape));
    return at::from_blob(const_cast<std::byte*>(tensor.data), tensor.shape,
                         at::TensorOptions().dtype(FileDtype(tensor.dtype)));
  }

  std::string description_;
  std::vector<std::unique_ptr<SafetensorsFile>> files_;
  std::map<std::string, SafetensorsFile*> location_;
};

}  // namespace

CheckpointSummary InspectCheckpoint(const std::filesystem::path& dir) {
  const CheckpointFiles files(dir);
  CheckpointSummary summary;
  for (const auto& file : files.files()) {
    summary.files.push_back(file->path().filename().string());
    for (const auto& [name, tensor] : file->tensors()) {
      std::int64_t elements = 1;
      for (auto dim : tensor.shape) elements *= dim;
      summary.parameter_count += elements;
      summary.data_bytes += static_cast<std::int64_t>(tensor.num_bytes);
      ++summary.tensor_count;
      if (std::find(summary.dtypes.begin(), summary.dtypes.end(), tensor.dtype) == summary.dtypes.end()) {
        summary.dtypes.push_back(tensor.dtype);
      }
    }
  }
  return summary;
}

ModelWeights LoadWeights(const std::filesystem::path& dir, const ModelConfig& config,
                         const WeightLoadOptions& options) {
  const CheckpointFiles files(dir);
  const std::int64_t hidden = config.hidden_size;
  const std::int64_t q_width = static_cast<std::int64_t>(config.num_heads) * config.head_dim;
  const std::int64_t kv_width = static_cast<std::int64_t>(config.num_kv_heads) * config.head_dim;
  const std::int64_t inter = config.intermediate_size;
  auto load = [&](const std::string& name, std::vector<std::int64_t> shape) {
    return files.Load(name, shape, options);
  };
  auto load_rows = [&](const std::vector<CheckpointFiles::RowBlock>& blocks) {
    return files.LoadRowBlocks(blocks, options);
  };

  ModelWeights weights;
  // Tied embeddings: some files store only lm_head.weight (TinyStories), others only
  // embed_tokens; either serves as both.
  const std::string embed_name = "model.embed_tokens.weight";
  const std::string head_name = "lm_head.weight";
  if (config.tie_word_embeddings) {
    const std::string stored = files.Contains(embed_name) || !files.Contains(head_name) ? embed_name : head_name;
    weights.embed_tokens = load(stored, {config.vocab_size, hidden});
    weights.lm_head = weights.embed_tokens;
  } else {
    weights.embed_tokens = load(embed_name, {config.vocab_size, hidden});
    weights.lm_head = load(head_name, {config.vocab_size, hidden});
  }
  weights.final_norm = load("model.norm.weight", {hidden});

  for (int i = 0; i < config.num_layers; ++i) {
    const std::string prefix = StrCat("model.layers.", i, ".");
    LayerWeights layer;
    layer.input_norm = load(prefix + "input_layernorm.weight", {hidden});
    layer.qkv_proj = load_rows({{&layer.q_proj, prefix + "self_attn.q_proj.weight", {q_width, hidden}},
                                {&layer.k_proj, prefix + "self_attn.k_proj.weight", {kv_width, hidden}},
                                {&layer.v_proj, prefix + "self_attn.v_proj.weight", {kv_width, hidden}}});
    layer.o_proj = load(prefix + "self_attn.o_proj.weight", {hidden, q_width});
    if (config.qkv_bias) {
      layer.qkv_bias = load_rows({{&layer.q_bias, prefix + "self_attn.q_proj.bias", {q_width}},
                                  {&layer.k_bias, prefix + "self_attn.k_proj.bias", {kv_width}},
                                  {&layer.v_bias, prefix + "self_attn.v_proj.bias", {kv_width}}});
    }
    if (config.output_bias) layer.o_bias = load(prefix + "self_attn.o_proj.bias", {hidden});
    if (config.qk_norm) {
      layer.q_norm = load(prefix + "self_attn.q_norm.weight", {config.head_dim});
      layer.k_norm = load(prefix + "self_attn.k_norm.weight", {config.head_dim});
    }
    layer.post_attention_norm = load(prefix + "post_attention_layernorm.weight", {hidden});
    layer.gate_up_proj = load_rows({{&layer.gate_proj, prefix + "mlp.gate_proj.weight", {inter, hidden}},
                                    {&layer.up_proj, prefix + "mlp.up_proj.weight", {inter, hidden}}});
    layer.down_proj = load(prefix + "mlp.down_proj.weight", {hidden, inter});
    if (config.mlp_bias) {
      layer.gate_up_bias = load_rows({{&layer.gate_bias, prefix + "mlp.gate_proj.bias", {inter}},
                                      {&layer.up_bias, prefix + "mlp.up_proj.bias", {inter}}});
      layer.down_bias = load(prefix + "mlp.down_proj.bias", {hidden});
    }
    weights.layers.push_back(std::move(layer));
  }
  return weights;
}

}  // namespace kvb
