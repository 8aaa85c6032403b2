// kvbench make-model --arch llama|mistral|qwen2|qwen3 --preset tiny|small|llama3-8b-shape --seed N
//   [--dtype bf16|fp16|fp32] [--layers N] [--max-shard-bytes B] OUT
#include <CLI/CLI.hpp>
#include <iostream>
#include <memory>

#include "harness/command.h"
#include "model/random_checkpoint.h"

namespace kvb {
namespace {

std::function<int()> SetupMakeModel(CLI::App& app) {
  auto options = std::make_shared<RandomCheckpointOptions>();
  auto out = std::make_shared<std::string>();
  auto dtype = std::make_shared<std::string>("bf16");
  app.add_option("--arch", options->arch, "architecture family")
      ->check(CLI::IsMember({"llama", "mistral", "qwen2", "qwen3"}))
      ->required();
  app.add_option("--preset", options->preset, "shape preset")
      ->check(CLI::IsMember({"tiny", "small", "llama3-8b-shape"}))
      ->capture_default_str();
  app.add_option("--seed", options->seed, "random seed (same seed, same weights)")->capture_default_str();
  app.add_option("--dtype", *dtype, "stored weight dtype")->check(CLI::IsMember({"bf16", "fp16", "fp32"}))->capture_default_str();
  app.add_option("--layers", options->num_layers, "decoder layers (default: the preset's)")
      ->check(CLI::PositiveNumber);
  app.add_option("--max-shard-bytes", options->max_shard_bytes,
                 "split the weights into shards of at most this many bytes (0: one file up to 4 GiB)");
  app.add_option("out", *out, "checkpoint directory to write")->required();
  return [options, out, dtype] {
    options->dtype = *dtype == "fp32" ? "F32" : *dtype == "fp16" ? "F16" : "BF16";
    WriteRandomCheckpoint(*out, *options);
    std::cout << "wrote " << *out << " (" << options->arch << ", " << options->preset << ", seed " << options->seed
              << ")\n";
    return 0;
  };
}

KVB_REGISTER_COMMAND("make-model", "Write a deterministic random checkpoint in Hugging Face layout", SetupMakeModel);

}  // namespace
}  // namespace kvb
