// The sweep file (STYLE P13): one flat, self-contained YAML per sweep, validated in full
// before any model is loaded. Every error is a kvb::ConfigError naming the file, the
// line and the key path ("sweep.yaml:7: methods[1].params.window: ...").
//
//   model:       {path, dtype, device, context_limit, chat_template, stop_tokens}
//   methods:     [{name, params: {key: value | [values...]}}]   lists expand (cartesian)
//   budgets:     [int, ...]
//   datasets:    [{name, label?, options: {...}}]               options: the dataset's own
//   generation:  {max_new_tokens?}                              overrides the dataset's
//   samples:     int (per dataset; 0 = all)
//   seed:        int
//   output:      directory
//
// Relative paths: model.path and output are the sweep's own and resolve against the
// sweep file's directory, so a sweep directory can move as one. Paths inside method
// params and dataset options (heads files, data_dir, haystack) reach the method or
// dataset as written and resolve against the working directory, exactly as they do
// from `kvbench datasets` or `generate --method-params`: a key means the same thing
// wherever it is given, and the harness needs no list of which keys are paths.
//
// Method parameters and dataset options are checked by their registries (the harness
// names no method, STYLE P3); this file checks the sweep's own structure.
#pragma once

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace kvb {

struct ModelSettings {
  std::filesystem::path path;
  std::string dtype = "float32";  // float32 | bfloat16 | float16
  std::string device = "cpu";     // cpu | cuda | cuda:N
  std::int64_t context_limit = 0;  // 0 = the model's max_position_embeddings
  std::string chat_template = "auto";  // auto (the model's, when it has one) | none
  std::vector<std::string> stop_tokens;  // extra EOS tokens, by vocabulary string
};

struct MethodEntry {
  std::string name;
  YAML::Node params;  // a map whose values may be lists (expanded by the plan)
  std::string key_path;  // "methods[1]", for messages
};

struct DatasetEntry {
  std::string name;   // registered dataset name
  std::string label;  // how results name it; defaults to `name`
  YAML::Node options;
  std::string key_path;
};

struct SweepConfig {
  std::filesystem::path source;  // the sweep file
  std::string text;              // the resolved YAML (after --set), stored with results
  ModelSettings model;
  std::vector<MethodEntry> methods;
  std::vector<std::int64_t> budgets;
  std::vector<DatasetEntry> datasets;
  std::int64_t max_new_tokens = 0;  // 0 = each dataset's own
  std::int64_t samples = 0;         // per dataset; 0 = all
  std::uint64_t seed = 42;
  std::filesystem::path output;
};

// Applies `key.path=value` overrides (the value is parsed as YAML, so `budgets=[64,128]`
// works; a numeric segment indexes a list: `methods.0.params.window=16`).
void ApplyOverrides(YAML::Node& root, const std::vector<std::string>& overrides);

// Parses and checks the structure of a sweep file. Throws ConfigError.
SweepConfig LoadSweepConfig(const std::filesystem::path& file,
                            const std::vector<std::string>& overrides = {});
SweepConfig ParseSweepConfig(const std::string& yaml_text, const std::filesystem::path& source,
                             const std::vector<std::string>& overrides = {});

// "<file>:<line>: <key path>: <message>" as every config error reads.
std::string ConfigMessage(const std::filesystem::path& source, const YAML::Node& node,
                          const std::string& key_path, const std::string& message);

}  // namespace kvb
