// Where tests find what they need outside the repo, and how they skip without it.
#pragma once

#include <filesystem>
#include <optional>
#include <string>

namespace kvb::testing {

// ../shared (KVB_SHARED_DIR, else the path next to the checkout), if present.
std::optional<std::filesystem::path> SharedDir();

// A path under ../shared, or nullopt when it is missing (callers GTEST_SKIP with a reason).
std::optional<std::filesystem::path> SharedPath(const std::string& relative);

// The Python interpreter with the reference packages (KVB_PYTHON, else the one the
// build was configured with). Parity tests run their reference scripts with it.
std::string PythonExe();

// The kvbench binary under test.
std::string KvbenchExe();

std::filesystem::path SourceDir();

// A fresh, empty directory under the build tree for this test's files.
std::filesystem::path TempDir(const std::string& name);

struct CommandResult {
  int exit_code = -1;
  std::string output;  // stdout and stderr together
};

// Runs a shell command and captures its output.
CommandResult RunCommand(const std::string& command);

// Quotes a string for a POSIX shell.
std::string ShellQuote(const std::string& s);

}  // namespace kvb::testing

// Skips the current test, saying what is missing, when a ../shared path is absent.
#define KVB_REQUIRE_SHARED(var, relative)                                               \
  auto var##_opt = ::kvb::testing::SharedPath(relative);                                \
  if (!var##_opt) GTEST_SKIP() << "needs ../shared/" << relative                        \
                               << " (set KVB_SHARED_DIR); not found, skipping";         \
  const std::filesystem::path var = *var##_opt
