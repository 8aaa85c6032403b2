#include "datasets/dataset_options.h"
#include "util/edit_distance.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>

#include "util/error.h"

namespace kvb {

struct DatasetOptions::Impl {
  std::string dataset;
  std::string source;
  YAML::Node node;
};

namespace {

std::string Where(const std::string& source, const YAML::Node& node) {
  std::string where = source.empty() ? std::string() : source;
  const YAML::Mark mark = node.Mark();
  if (mark.line >= 0) where += StrCat(where.empty() ? "" : ":", "line ", mark.line + 1);
  return where.empty() ? where : where + ": ";
}

}  // namespace

DatasetOptions::DatasetOptions(const DatasetSpec& spec, const YAML::Node& node,
                               std::string_view source)
    : impl_(std::make_unique<Impl>()) {
  impl_->dataset = spec.name;
  impl_->source = std::string(source);
  impl_->node = node;
  if (!node.IsDefined() || node.IsNull()) {
    impl_->node = YAML::Node(YAML::NodeType::Map);
    return;
  }
  if (!node.IsMap()) {
    throw ConfigError(StrCat(Where(impl_->source, node), "dataset '", spec.name,
                             "': options must be a map of key: value"));
  }
  Strings known;
  for (const auto& option : spec.options) known.push_back(option.name);
  for (const auto& entry : node) {
    const std::string key = entry.first.as<std::string>();
    if (std::find(known.begin(), known.end(), key) != known.end()) continue;
    std::string message = StrCat(Where(impl_->source, entry.first), "dataset '", spec.name,
                                 "': unknown option '", key, "'");
    if (auto near = NearestName(key, known); !near.empty()) message += StrCat("; did you mean '", near, "'?");
    message += " Known options:";
    for (const auto& k : known) message += " " + k;
    throw ConfigError(message);
  }
}

DatasetOptions::~DatasetOptions() = default;

const std::string& DatasetOptions::dataset_name() const { return impl_->dataset; }

void DatasetOptions::Fail(std::string_view key, const std::string& message) const {
  const YAML::Node value = impl_->node[std::string(key)];
  throw ConfigError(StrCat(Where(impl_->source, value.IsDefined() ? value : impl_->node), "dataset '",
                           impl_->dataset, "', option '", key, "': ", message));
}

bool DatasetOptions::Has(std::string_view key) const {
  const YAML::Node value = impl_->node[std::string(key)];
  return value.IsDefined() && !value.IsNull();
}

bool DatasetOptions::IsScalar(std::string_view key) const {
  return Has(key) && impl_->node[std::string(key)].IsScalar();
}

namespace {

template <typename T>
T Convert(const DatasetOptions& options, std::string_view key, const YAML::Node& value,
          const char* type_name) {
  if (!value.IsScalar()) options.Fail(key, StrCat("expected ", type_name));
  try {
    return value.as<T>();
  } catch (const YAML::Exception&) {
    options.Fail(key, StrCat("expected ", type_name, ", got '", value.Scalar(), "'"));
  }
}

}  // namespace

std::optional<std::string> DatasetOptions::OptionalString(std::string_view key) const {
  if (!Has(key)) return std::nullopt;
  return Convert<std::string>(*this, key, impl_->node[std::string(key)], "a string");
}

std::string DatasetOptions::String(std::string_view key, const std::string& fallback) const {
  return OptionalString(key).value_or(fallback);
}

std::int64_t DatasetOptions::Int(std::string_view key, std::int64_t fallback) const {
  if (!Has(key)) return fallback;
  return Convert<std::int64_t>(*this, key, impl_->node[std::string(key)], "an integer");
}

double DatasetOptions::Double(std::string_view key, double fallback) const {
  if (!Has(key)) return fallback;
  return Convert<double>(*this, key, impl_->node[std::string(key)], "a number");
}

bool DatasetOptions::Bool(std::string_view key, bool fallback) const {
  if (!Has(key)) return fallback;
  return Convert<bool>(*this, key, impl_->node[std::string(key)], "true or false");
}

namespace {

template <typename T>
std::vector<T> ConvertList(const DatasetOptions& options, std::string_view key,
                           const YAML::Node& value, const char* type_name) {
  std::vector<T> out;
  if (value.IsScalar()) {
    out.push_back(Convert<T>(options, key, value, type_name));
    return out;
  }
  if (!value.IsSequence()) options.Fail(key, StrCat("expected ", type_name, " or a list of them"));
  for (const auto& item : value) out.push_back(Convert<T>(options, key, item, type_name));
  return out;
}

}  // namespace

Strings DatasetOptions::StringList(std::string_view key, const Strings& fallback) const {
  if (!Has(key)) return fallback;
  return ConvertList<std::string>(*this, key, impl_->node[std::string(key)], "a string");
}

std::vector<std::int64_t> DatasetOptions::IntList(std::string_view key,
                                                  const std::vector<std::int64_t>& fallback) const {
  if (!Has(key)) return fallback;
  return ConvertList<std::int64_t>(*this, key, impl_->node[std::string(key)], "an integer");
}

std::vector<double> DatasetOptions::DoubleList(std::string_view key,
                                               const std::vector<double>& fallback) const {
  if (!Has(key)) return fallback;
  return ConvertList<double>(*this, key, impl_->node[std::string(key)], "a number");
}

std::vector<std::int64_t> DatasetOptions::IntRange(std::string_view key,
                                                   const std::vector<std::int64_t>& fallback) const {
  if (!Has(key)) return fallback;
  const YAML::Node value = impl_->node[std::string(key)];
  if (!value.IsMap()) return IntList(key, fallback);
  for (const auto& entry : value) {
    const std::string sub = entry.first.as<std::string>();
    if (sub != "from" && sub != "to" && sub != "step") {
      Fail(key, StrCat("unknown key '", sub, "' (expected from, to, step)"));
    }
  }
  if (!value["from"] || !value["to"]) Fail(key, "a range needs 'from' and 'to'");
  const auto from = Convert<std::int64_t>(*this, key, value["from"], "an integer");
  const auto to = Convert<std::int64_t>(*this, key, value["to"], "an integer");
  const auto step =
      value["step"] ? Convert<std::int64_t>(*this, key, value["step"], "an integer") : std::int64_t{1};
  if (step <= 0) Fail(key, "'step' must be positive");
  if (to < from) Fail(key, "'to' must be >= 'from'");
  // np.arange(from, to + 1, step): `to` is included when the steps land on it.
  std::vector<std::int64_t> out;
  for (std::int64_t v = from; v <= to; v += step) out.push_back(v);
  return out;
}

}  // namespace kvb
