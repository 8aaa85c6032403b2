// Errors a user can act on. Every message names the file, key or line at fault
// (see DESIGN.md "Errors"); the CLI prints it on one line and exits non-zero.
#pragma once

#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>

namespace kvb {

class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& message) : std::runtime_error(message) {}
};

// A configuration error (bad YAML key, value, or CLI flag): the CLI exits with code 2.
class ConfigError : public Error {
 public:
  explicit ConfigError(const std::string& message) : Error(message) {}
};

// Concatenates any streamable values: StrCat("layer ", 3, ": ", name).
template <typename... Args>
std::string StrCat(Args&&... args) {
  std::ostringstream out;
  (out << ... << std::forward<Args>(args));
  return out.str();
}

}  // namespace kvb

// Checks a condition on input we do not control (files, configs, flags) in every build.
#define KVB_REQUIRE(cond, ...)                          \
  do {                                                  \
    if (!(cond)) throw ::kvb::Error(::kvb::StrCat(__VA_ARGS__)); \
  } while (0)

// Checks an internal contract stated at an interface (STYLE P10). Active unless the build
// turns contracts off (cmake -DKVB_CONTRACTS=OFF):
// the checks are host-side and cheap next to the tensor work they guard.
#if !defined(NDEBUG) || defined(KVB_ENABLE_CONTRACTS)
#define KVB_CHECK(cond, ...)                                                       \
  do {                                                                             \
    if (!(cond))                                                                   \
      throw ::kvb::Error(::kvb::StrCat("internal check failed: " #cond " at ",    \
                                       __FILE__, ":", __LINE__, ": ", ##__VA_ARGS__)); \
  } while (0)
#else
#define KVB_CHECK(cond, ...) \
  do {                       \
  } while (0)
#endif
