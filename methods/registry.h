// The method registry (STYLE P1, P2): a method registers itself with one macro in its
// own .cpp, `KVB_REGISTER_METHOD(SnapKV);`, and is created by name from a YAML node.
//
// A registered class provides
//   static constexpr const char kName[]    = "snapkv";          // the registered name
//   static constexpr const char kSummary[] = "one line";        // for `kvbench methods`
//   static void DeclareParams(ParamSchema& schema);             // optional: its typed keys
//   explicit SnapKV(const ParamValues& params);                 // or a default constructor
//
// The registry lives in a function-local static (never a global); kvb_methods is an
// OBJECT library so every registrar is linked in.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "methods/eviction_method.h"
#include "methods/method_params.h"

namespace YAML {
class Node;
}

namespace kvb {

using MethodFactory = std::function<std::unique_ptr<EvictionMethod>(const ParamValues&)>;

struct MethodInfo {
  std::string name;
  std::string summary;
  ParamSchema schema;
  MethodFactory factory;
  std::string origin;  // "file:line" of the registration, named in duplicate errors
};

class MethodRegistry {
 public:
  static MethodRegistry& Get();

  // Throws kvb::Error naming both registrations when `info.name` is already taken.
  void Add(MethodInfo info);
  // Throws ConfigError listing the registered names, with "did you mean" for a near miss.
  const MethodInfo& Find(const std::string& name) const;
  // Registered names, sorted.
  std::vector<std::string> Names() const;
  const std::vector<MethodInfo>& methods() const { return methods_; }

  // `params` may be a null node (all defaults). Parameter errors are ConfigErrors
  // naming the method and the key.
  std::unique_ptr<EvictionMethod> Create(const std::string& name, const YAML::Node& params) const;

 private:
  std::vector<MethodInfo> methods_;
};

// The creation API the decoder and harness use: MethodRegistry::Get().Create(...).
std::unique_ptr<EvictionMethod> CreateMethod(const std::string& name, const YAML::Node& params);
// Same, with every parameter at its default.
std::unique_ptr<EvictionMethod> CreateMethod(const std::string& name);

namespace method_registry_internal {

template <typename T, typename = void>
struct HasDeclareParams : std::false_type {};
template <typename T>
struct HasDeclareParams<T, std::void_t<decltype(T::DeclareParams(std::declval<ParamSchema&>()))>>
    : std::true_type {};

// Sets what every method carries: its registered name and parsed parameters.
void Stamp(EvictionMethod& method, const std::string& name, const ParamValues& params);

// Adds to the registry; on a duplicate prints both registrations and aborts
// (a programming error found at start-up, like c10's Registry).
void AddOrAbort(MethodInfo info);

template <typename T>
struct Registrar {
  Registrar(const char* file, int line) {
    MethodInfo info;
    info.name = T::kName;
    info.summary = T::kSummary;
    if constexpr (HasDeclareParams<T>::value) T::DeclareParams(info.schema);
    info.origin = std::string(file) + ":" + std::to_string(line);
    std::string name = info.name;
    info.factory = [name](const ParamValues& params) -> std::unique_ptr<EvictionMethod> {
      std::unique_ptr<EvictionMethod> method;
      if constexpr (std::is_constructible_v<T, const ParamValues&>) method = std::make_unique<T>(params);
      else method = std::make_unique<T>();
      Stamp(*method, name, params);
      return method;
    };
    AddOrAbort(std::move(info));
  }
};

}  // namespace method_registry_internal
}  // namespace kvb

#define KVB_METHOD_CONCAT_INNER(a, b) a##b
#define KVB_METHOD_CONCAT(a, b) KVB_METHOD_CONCAT_INNER(a, b)
#define KVB_REGISTER_METHOD(ClassName)                                           \
  static const ::kvb::method_registry_internal::Registrar<ClassName>             \
      KVB_METHOD_CONCAT(kvb_method_registrar_, __LINE__)(__FILE__, __LINE__)
