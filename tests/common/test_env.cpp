#include "tests/common/test_env.h"

#include <array>
#include <cstdio>
#include <cstdlib>
#include <sys/wait.h>

namespace kvb::testing {
namespace {

std::string EnvOr(const char* name, const char* fallback_name, const std::string& last) {
  if (const char* v = std::getenv(name); v && *v) return v;
  if (fallback_name) {
    if (const char* v = std::getenv(fallback_name); v && *v) return v;
  }
  return last;
}

}  // namespace

std::optional<std::filesystem::path> SharedDir() {
  const std::filesystem::path dir = EnvOr("KVB_SHARED_DIR", "KVB_SHARED_DIR_DEFAULT", "../shared");
  if (std::filesystem::is_directory(dir)) return std::filesystem::canonical(dir);
  return std::nullopt;
}

std::optional<std::filesystem::path> SharedPath(const std::string& relative) {
  auto dir = SharedDir();
  if (!dir) return std::nullopt;
  auto path = *dir / relative;
  if (!std::filesystem::exists(path)) return std::nullopt;
  return path;
}

std::string PythonExe() { return EnvOr("KVB_PYTHON", "KVB_PYTHON_DEFAULT", "python3"); }

std::string KvbenchExe() { return EnvOr("KVBENCH_EXE", nullptr, "kvbench"); }

std::filesystem::path SourceDir() { return EnvOr("KVB_SOURCE_DIR", nullptr, "."); }

std::filesystem::path TempDir(const std::string& name) {
  const std::filesystem::path root = EnvOr("KVB_BINARY_DIR", nullptr, "/tmp");
  auto dir = root / "test_tmp" / name;
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

CommandResult RunCommand(const std::string& command) {
  CommandResult result;
  FILE* pipe = popen((command + " 2>&1").c_str(), "r");
  if (!pipe) return result;
  std::array<char, 4096> buf;
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), pipe)) > 0) result.output.append(buf.data(), n);
  const int status = pclose(pipe);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

std::string ShellQuote(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  return out + "'";
}

}  // namespace kvb::testing
