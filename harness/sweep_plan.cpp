#include "harness/sweep_plan.h"

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "methods/registry.h"
#include "util/error.h"

namespace kvb {
namespace {

// The cartesian product of a params map whose values may be lists, in key order of
// the file (the last key varies fastest), each combination a map of scalars.
std::vector<YAML::Node> ExpandParams(const YAML::Node& params) {
  std::vector<YAML::Node> combos = {YAML::Node(YAML::NodeType::Map)};
  if (!params || params.IsNull()) return combos;
  for (const auto& param : params) {
    const std::string key = param.first.as<std::string>();
    std::vector<YAML::Node> values;
    if (param.second.IsSequence()) {
      for (const auto& v : param.second) values.push_back(v);
    } else {
      values.push_back(param.second);
    }
    std::vector<YAML::Node> next;
    for (const YAML::Node& combo : combos) {
      for (const YAML::Node& value : values) {
        YAML::Node copy = YAML::Clone(combo);
        copy[key] = value;
        next.push_back(copy);
      }
    }
    combos = std::move(next);
  }
  return combos;
}

nlohmann::json ParamsJson(const ParamValues& values) {
  nlohmann::json out = nlohmann::json::object();
  for (const auto& [name, value] : values.all()) {
    std::visit([&](const auto& v) { out[name] = v; }, value);
  }
  return out;
}

std::string Sanitize(const std::string& text) {
  std::string out;
  for (char c : text) out += (std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-') ? c : '-';
  return out;
}

// Names what the user chose, e.g. snapkv_window-32_b128: readable and unique in a sweep.
std::string RunName(const std::string& method, const YAML::Node& given, std::int64_t budget) {
  std::string name = Sanitize(method);
  for (const auto& param : given) {
    name += "_" + Sanitize(param.first.as<std::string>()) + "-" + Sanitize(param.second.as<std::string>());
  }
  return name + "_b" + std::to_string(budget);
}

nlohmann::json ModelJson(const ModelSettings& model) {
  return {{"path", std::filesystem::weakly_canonical(model.path).string()},
          {"dtype", model.dtype},
          {"context_limit", model.context_limit},
          {"chat_template", model.chat_template},
          {"stop_tokens", model.stop_tokens}};
}

// A budget below the method's observation window cannot keep the window itself (spec
// methods.md Part 1 §2): refuse it here, whatever the method, by its declared key.
void CheckBudgetAgainstWindow(const SweepConfig& config, const MethodEntry& entry,
                              const ParamValues& values, std::int64_t budget) {
  if (!values.Has("window")) return;
  const auto& value = values.all().at("window");
  if (!std::holds_alternative<std::int64_t>(value)) return;
  const std::int64_t window = std::get<std::int64_t>(value);
  if (budget < window) {
    YAML::Node where = entry.params && entry.params["window"] ? entry.params["window"] : YAML::Node();
    throw ConfigError(ConfigMessage(config.source, where, "budgets",
                                    StrCat("budget ", budget, " is below ", entry.key_path,
                                           ".params.window = ", window, " (", entry.name, ")")));
  }
}

std::vector<RunPlan> PlanRuns(const SweepConfig& config) {
  std::vector<RunPlan> runs;
  std::set<std::string> names;
  const nlohmann::json model = ModelJson(config.model);
  for (const MethodEntry& entry : config.methods) {
    const MethodInfo* info = nullptr;
    try {
      info = &MethodRegistry::Get().Find(entry.name);
    } catch (const ConfigError& e) {
      throw ConfigError(ConfigMessage(config.source, YAML::Node(), entry.key_path + ".name", e.what()));
    }
    for (const YAML::Node& params : ExpandParams(entry.params)) {
      ParamValues values;
      try {
        values = info->schema.Parse(entry.name, params);
      } catch (const ConfigError& e) {
        throw ConfigError(StrCat(config.source.string(), ": ", entry.key_path, ".params: ", e.what()));
      }
      for (std::int64_t budget : config.budgets) {
        CheckBudgetAgainstWindow(config, entry, values, budget);
        RunPlan run;
        run.params = params;
        run.key_path = entry.key_path;
        const nlohmann::json params_json = ParamsJson(values);
        const nlohmann::json resolved = {{"model", model},
                                         {"method", entry.name},
                                         {"params", params_json},
                                         {"budget", budget},
                                         {"max_new_tokens", config.max_new_tokens},
                                         {"seed", config.seed}};
        RunRecord& r = run.record;
        r.config_json = resolved.dump();
        r.run_id = StableHash(r.config_json);
        r.name = RunName(entry.name, params, budget);
        r.method = entry.name;
        r.method_params_json = params_json.dump();
        r.budget = budget;
        r.model = config.model.path.filename().string();
        if (!names.insert(r.name).second) {
          throw ConfigError(StrCat(config.source.string(), ": ", entry.key_path,
                                   ": run '", r.name, "' appears twice in the sweep"));
        }
        runs.push_back(std::move(run));
      }
    }
  }
  return runs;
}

std::vector<DatasetPlan> PlanDatasets(const SweepConfig& config) {
  std::vector<DatasetPlan> datasets;
  for (const DatasetEntry& entry : config.datasets) {
    DatasetPlan plan;
    plan.entry = entry;
    YAML::Node options = entry.options ? YAML::Clone(entry.options) : YAML::Node(YAML::NodeType::Null);
    // The sweep's seed reaches every dataset that declares a `seed` option and was not
    // given its own, so one number reproduces a whole sweep of generated data.
    const DatasetSpec* spec = nullptr;
    try {
      spec = &DatasetRegistry::Get().Find(entry.name);
    } catch (const ConfigError& e) {
      throw ConfigError(StrCat(config.source.string(), ": ", entry.key_path, ".name: ", e.what()));
    }
    const bool takes_seed = std::any_of(spec->options.begin(), spec->options.end(),
                                        [](const DatasetOptionSpec& o) { return o.name == "seed"; });
    if (takes_seed && (!options.IsMap() || !options["seed"])) {
      if (!options.IsMap()) options = YAML::Node(YAML::NodeType::Map);
      options["seed"] = config.seed;
    }
    try {
      plan.dataset = CreateDataset(entry.name, options, config.source.string());
    } catch (const Error& e) {
      // A missing data directory is a config error too: exit code 2, before any model.
      throw ConfigError(StrCat(config.source.string(), ": ", entry.key_path, ": ", e.what()));
    }
    const std::size_t size = plan.dataset->size();
    plan.samples = config.samples > 0 ? std::min<std::size_t>(size, config.samples) : size;
    datasets.push_back(std::move(plan));
  }
  return datasets;
}

}  // namespace

std::string Shard::Text() const {
  return count == 1 ? "" : StrCat(index, "/", count);
}

Shard ParseShard(const std::string& text) {
  const auto slash = text.find('/');
  Shard shard;
  try {
    if (slash == std::string::npos) throw std::invalid_argument(text);
    shard.index = std::stoul(text.substr(0, slash));
    shard.count = std::stoul(text.substr(slash + 1));
  } catch (const std::exception&) {
    throw ConfigError(StrCat("--shard ", text, ": expected i/n, e.g. 0/4"));
  }
  if (shard.count == 0 || shard.index >= shard.count) {
    throw ConfigError(StrCat("--shard ", text, ": need 0 <= i < n"));
  }
  return shard;
}

std::size_t SweepPlan::SamplesInShard(const Shard& shard) const {
  std::size_t ordinal = 0, count = 0;
  for (const DatasetPlan& d : datasets) {
    for (std::size_t i = 0; i < d.samples; ++i) count += shard.Contains(ordinal++) ? 1 : 0;
  }
  return count;
}

SweepPlan BuildSweepPlan(const SweepConfig& config) {
  SweepPlan plan;
  plan.config = config;
  plan.runs = PlanRuns(config);
  plan.datasets = PlanDatasets(config);
  return plan;
}

std::string DescribePlan(const SweepPlan& plan, const Shard& shard) {
  std::ostringstream out;
  const std::size_t samples = plan.SamplesInShard(shard);
  out << "sweep " << plan.config.source.string() << (shard.count > 1 ? " shard " + shard.Text() : "")
      << "\n  model: " << plan.config.model.path.string() << " (" << plan.config.model.dtype << ", "
      << plan.config.model.device << ")\n  output: " << plan.config.output.string() << "\n";
  out << "runs: " << plan.runs.size() << "\n";
  for (const RunPlan& run : plan.runs) {
    out << "  " << run.record.name << "  " << run.record.method << " " << run.record.method_params_json
        << " budget " << run.record.budget << "  [" << run.record.run_id.substr(0, 12) << "]\n";
  }
  out << "datasets: " << plan.datasets.size() << "\n";
  for (const DatasetPlan& d : plan.datasets) {
    out << "  " << d.entry.label << " (" << d.entry.name << "): " << d.samples << " samples of "
        << d.dataset->size() << "\n";
  }
  out << "jobs: " << plan.runs.size() * plan.datasets.size() << " (runs x datasets)\n"
      << "samples: " << samples << "\n"
      << "prefills: " << samples << " (one per sample, shared by " << plan.runs.size()
      << " runs)\n"
      << "generations: " << samples * plan.runs.size() << "\n";
  return out.str();
}

}  // namespace kvb
