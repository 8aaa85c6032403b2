// kvbench datasets [NAME]: every registered dataset with its options and defaults.
#include <CLI/CLI.hpp>
#include <iostream>
#include <memory>

#include "datasets/dataset.h"
#include "harness/command.h"

namespace kvb {
namespace {

void PrintDataset(const DatasetSpec& spec) {
  std::cout << spec.name << "\n  " << spec.summary << "\n";
  for (const auto& option : spec.options) {
    std::cout << "    " << option.name << " (" << option.type << ", default: " << option.default_value
              << ")\n        " << option.doc << "\n";
  }
}

std::function<int()> SetupDatasets(CLI::App& app) {
  auto name = std::make_shared<std::string>();
  app.add_option("name", *name, "show only this dataset");
  return [name] {
    if (!name->empty()) {
      PrintDataset(DatasetRegistry::Get().Find(*name));
      return 0;
    }
    for (const DatasetSpec* spec : DatasetRegistry::Get().List()) {
      PrintDataset(*spec);
      std::cout << "\n";
    }
    return 0;
  };
}

KVB_REGISTER_COMMAND("datasets", "List the datasets with their options", SetupDatasets);

}  // namespace
}  // namespace kvb
