// kvbench methods [--name NAME]: every registered eviction method with its one-line
// summary and typed parameters (name, type and range, default, doc), like `lm-eval ls`.
// Printed from the registry's schemas only: the harness names no method (STYLE P3).
#include <CLI/CLI.hpp>

#include <iomanip>
#include <iostream>
#include <memory>

#include "harness/command.h"
#include "methods/registry.h"

namespace kvb {
namespace {

void PrintMethod(const MethodInfo& info, std::ostream& out) {
  out << info.name << "  " << info.summary << "\n";
  for (const ParamSpec& spec : info.schema.specs()) {
    out << "    " << std::left << std::setw(18) << spec.name << " = " << std::setw(22) << spec.DefaultText()
        << " " << spec.TypeText() << ": " << spec.doc << "\n";
  }
  if (!info.schema.presets().empty()) {
    out << "    " << std::setw(18) << "protocol" << " = " << std::setw(22) << "none" << " one of";
    for (const auto& preset : info.schema.presets()) out << " " << preset.first;
    out << ": a named set of defaults:\n";
    for (const auto& [protocol, values] : info.schema.presets()) {
      out << "        " << protocol << ":";
      for (const auto& [key, value] : values) out << " " << key << "=" << value;
      out << "\n";
    }
  }
}

std::function<int()> SetupMethods(CLI::App& app) {
  auto name = std::make_shared<std::string>();
  app.add_option("--name", *name, "show one method only");
  return [name] {
    const MethodRegistry& registry = MethodRegistry::Get();
    if (!name->empty()) {
      PrintMethod(registry.Find(*name), std::cout);
      return 0;
    }
    for (const std::string& method : registry.Names()) {
      PrintMethod(registry.Find(method), std::cout);
      std::cout << "\n";
    }
    return 0;
  };
}

KVB_REGISTER_COMMAND("methods", "List the registered eviction methods with their parameters and defaults",
                     SetupMethods);

}  // namespace
}  // namespace kvb
