#include "methods/registry.h"
#include "util/edit_distance.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cstdlib>
#include <iostream>

#include "util/error.h"

namespace kvb {
MethodRegistry& MethodRegistry::Get() {
  static MethodRegistry registry;
  return registry;
}

void MethodRegistry::Add(MethodInfo info) {
  for (const auto& existing : methods_) {
    if (existing.name == info.name)
      throw Error(StrCat("eviction method '", info.name, "' registered twice: at ", existing.origin,
                         " and at ", info.origin));
  }
  methods_.push_back(std::move(info));
}

std::vector<std::string> MethodRegistry::Names() const {
  std::vector<std::string> names;
  for (const auto& m : methods_) names.push_back(m.name);
  std::sort(names.begin(), names.end());
  return names;
}

const MethodInfo& MethodRegistry::Find(const std::string& name) const {
  for (const auto& m : methods_)
    if (m.name == name) return m;
  std::vector<std::string> names = Names();
  std::string list;
  for (const auto& n : names) list += (list.empty() ? "" : ", ") + n;
  std::string message = StrCat("unknown eviction method '", name, "'");
  if (std::string nearest = NearestName(name, names); !nearest.empty())
    message += StrCat(" (did you mean '", nearest, "'?)");
  throw ConfigError(StrCat(message, "; registered methods: ", list));
}

std::unique_ptr<EvictionMethod> MethodRegistry::Create(const std::string& name,
                                                       const YAML::Node& params) const {
  const MethodInfo& info = Find(name);
  return info.factory(info.schema.Parse(name, params));
}

std::unique_ptr<EvictionMethod> CreateMethod(const std::string& name, const YAML::Node& params) {
  return MethodRegistry::Get().Create(name, params);
}

std::unique_ptr<EvictionMethod> CreateMethod(const std::string& name) {
  return MethodRegistry::Get().Create(name, YAML::Node());
}

namespace method_registry_internal {

void Stamp(EvictionMethod& method, const std::string& name, const ParamValues& params) {
  method.name_ = name;
  method.params_ = params;
}

void AddOrAbort(MethodInfo info) {
  try {
    MethodRegistry::Get().Add(std::move(info));
  } catch (const Error& e) {
    std::cerr << "kvbench: " << e.what() << "\n";
    std::abort();
  }
}

}  // namespace method_registry_internal
}  // namespace kvb
