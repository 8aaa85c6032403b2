#include "methods/method_params.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cmath>
#include <sstream>

#include "util/error.h"

namespace kvb {
namespace {

std::string Join(const std::vector<std::string>& items, const char* sep) {
  std::string out;
  for (size_t i = 0; i < items.size(); ++i) out += (i ? sep : "") + items[i];
  return out;
}

std::string FormatNumber(double v) {
  std::ostringstream out;
  out << v;
  return out.str();
}

std::string Where(const std::string& method, const std::string& key, const YAML::Node& node) {
  std::string where = StrCat("method '", method, "', key '", key, "'");
  if (node.IsDefined() && node.Mark().line >= 0) where += StrCat(" (line ", node.Mark().line + 1, ")");
  return where;
}

// Converts one scalar to the declared type, checking range and choices.
ParamValue ParseScalar(const std::string& method, const ParamSpec& spec, const YAML::Node& node) {
  const std::string where = Where(method, spec.name, node);
  if (!node.IsScalar()) throw ConfigError(StrCat(where, ": expected ", spec.TypeText(), ", got a non-scalar"));
  const std::string text = node.Scalar();
  try {
    switch (spec.type) {
      case ParamType::kInt: {
        double as_float = node.as<double>();
        if (as_float != std::floor(as_float)) throw YAML::BadConversion(node.Mark());
        auto v = node.as<std::int64_t>();
        if (v < spec.min || v > spec.max)
          throw ConfigError(StrCat(where, ": ", v, " is out of range, expected ", spec.TypeText()));
        return v;
      }
      case ParamType::kFloat: {
        auto v = node.as<double>();
        if (!(v >= spec.min && v <= spec.max))
          throw ConfigError(StrCat(where, ": ", text, " is out of range, expected ", spec.TypeText()));
        return v;
      }
      case ParamType::kBool:
        return node.as<bool>();
      case ParamType::kString:
        return text;
      case ParamType::kChoice:
        if (std::find(spec.choices.begin(), spec.choices.end(), text) == spec.choices.end())
          throw ConfigError(StrCat(where, ": '", text, "' is not one of ", Join(spec.choices, "|")));
        return text;
    }
  } catch (const YAML::Exception&) {
    throw ConfigError(StrCat(where, ": '", text, "' is not ", spec.TypeText()));
  }
  throw ConfigError(StrCat(where, ": unsupported parameter type"));
}

}  // namespace

std::string ParamSpec::TypeText() const {
  switch (type) {
    case ParamType::kInt: return StrCat("an int in [", FormatNumber(min), ", ", FormatNumber(max), "]");
    case ParamType::kFloat: return StrCat("a number in [", FormatNumber(min), ", ", FormatNumber(max), "]");
    case ParamType::kBool: return "a bool";
    case ParamType::kString: return "a string";
    case ParamType::kChoice: return StrCat("one of ", Join(choices, "|"));
  }
  return "?";
}

std::string ParamSpec::DefaultText() const {
  return std::visit(
      [](const auto& v) -> std::string {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, bool>) return v ? "true" : "false";
        else if constexpr (std::is_same_v<T, std::string>) return v;
        else return FormatNumber(static_cast<double>(v));
      },
      default_value);
}

const ParamValue& ParamValues::Find(const std::string& name) const {
  auto it = values_.find(name);
  KVB_CHECK(it != values_.end(), "undeclared parameter ", name);
  return it->second;
}
std::int64_t ParamValues::GetInt(const std::string& name) const { return std::get<std::int64_t>(Find(name)); }
double ParamValues::GetFloat(const std::string& name) const { return std::get<double>(Find(name)); }
bool ParamValues::GetBool(const std::string& name) const { return std::get<bool>(Find(name)); }
const std::string& ParamValues::GetString(const std::string& name) const {
  return std::get<std::string>(Find(name));
}

ParamSchema& ParamSchema::Add(ParamSpec spec) {
  KVB_CHECK(Find(spec.name) == nullptr, "parameter declared twice: ", spec.name);
  specs_.push_back(std::move(spec));
  return *this;
}

ParamSchema& ParamSchema::Int(const std::string& name, std::int64_t default_value, std::int64_t min,
                              std::int64_t max, const std::string& doc) {
  return Add({name, ParamType::kInt, default_value, double(min), double(max), {}, doc});
}
ParamSchema& ParamSchema::Float(const std::string& name, double default_value, double min, double max,
                                const std::string& doc) {
  return Add({name, ParamType::kFloat, default_value, min, max, {}, doc});
}
ParamSchema& ParamSchema::Bool(const std::string& name, bool default_value, const std::string& doc) {
  return Add({name, ParamType::kBool, default_value, 0, 0, {}, doc});
}
ParamSchema& ParamSchema::String(const std::string& name, const std::string& default_value,
                                 const std::string& doc) {
  return Add({name, ParamType::kString, default_value, 0, 0, {}, doc});
}
ParamSchema& ParamSchema::Choice(const std::string& name, const std::string& default_value,
                                 const std::vector<std::string>& choices, const std::string& doc) {
  return Add({name, ParamType::kChoice, default_value, 0, 0, choices, doc});
}

ParamSchema& ParamSchema::AddPreset(const std::string& protocol, const PresetValues& values) {
  for (const auto& entry : values)
    KVB_CHECK(Find(entry.first) != nullptr, "preset ", protocol, " sets undeclared ", entry.first);
  presets_[protocol] = values;
  return *this;
}

const ParamSpec* ParamSchema::Find(const std::string& name) const {
  for (const auto& spec : specs_)
    if (spec.name == name) return &spec;
  return nullptr;
}

ParamValues ParamSchema::Defaults() const {
  ParamValues values;
  for (const auto& spec : specs_) values.Set(spec.name, spec.default_value);
  if (!presets_.empty()) values.Set("protocol", std::string("none"));
  return values;
}

ParamValues ParamSchema::Parse(const std::string& method, const YAML::Node& node) const {
  ParamValues values = Defaults();
  if (!node.IsDefined() || node.IsNull()) return values;
  if (!node.IsMap())
    throw ConfigError(StrCat("method '", method, "': parameters must be a mapping of key: value"));
  std::vector<std::string> protocols;
  for (const auto& preset : presets_) protocols.push_back(preset.first);
  // The preset first, so the user's own keys override it.
  if (const YAML::Node protocol = node["protocol"]; protocol.IsDefined()) {
    if (presets_.empty())
      throw ConfigError(StrCat(Where(method, "protocol", protocol), ": this method has no protocol presets"));
    const std::string name = protocol.Scalar();
    auto it = presets_.find(name);
    if (it == presets_.end())
      throw ConfigError(StrCat(Where(method, "protocol", protocol), ": '", name, "' is not one of ",
                               Join(protocols, "|")));
    for (const auto& [key, text] : it->second) values.Set(key, ParseScalar(method, *Find(key), YAML::Load(text)));
    values.Set("protocol", name);
  }
  for (const auto& entry : node) {
    const std::string key = entry.first.Scalar();
    if (key == "protocol") continue;
    const ParamSpec* spec = Find(key);
    if (spec == nullptr) {
      std::vector<std::string> known;
      for (const auto& s : specs_) known.push_back(s.name);
      if (!presets_.empty()) known.push_back("protocol");
      throw ConfigError(StrCat(Where(method, key, entry.first), ": unknown parameter; known: ",
                               Join(known, ", ")));
    }
    values.Set(key, ParseScalar(method, *spec, entry.second));
  }
  return values;
}

}  // namespace kvb
