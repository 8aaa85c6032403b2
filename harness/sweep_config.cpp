#include "harness/sweep_config.h"
#include "util/edit_distance.h"

#include <algorithm>
#include <set>
#include <sstream>

#include "util/error.h"
#include "util/file.h"

namespace kvb {
namespace {


std::string Suggestion(const std::string& key, const std::vector<std::string>& known) {
  const std::string best = NearestName(key, known);
  std::string names;
  for (const std::string& k : known) names += (names.empty() ? "" : ", ") + k;
  return best.empty() ? StrCat(" (known: ", names, ")")
                      : StrCat(" (did you mean '", best, "'? known: ", names, ")");
}

// Reads one section of the sweep with its key path, so that every error can name
// the file, line and key.
class Reader {
 public:
  Reader(std::filesystem::path source) : source_(std::move(source)) {}

  [[noreturn]] void Fail(const YAML::Node& node, const std::string& path,
                         const std::string& message) const {
    throw ConfigError(ConfigMessage(source_, node, path, message));
  }

  void RequireMap(const YAML::Node& node, const std::string& path) const {
    if (!node.IsMap()) Fail(node, path, "expected a map of keys");
  }

  void CheckKeys(const YAML::Node& map, const std::string& path,
                 const std::vector<std::string>& known) const {
    for (const auto& entry : map) {
      const std::string key = entry.first.as<std::string>();
      if (std::find(known.begin(), known.end(), key) == known.end()) {
        Fail(entry.first, Join(path, key), "unknown key" + Suggestion(key, known));
      }
    }
  }

  static std::string Join(const std::string& path, const std::string& key) {
    return path.empty() ? key : path + "." + key;
  }

  const YAML::Node& Scalar(const YAML::Node& node, const std::string& path) const {
    if (node.IsSequence()) Fail(node, path, "expected a single value, found a list");
    if (node.IsMap()) Fail(node, path, "expected a single value, found a map");
    if (!node.IsScalar()) Fail(node, path, "expected a value");
    return node;
  }

  std::string String(const YAML::Node& node, const std::string& path) const {
    return Scalar(node, path).as<std::string>();
  }

  std::int64_t Int(const YAML::Node& node, const std::string& path) const {
    try {
      return Scalar(node, path).as<std::int64_t>();
    } catch (const YAML::BadConversion&) {
      Fail(node, path, StrCat("expected an integer, found '", node.as<std::string>(), "'"));
    }
  }

  std::int64_t PositiveInt(const YAML::Node& node, const std::string& path) const {
    const std::int64_t value = Int(node, path);
    if (value <= 0) Fail(node, path, StrCat("must be positive, found ", value));
    return value;
  }

  std::string Choice(const YAML::Node& node, const std::string& path,
                     const std::vector<std::string>& choices) const {
    const std::string value = String(node, path);
    if (std::find(choices.begin(), choices.end(), value) == choices.end()) {
      Fail(node, path, StrCat("'", value, "' is not one of", Suggestion(value, choices)));
    }
    return value;
  }

  // A scalar or a list of scalars.
  std::vector<YAML::Node> ScalarList(const YAML::Node& node, const std::string& path) const {
    std::vector<YAML::Node> items;
    if (node.IsSequence()) {
      for (std::size_t i = 0; i < node.size(); ++i) {
        items.push_back(Scalar(node[i], StrCat(path, "[", i, "]")));
      }
    } else {
      items.push_back(Scalar(node, path));
    }
    return items;
  }

  const std::filesystem::path& source() const { return source_; }

 private:
  std::filesystem::path source_;
};

const std::vector<std::string> kTopKeys = {"name",       "model",   "methods", "budgets", "datasets",
                                           "generation", "samples", "seed",    "output"};
const std::vector<std::string> kModelKeys = {"path",          "dtype",         "device",
                                             "context_limit", "chat_template", "stop_tokens"};
const std::vector<std::string> kMethodKeys = {"name", "params"};
const std::vector<std::string> kDatasetKeys = {"name", "label", "options"};
const std::vector<std::string> kGenerationKeys = {"max_new_tokens"};

std::filesystem::path Resolve(const std::filesystem::path& source, const std::string& value) {
  const std::filesystem::path path(value);
  if (path.is_absolute() || source.empty()) return path;
  return source.parent_path() / path;
}

ModelSettings ReadModel(const Reader& r, const YAML::Node& node) {
  r.RequireMap(node, "model");
  r.CheckKeys(node, "model", kModelKeys);
  ModelSettings model;
  if (!node["path"]) r.Fail(node, "model.path", "missing (the checkpoint directory)");
  model.path = Resolve(r.source(), r.String(node["path"], "model.path"));
  if (!std::filesystem::is_directory(model.path)) {
    r.Fail(node["path"], "model.path", StrCat("no checkpoint directory at ", model.path.string()));
  }
  if (node["dtype"]) {
    model.dtype = r.Choice(node["dtype"], "model.dtype", {"float32", "bfloat16", "float16"});
  }
  if (node["device"]) {
    model.device = r.String(node["device"], "model.device");
    if (model.device != "cpu" && model.device.rfind("cuda", 0) != 0) {
      r.Fail(node["device"], "model.device", "expected cpu, cuda or cuda:N, found '" + model.device + "'");
    }
  }
  if (node["context_limit"]) {
    model.context_limit = r.PositiveInt(node["context_limit"], "model.context_limit");
  }
  if (node["chat_template"]) {
    model.chat_template = r.Choice(node["chat_template"], "model.chat_template", {"auto", "none"});
  }
  if (node["stop_tokens"]) {
    for (const YAML::Node& item : r.ScalarList(node["stop_tokens"], "model.stop_tokens")) {
      model.stop_tokens.push_back(item.as<std::string>());
    }
  }
  return model;
}

std::vector<MethodEntry> ReadMethods(const Reader& r, const YAML::Node& node) {
  if (!node.IsSequence() || node.size() == 0) {
    r.Fail(node, "methods", "expected a non-empty list of {name, params}");
  }
  std::vector<MethodEntry> methods;
  for (std::size_t i = 0; i < node.size(); ++i) {
    const std::string path = StrCat("methods[", i, "]");
    MethodEntry entry;
    entry.key_path = path;
    if (node[i].IsScalar()) {  // `- full`: a method with every parameter at its default
      entry.name = node[i].as<std::string>();
      methods.push_back(entry);
      continue;
    }
    r.RequireMap(node[i], path);
    r.CheckKeys(node[i], path, kMethodKeys);
    if (!node[i]["name"]) r.Fail(node[i], path + ".name", "missing");
    entry.name = r.String(node[i]["name"], path + ".name");
    if (node[i]["params"]) {
      entry.params = node[i]["params"];
      if (!entry.params.IsNull()) r.RequireMap(entry.params, path + ".params");
      for (const auto& param : entry.params) {
        const std::string key = param.first.as<std::string>();
        if (param.second.IsMap()) r.Fail(param.second, path + ".params." + key, "expected a value or a list of values");
        if (param.second.IsSequence()) {
          if (param.second.size() == 0) r.Fail(param.second, path + ".params." + key, "empty list");
          for (std::size_t j = 0; j < param.second.size(); ++j) {
            r.Scalar(param.second[j], StrCat(path, ".params.", key, "[", j, "]"));
          }
        }
      }
    }
    methods.push_back(entry);
  }
  return methods;
}

std::vector<DatasetEntry> ReadDatasets(const Reader& r, const YAML::Node& node) {
  if (!node.IsSequence() || node.size() == 0) {
    r.Fail(node, "datasets", "expected a non-empty list of {name, options}");
  }
  std::vector<DatasetEntry> datasets;
  std::set<std::string> labels;
  for (std::size_t i = 0; i < node.size(); ++i) {
    const std::string path = StrCat("datasets[", i, "]");
    DatasetEntry entry;
    entry.key_path = path;
    if (node[i].IsScalar()) {
      entry.name = node[i].as<std::string>();
    } else {
      r.RequireMap(node[i], path);
      r.CheckKeys(node[i], path, kDatasetKeys);
      if (!node[i]["name"]) r.Fail(node[i], path + ".name", "missing");
      entry.name = r.String(node[i]["name"], path + ".name");
      if (node[i]["label"]) entry.label = r.String(node[i]["label"], path + ".label");
      if (node[i]["options"]) entry.options = node[i]["options"];
    }
    if (entry.label.empty()) entry.label = entry.name;
    if (entry.label.find('/') != std::string::npos) {
      r.Fail(node[i], path + ".label", "must not contain '/' (it names a file)");
    }
    if (!labels.insert(entry.label).second) {
      r.Fail(node[i], path + ".label",
             StrCat("'", entry.label, "' is used twice; give each entry its own label"));
    }
    datasets.push_back(entry);
  }
  return datasets;
}

}  // namespace

std::string ConfigMessage(const std::filesystem::path& source, const YAML::Node& node,
                          const std::string& key_path, const std::string& message) {
  std::string where = source.string();
  if (node.IsDefined() && node.Mark().line >= 0) where += StrCat(":", node.Mark().line + 1);
  return StrCat(where, ": ", key_path, ": ", message);
}

void ApplyOverrides(YAML::Node& root, const std::vector<std::string>& overrides) {
  for (const std::string& override_text : overrides) {
    const auto equals = override_text.find('=');
    if (equals == std::string::npos || equals == 0) {
      throw ConfigError(StrCat("--set ", override_text, ": expected key.path=value"));
    }
    const std::string key = override_text.substr(0, equals);
    YAML::Node value;
    try {
      value = YAML::Load(override_text.substr(equals + 1));
    } catch (const YAML::Exception& e) {
      throw ConfigError(StrCat("--set ", key, ": value is not YAML: ", e.msg));
    }
    std::vector<std::string> parts;
    std::stringstream stream(key);
    for (std::string part; std::getline(stream, part, '.');) parts.push_back(part);
    // yaml-cpp nodes are handles: walk with fresh copies so the root is not reassigned.
    std::vector<YAML::Node> chain = {root};
    for (std::size_t i = 0; i + 1 < parts.size(); ++i) {
      YAML::Node current = chain.back();
      const std::string& part = parts[i];
      if (current.IsSequence()) {
        const bool numeric = !part.empty() && std::all_of(part.begin(), part.end(), ::isdigit);
        if (!numeric || std::stoul(part) >= current.size()) {
          throw ConfigError(StrCat("--set ", key, ": '", part, "' is not an index of the list"));
        }
        chain.push_back(current[std::stoul(part)]);
      } else {
        if (!current[part]) current[part] = YAML::Node(YAML::NodeType::Map);
        chain.push_back(current[part]);
      }
    }
    YAML::Node parent = chain.back();
    const std::string& last = parts.back();
    if (parent.IsSequence()) {
      const bool numeric = !last.empty() && std::all_of(last.begin(), last.end(), ::isdigit);
      if (!numeric || std::stoul(last) >= parent.size()) {
        throw ConfigError(StrCat("--set ", key, ": '", last, "' is not an index of the list"));
      }
      parent[std::stoul(last)] = value;
    } else {
      parent[last] = value;
    }
  }
}

SweepConfig ParseSweepConfig(const std::string& yaml_text, const std::filesystem::path& source,
                             const std::vector<std::string>& overrides) {
  YAML::Node root;
  try {
    root = YAML::Load(yaml_text);
  } catch (const YAML::ParserException& e) {
    throw ConfigError(StrCat(source.string(), ":", e.mark.line + 1, ": YAML syntax: ", e.msg));
  }
  if (!root.IsDefined() || root.IsNull()) root = YAML::Node(YAML::NodeType::Map);
  ApplyOverrides(root, overrides);
  const Reader r(source);
  r.RequireMap(root, "(top level)");
  r.CheckKeys(root, "", kTopKeys);
  SweepConfig config;
  config.source = source;
  YAML::Emitter emitter;
  emitter << root;
  config.text = emitter.c_str();
  for (const char* required : {"model", "methods", "budgets", "datasets", "output"}) {
    if (!root[required]) r.Fail(root, required, "missing (a sweep needs model, methods, budgets, datasets, output)");
  }
  config.model = ReadModel(r, root["model"]);
  config.methods = ReadMethods(r, root["methods"]);
  for (const YAML::Node& item : r.ScalarList(root["budgets"], "budgets")) {
    config.budgets.push_back(r.PositiveInt(item, "budgets"));
  }
  std::sort(config.budgets.begin(), config.budgets.end());
  config.budgets.erase(std::unique(config.budgets.begin(), config.budgets.end()), config.budgets.end());
  config.datasets = ReadDatasets(r, root["datasets"]);
  if (const YAML::Node generation = root["generation"]) {
    r.RequireMap(generation, "generation");
    r.CheckKeys(generation, "generation", kGenerationKeys);
    if (generation["max_new_tokens"]) {
      config.max_new_tokens = r.PositiveInt(generation["max_new_tokens"], "generation.max_new_tokens");
    }
  }
  if (root["samples"]) {
    config.samples = r.Int(root["samples"], "samples");
    if (config.samples < 0) r.Fail(root["samples"], "samples", "must be >= 0 (0 = all)");
  }
  if (root["seed"]) {
    const std::int64_t seed = r.Int(root["seed"], "seed");
    if (seed < 0) r.Fail(root["seed"], "seed", "must be >= 0");
    config.seed = static_cast<std::uint64_t>(seed);
  }
  config.output = Resolve(source, r.String(root["output"], "output"));
  return config;
}

SweepConfig LoadSweepConfig(const std::filesystem::path& file,
                            const std::vector<std::string>& overrides) {
  if (!std::filesystem::exists(file)) throw ConfigError(StrCat(file.string(), ": no such sweep file"));
  return ParseSweepConfig(ReadFile(file), file, overrides);
}

}  // namespace kvb
