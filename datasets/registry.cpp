#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>

#include "datasets/dataset.h"
#include "datasets/dataset_options.h"
#include "util/edit_distance.h"
#include "util/error.h"

namespace kvb {

DatasetRegistry& DatasetRegistry::Get() {
  static DatasetRegistry registry;  // function-local: no static-init order issue (STYLE P1)
  return registry;
}

void DatasetRegistry::Add(DatasetSpec spec) {
  for (const auto& existing : specs_) {
    if (existing.name == spec.name) {
      std::fprintf(stderr, "kvbench: dataset '%s' registered twice (\"%s\" and \"%s\")\n",
                   spec.name.c_str(), existing.summary.c_str(), spec.summary.c_str());
      std::abort();
    }
  }
  specs_.push_back(std::move(spec));
}

const DatasetSpec& DatasetRegistry::Find(std::string_view name) const {
  Strings names;
  for (const auto& spec : specs_) {
    if (spec.name == name) return spec;
    names.push_back(spec.name);
  }
  std::sort(names.begin(), names.end());
  std::string message = StrCat("unknown dataset '", name, "'");
  if (auto near = NearestName(name, names); !near.empty()) message += StrCat("; did you mean '", near, "'?");
  message += " Known datasets:";
  for (const auto& n : names) message += " " + n;
  throw ConfigError(message);
}

std::vector<const DatasetSpec*> DatasetRegistry::List() const {
  std::vector<const DatasetSpec*> out;
  for (const auto& spec : specs_) out.push_back(&spec);
  std::sort(out.begin(), out.end(), [](auto* a, auto* b) { return a->name < b->name; });
  return out;
}

std::unique_ptr<Dataset> CreateDataset(std::string_view name, const YAML::Node& options,
                                       std::string_view source) {
  const DatasetSpec& spec = DatasetRegistry::Get().Find(name);
  DatasetOptions parsed(spec, options, source);
  return spec.factory(parsed);
}

DatasetRegistrar::DatasetRegistrar(DatasetSpec spec) { DatasetRegistry::Get().Add(std::move(spec)); }

}  // namespace kvb
