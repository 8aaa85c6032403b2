// kvbench convert gguf IN.gguf OUT_DIR [--dtype bf16|fp32]
#include <CLI/CLI.hpp>
#include <iostream>
#include <memory>

#include "harness/command.h"
#include "model/gguf/hf_export.h"
#include "util/error.h"

namespace kvb {
namespace {

struct ConvertArgs {
  std::string input;
  std::string output;
  std::string dtype = "bf16";
};

std::function<int()> SetupConvert(CLI::App& app) {
  auto args = std::make_shared<ConvertArgs>();
  app.require_subcommand(1);
  CLI::App* gguf = app.add_subcommand("gguf", "GGUF (v2/v3) -> Hugging Face checkpoint directory");
  gguf->add_option("input", args->input, "the .gguf file")->required()->check(CLI::ExistingFile);
  gguf->add_option("output", args->output, "the checkpoint directory to write")->required();
  gguf->add_option("--dtype", args->dtype, "weight dtype written: bf16 or fp32")
      ->check(CLI::IsMember({"bf16", "fp32"}));
  return [args] {
    gguf::ExportOptions options;
    options.dtype = args->dtype == "fp32" ? "F32" : "BF16";
    gguf::ExportToHuggingFace(args->input, args->output, options);
    std::cout << "wrote " << args->output << "\n";
    return 0;
  };
}

KVB_REGISTER_COMMAND("convert", "Convert a checkpoint from another format (GGUF) to Hugging Face layout",
                     SetupConvert);

}  // namespace
}  // namespace kvb
