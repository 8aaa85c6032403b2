// Subcommands of the one `kvbench` binary register themselves, like methods do
// (STYLE P1): a new subcommand is one new file in harness/commands/.
#pragma once

#include <functional>
#include <string>
#include <vector>

namespace CLI {
class App;
}

namespace kvb {

// Adds the subcommand's options to `app` and returns the action to run once the
// command line parsed. The action returns the process exit code.
using CommandSetup = std::function<std::function<int()>(CLI::App& app)>;

struct CommandSpec {
  std::string name;
  std::string summary;
  CommandSetup setup;
};

class CommandRegistry {
 public:
  static CommandRegistry& Get();
  // Aborts at start-up on a duplicate name (a programming error, not user input).
  void Add(CommandSpec spec);
  const std::vector<CommandSpec>& commands() const { return commands_; }

 private:
  std::vector<CommandSpec> commands_;
};

struct CommandRegistrar {
  CommandRegistrar(const char* name, const char* summary, CommandSetup setup);
};

// Runs the CLI; what main() calls.
int RunCli(int argc, char** argv);

}  // namespace kvb

#define KVB_CONCAT_INNER(a, b) a##b
#define KVB_CONCAT(a, b) KVB_CONCAT_INNER(a, b)
#define KVB_REGISTER_COMMAND(name, summary, setup) \
  static ::kvb::CommandRegistrar KVB_CONCAT(kvb_command_registrar_, __LINE__)(name, summary, setup)
