// Typed method parameters (STYLE P3): each method declares its keys (name, type,
// default, range, one-line doc) in a ParamSchema; the schema parses the method's
// YAML/JSON node into ParamValues. Unknown keys, wrong types and out-of-range values
// are ConfigErrors naming the method, the key and (when known) the line.
//
// Protocol presets (spec methods.md Part 1 §7) are named sets of defaults: a method
// declares `AddPreset("adakv", {{"window", "32"}, ...})` and the schema gains a
// `protocol` key. Precedence: declared default < preset < the user's own key.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace YAML {
class Node;
}

namespace kvb {

enum class ParamType { kInt, kFloat, kBool, kString, kChoice };

using ParamValue = std::variant<std::int64_t, double, bool, std::string>;

struct ParamSpec {
  std::string name;
  ParamType type = ParamType::kInt;
  ParamValue default_value;
  double min = 0;  // inclusive range for kInt / kFloat
  double max = 0;
  std::vector<std::string> choices;  // kChoice
  std::string doc;

  // "int in [1, 1024]", "choice of max|avg|none", ...
  std::string TypeText() const;
  std::string DefaultText() const;
};

// Parsed values of one method instance; every declared key has a value.
class ParamValues {
 public:
  std::int64_t GetInt(const std::string& name) const;
  double GetFloat(const std::string& name) const;
  bool GetBool(const std::string& name) const;
  // kString and kChoice values.
  const std::string& GetString(const std::string& name) const;
  bool Has(const std::string& name) const { return values_.count(name) != 0; }
  const std::map<std::string, ParamValue>& all() const { return values_; }

  void Set(const std::string& name, ParamValue value) { values_[name] = std::move(value); }

 private:
  const ParamValue& Find(const std::string& name) const;
  std::map<std::string, ParamValue> values_;
};

using PresetValues = std::vector<std::pair<std::string, std::string>>;  // key, YAML scalar text

class ParamSchema {
 public:
  ParamSchema& Int(const std::string& name, std::int64_t default_value, std::int64_t min,
                   std::int64_t max, const std::string& doc);
  ParamSchema& Float(const std::string& name, double default_value, double min, double max,
                     const std::string& doc);
  ParamSchema& Bool(const std::string& name, bool default_value, const std::string& doc);
  ParamSchema& String(const std::string& name, const std::string& default_value,
                      const std::string& doc);
  ParamSchema& Choice(const std::string& name, const std::string& default_value,
                      const std::vector<std::string>& choices, const std::string& doc);
  // A named set of defaults selected with `protocol: <name>`.
  ParamSchema& AddPreset(const std::string& protocol, const PresetValues& values);

  // `node` may be null or undefined (all defaults). Throws ConfigError naming `method`.
  ParamValues Parse(const std::string& method, const YAML::Node& node) const;
  ParamValues Defaults() const;

  const std::vector<ParamSpec>& specs() const { return specs_; }
  const std::map<std::string, PresetValues>& presets() const { return presets_; }
  const ParamSpec* Find(const std::string& name) const;

 private:
  ParamSchema& Add(ParamSpec spec);
  std::vector<ParamSpec> specs_;
  std::map<std::string, PresetValues> presets_;
};

}  // namespace kvb
