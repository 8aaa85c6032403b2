// kvbench sample DATASET.yaml --model DIR [--index I] [--no-chat] [--context N] [--ids]
// Prints one fully built prompt (after chat template and truncation) with its
// references, metric, generation settings and token count.
//
// DATASET.yaml: `dataset: NAME` plus that dataset's options, either beside it or
// under `options:`.
#include <yaml-cpp/yaml.h>

#include <CLI/CLI.hpp>
#include <iostream>
#include <memory>

#include "datasets/dataset.h"
#include "datasets/model_prompt_context.h"
#include "harness/command.h"
#include "util/error.h"

namespace kvb {
namespace {

struct SampleArgs {
  std::string config;
  std::string model;
  std::size_t index = 0;
  bool no_chat = false;
  std::int64_t context = 0;
  bool ids = false;
};

std::unique_ptr<Dataset> DatasetFromFile(const std::string& file) {
  YAML::Node root;
  try {
    root = YAML::LoadFile(file);
  } catch (const YAML::Exception& e) {
    throw ConfigError(StrCat(file, ": ", e.what()));
  }
  if (!root.IsMap() || !root["dataset"]) throw ConfigError(StrCat(file, ": expected a map with `dataset: NAME`"));
  const std::string name = root["dataset"].as<std::string>();
  if (root["options"]) {
    for (const auto& entry : root) {
      const std::string key = entry.first.as<std::string>();
      if (key != "dataset" && key != "options")
        throw ConfigError(StrCat(file, ":line ", entry.first.Mark().line + 1, ": unknown key '", key,
                                 "' (options go under `options:`)"));
    }
    return CreateDataset(name, root["options"], file);
  }
  YAML::Node options(YAML::NodeType::Map);
  for (const auto& entry : root)
    if (entry.first.as<std::string>() != "dataset") options[entry.first] = entry.second;
  return CreateDataset(name, options, file);
}

const char* PostProcessName(PostProcess p) {
  switch (p) {
    case PostProcess::kFirstLine: return "first line";
    case PostProcess::kRuler: return "RULER strip";
    case PostProcess::kStrip: return "strip";
    case PostProcess::kNone: break;
  }
  return "none";
}

int RunSample(const SampleArgs& args) {
  const auto dataset = DatasetFromFile(args.config);
  const ModelPromptResources model = LoadModelPromptResources(args.model, !args.no_chat, args.context);
  const PromptContext context = model.Context();
  dataset->CheckFits(context);
  KVB_REQUIRE(args.index < dataset->size(), "--index ", args.index, ": the dataset has ", dataset->size(), " samples");
  const Sample sample = dataset->Build(args.index, context);
  std::cout << "id: " << sample.id << "\n"
            << "dataset: " << sample.metadata.dataset << "  task: " << sample.metadata.task
            << "  length: " << sample.metadata.length;
  if (sample.metadata.depth) std::cout << "  depth: " << *sample.metadata.depth;
  std::cout << "\ntemplate set: " << sample.metadata.template_set << "  profile: " << sample.metadata.profile
            << "\nmetric: " << sample.scoring.metric;
  for (const auto& extra : sample.scoring.extra_metrics) std::cout << ", " << extra;
  std::cout << "  post-processing: " << PostProcessName(sample.scoring.postprocess)
            << "\nmax_new_tokens: " << sample.generation.max_new_tokens
            << "  min_new_tokens: " << sample.generation.min_new_tokens << "  stop strings:";
  for (const auto& stop : sample.generation.stop_strings) std::cout << " " << YAML::Node(stop);
  std::cout << "\nprompt tokens: " << sample.prompt_ids.size() << " (context " << context.context_limit
            << ", chat template " << (context.chat ? "on" : "off") << ")\nreferences:\n";
  for (const auto& ref : sample.scoring.references) std::cout << "  - " << ref << "\n";
  if (!sample.scoring.all_classes.empty()) std::cout << "all_classes: " << sample.scoring.all_classes.size() << "\n";
  if (!sample.scoring.question.empty()) std::cout << "question: " << sample.scoring.question << "\n";
  std::cout << "----- prompt -----\n" << sample.prompt << "\n----- end -----\n";
  if (args.ids) {
    for (std::size_t i = 0; i < sample.prompt_ids.size(); ++i) std::cout << (i ? " " : "") << sample.prompt_ids[i];
    std::cout << "\n";
  }
  return 0;
}

std::function<int()> SetupSample(CLI::App& app) {
  auto args = std::make_shared<SampleArgs>();
  app.add_option("config", args->config, "YAML file: `dataset: NAME` and its options")
      ->required()
      ->check(CLI::ExistingFile);
  app.add_option("--model", args->model, "checkpoint directory (tokenizer, chat template, config.json)")
      ->required()
      ->check(CLI::ExistingDirectory);
  app.add_option("--index", args->index, "which sample (0-based)");
  app.add_flag("--no-chat", args->no_chat, "ignore the model's chat template");
  app.add_option("--context", args->context, "context limit in tokens (default: config.json max_position_embeddings)");
  app.add_flag("--ids", args->ids, "also print the prompt's token ids");
  return [args] { return RunSample(*args); };
}

KVB_REGISTER_COMMAND("sample", "Print one fully built prompt of a dataset with its references and token count",
                     SetupSample);

}  // namespace
}  // namespace kvb
