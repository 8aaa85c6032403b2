// `kvbench make-model`: deterministic random checkpoints in Hugging Face layout
// (config.json, generation_config.json, model.safetensors or shards + index, a small
// byte-level BPE tokenizer.json and tokenizer_config.json) that transformers loads.
// Torch-free. Values depend only on (seed, tensor name), never on sharding.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

namespace kvb {

struct RandomCheckpointOptions {
  std::string arch = "llama";    // llama | mistral | qwen2 | qwen3
  std::string preset = "tiny";   // tiny | small | llama3-8b-shape
  std::uint64_t seed = 0;
  std::string dtype = "BF16";    // safetensors dtype written: F32 | F16 | BF16
  // Shards of at most this many bytes (0: one model.safetensors unless it would exceed 4 GiB).
  std::int64_t max_shard_bytes = 0;
  // Decoder layers; 0 keeps the preset's. Fewer layers keep a big preset's shapes at a
  // fraction of its size (the GPU parity test runs llama3-8b-shape with 4).
  int num_layers = 0;
};

void WriteRandomCheckpoint(const std::filesystem::path& out_dir, const RandomCheckpointOptions& options);

}  // namespace kvb
