// Typed access to a dataset's YAML options. Every key is checked against the
// dataset's declared options when the object is made, so a typo is an error that
// names the key, its line and the nearest known key (STYLE P2, P13).
#pragma once

#include "util/edit_distance.h"

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "datasets/dataset.h"

namespace kvb {

class DatasetOptions {
 public:
  // Throws ConfigError on a key not in `spec.options` or a node that is not a map.
  DatasetOptions(const DatasetSpec& spec, const YAML::Node& node, std::string_view source);
  ~DatasetOptions();
  DatasetOptions(const DatasetOptions&) = delete;
  DatasetOptions& operator=(const DatasetOptions&) = delete;

  bool Has(std::string_view key) const;
  // True when the key is present and holds a single value (not a list or map).
  bool IsScalar(std::string_view key) const;

  // Each getter returns the value, or `fallback` when the key is absent; a value of
  // the wrong type is a ConfigError naming the key and line.
  std::string String(std::string_view key, const std::string& fallback) const;
  std::optional<std::string> OptionalString(std::string_view key) const;
  std::int64_t Int(std::string_view key, std::int64_t fallback) const;
  double Double(std::string_view key, double fallback) const;
  bool Bool(std::string_view key, bool fallback) const;
  // A scalar or a list of scalars.
  Strings StringList(std::string_view key, const Strings& fallback) const;
  std::vector<std::int64_t> IntList(std::string_view key,
                                    const std::vector<std::int64_t>& fallback) const;
  std::vector<double> DoubleList(std::string_view key, const std::vector<double>& fallback) const;
  // `key: {from: a, to: b, step: s}` (inclusive of `to` when reached) or a list.
  std::vector<std::int64_t> IntRange(std::string_view key,
                                     const std::vector<std::int64_t>& fallback) const;

  // A ConfigError whose message names the dataset, the key and its line.
  [[noreturn]] void Fail(std::string_view key, const std::string& message) const;
  const std::string& dataset_name() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace kvb
