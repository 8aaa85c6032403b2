#include "harness/command.h"

#include <CLI/CLI.hpp>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "util/edit_distance.h"
#include "util/error.h"

namespace kvb {

CommandRegistry& CommandRegistry::Get() {
  static CommandRegistry registry;  // function-local: no static-initialisation order problems
  return registry;
}

void CommandRegistry::Add(CommandSpec spec) {
  for (const auto& existing : commands_) {
    if (existing.name == spec.name) {
      std::fprintf(stderr, "kvbench: subcommand '%s' registered twice\n", spec.name.c_str());
      std::abort();
    }
  }
  commands_.push_back(std::move(spec));
}

CommandRegistrar::CommandRegistrar(const char* name, const char* summary, CommandSetup setup) {
  CommandRegistry::Get().Add(CommandSpec{name, summary, std::move(setup)});
}

namespace {

// CLI11 answers a mistyped subcommand with "A subcommand is required", which hides the
// typo; name it, suggest the nearest command and list them all instead.
bool ReportUnknownCommand(int argc, char** argv) {
  if (argc < 2 || argv[1][0] == '-') return false;
  const std::string given = argv[1];
  std::vector<std::string> names;
  for (const CommandSpec& spec : CommandRegistry::Get().commands()) {
    if (spec.name == given) return false;
    names.push_back(spec.name);
  }
  std::string list;
  for (const auto& name : names) list += (list.empty() ? "" : ", ") + name;
  std::cerr << "kvbench: error: unknown command '" << given << "'";
  if (const std::string nearest = NearestName(given, names); !nearest.empty())
    std::cerr << " (did you mean '" << nearest << "'?)";
  std::cerr << "; commands: " << list << "\n";
  return true;
}

}  // namespace

int RunCli(int argc, char** argv) {
  if (ReportUnknownCommand(argc, argv)) return 2;
  CLI::App app{"kvbench: KV-cache eviction research harness"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "kvbench " KVB_VERSION_STRING);
  std::map<const CLI::App*, std::function<int()>> actions;
  for (const CommandSpec& spec : CommandRegistry::Get().commands()) {
    CLI::App* sub = app.add_subcommand(spec.name, spec.summary);
    actions[sub] = spec.setup(*sub);
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  try {
    for (const CLI::App* sub : app.get_subcommands()) return actions.at(sub)();
  } catch (const ConfigError& e) {
    std::cerr << "kvbench: error: " << e.what() << "\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "kvbench: error: " << e.what() << "\n";
    return 1;
  }
  return 1;
}

}  // namespace kvb
