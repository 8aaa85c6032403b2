#include "reports/report_data.h"

#include <algorithm>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <set>

namespace kvb {
namespace {

constexpr double kMiB = 1024.0 * 1024.0;

// The grids a report draws, by sample metadata keys: rows are needle depths (when the
// samples carry "depth") or tasks (RULER, reason-in-a-haystack), columns are target
// lengths; a grid covers one sweep entry ("entry": the dataset label, of which each
// task is its own table column). A grid needs every sample of the entry to carry the
// keys and at most kMaxGridColumns distinct lengths: LongBench records each have their
// own length, which makes no grid.
constexpr std::size_t kMaxGridColumns = 16;
const std::vector<std::pair<std::string, std::string>>& GridKeys() {
  static const std::vector<std::pair<std::string, std::string>> keys = {{"depth", "length"},
                                                                        {"task", "length"}};
  return keys;
}

std::string MetadataValue(const nlohmann::json& value) {
  if (value.is_string()) return value.get<std::string>();
  return value.dump();
}

struct Mean {
  double sum = 0.0;
  std::int64_t count = 0;
  void Add(double v) {
    sum += v;
    ++count;
  }
  double value() const { return count ? sum / count : 0.0; }
};

std::string VariantKey(const RunRecord& run) { return run.method + " " + run.method_params_json; }

// A path-valued parameter (HeadKV's heads file) is shown by its file name: the
// directory is the same for every variant of a sweep and would fill the table row.
std::string ShortValue(const nlohmann::json& value) {
  std::string text = MetadataValue(value);
  if (value.is_string()) {
    const std::size_t slash = text.find_last_of('/');
    if (slash != std::string::npos && slash + 1 < text.size()) text = text.substr(slash + 1);
  }
  return text;
}

// "{window:32, kernel:7}" from the params JSON, restricted to `keys`: a method's
// variants are told apart by the parameters that differ between them, not by the
// dozen defaults they share. A key this variant does not set shows as "-".
std::string CompactParams(const nlohmann::json& params, const std::set<std::string>& keys) {
  std::string out = "{";
  for (const std::string& key : keys) {
    if (out.size() > 1) out += ", ";
    out += key + ":" + (params.contains(key) ? ShortValue(params[key]) : "-");
  }
  return out + "}";
}

nlohmann::json ParamsObject(const std::string& params_json) {
  nlohmann::json params = nlohmann::json::parse(params_json, nullptr, false);
  return params.is_object() ? params : nlohmann::json::object();
}

// The keys whose values are not the same in every variant of a method (a key that
// only some variants set counts as differing).
std::set<std::string> DifferingKeys(const std::set<std::string>& variant_params) {
  std::map<std::string, std::set<std::string>> values;
  std::map<std::string, std::size_t> set_by;
  for (const std::string& text : variant_params) {
    const nlohmann::json params = ParamsObject(text);  // items() does not own its object
    for (const auto& [key, value] : params.items()) {
      values[key].insert(value.dump());
      ++set_by[key];
    }
  }
  std::set<std::string> keys;
  for (const auto& [key, seen] : values) {
    if (seen.size() > 1 || set_by[key] < variant_params.size()) keys.insert(key);
  }
  return keys;
}

// Method labels: "snapkv" alone, or "snapkv {window:32}" when the sweep ran several
// variants of it. Labels that shortening made equal (two heads files of one name in
// different folders) fall back to the full parameter values.
std::map<std::string, std::string> VariantLabels(const std::vector<RunRecord>& runs) {
  std::map<std::string, std::set<std::string>> params_per_method;
  for (const RunRecord& run : runs) params_per_method[run.method].insert(run.method_params_json);
  std::map<std::string, std::string> label_of;
  std::map<std::string, int> uses;
  for (const auto& [method, variants] : params_per_method) {
    const std::set<std::string> keys = DifferingKeys(variants);
    for (const std::string& params : variants) {
      std::string label = method;
      if (variants.size() > 1) label += " " + CompactParams(ParamsObject(params), keys);
      label_of[method + " " + params] = label;
      ++uses[label];
    }
  }
  for (auto& [key, label] : label_of) {
    if (uses[label] > 1) label = key;
  }
  return label_of;
}

// Numeric sort when every label is a number (lengths, depths), else lexicographic.
void SortLabels(std::vector<std::string>& labels) {
  const bool numeric = std::all_of(labels.begin(), labels.end(), [](const std::string& s) {
    char* end = nullptr;
    std::strtod(s.c_str(), &end);
    return !s.empty() && *end == '\0';
  });
  if (numeric) {
    std::sort(labels.begin(), labels.end(), [](const std::string& a, const std::string& b) {
      return std::strtod(a.c_str(), nullptr) < std::strtod(b.c_str(), nullptr);
    });
  } else {
    std::sort(labels.begin(), labels.end());
  }
}

std::map<std::string, std::string> PrimaryMetrics(const std::vector<StoredResult>& results) {
  std::map<std::string, std::map<std::string, std::int64_t>> counts;
  for (const StoredResult& row : results) {
    for (const MetricScore& s : row.result.scores) ++counts[row.result.sample.dataset][s.metric];
  }
  std::map<std::string, std::string> primary;
  for (const auto& [dataset, by_metric] : counts) {
    std::int64_t best = -1;
    for (const auto& [metric, n] : by_metric) {  // ties: alphabetical first
      if (n > best) {
        best = n;
        primary[dataset] = metric;
      }
    }
  }
  return primary;
}

const MetricScore* FindScore(const ResultRecord& r, const std::string& metric) {
  for (const MetricScore& s : r.scores) {
    if (s.metric == metric) return &s;
  }
  return nullptr;
}

}  // namespace

std::string FormatScore(double value) {
  char buffer[32];
  std::snprintf(buffer, sizeof(buffer), "%.2f", value);
  return buffer;
}

const ScoreCell* ReportData::Cell(const std::string& variant, std::int64_t budget,
                                  const std::string& dataset) const {
  auto it = cells.find({variant, budget, dataset});
  return it == cells.end() ? nullptr : &it->second;
}

std::optional<double> ReportData::Average(const std::string& variant, std::int64_t budget) const {
  Mean mean;
  for (const std::string& dataset : datasets) {
    const ScoreCell* cell = Cell(variant, budget, dataset);
    if (cell && cell->samples > 0) mean.Add(cell->score);
  }
  if (mean.count == 0) return std::nullopt;
  return mean.value();
}

ReportData BuildReportData(const ResultsStore& store) {
  ReportData data;
  data.source = store.path().string();
  const std::vector<RunRecord> runs = store.Runs();
  const std::vector<StoredResult> results = store.Results();
  data.primary_metric = PrimaryMetrics(results);

  std::map<std::string, const RunRecord*> run_by_id;
  std::set<std::int64_t> budgets;
  for (const RunRecord& run : runs) {
    run_by_id[run.run_id] = &run;
    budgets.insert(run.budget);
  }
  data.budgets.assign(budgets.begin(), budgets.end());
  std::map<std::string, std::string> label_of = VariantLabels(runs);
  std::set<std::string> listed;
  for (const RunRecord& run : runs) {
    const std::string key = VariantKey(run);
    if (listed.insert(key).second) data.variants.push_back({key, label_of[key]});
  }

  std::map<std::tuple<std::string, std::int64_t, std::string>, Mean> means;
  std::set<std::string> datasets;
  std::map<std::string, RunCost> costs;
  // (run id, dataset) -> grid cell means
  std::map<std::pair<std::string, std::string>, std::map<std::pair<std::string, std::string>, Mean>>
      grid_means;
  std::map<std::pair<std::string, std::string>, std::pair<std::string, std::string>> grid_keys;
  std::map<std::pair<std::string, std::string>, bool> grid_possible;

  for (const StoredResult& row : results) {
    const RunRecord& run = *run_by_id.at(row.run_id);
    const ResultRecord& r = row.result;
    const std::string& dataset = r.sample.dataset;
    datasets.insert(dataset);
    ScoreCell& cell = data.cells[{VariantKey(run), run.budget, dataset}];
    RunCost& cost = costs[run.name];
    if (r.failed) {
      ++cell.failed;
      continue;
    }
    const MetricScore* score = FindScore(r, data.primary_metric[dataset]);
    if (score == nullptr) continue;
    cell.higher_is_better = score->higher_is_better;
    ++cell.samples;
    means[{VariantKey(run), run.budget, dataset}].Add(100.0 * score->value);

    ++cost.samples;
    cost.prefill_ms += r.timings.prefill_ms;
    cost.decode_ms_per_token += r.timings.decode_ms_per_token;
    cost.peak_mib += r.memory.peak_bytes / kMiB;
    cost.kv_mib_kept += r.memory.kv_bytes_kept / kMiB;
    cost.kv_mib_full += r.memory.kv_bytes_full / kMiB;

    const nlohmann::json metadata = nlohmann::json::parse(r.sample.metadata_json, nullptr, false);
    const std::string entry = metadata.is_object() && metadata.contains("entry") &&
                                      metadata["entry"].is_string()
                                  ? metadata["entry"].get<std::string>()
                                  : dataset;
    const auto grid_id = std::make_pair(run.run_id, entry);
    if (!grid_possible.count(grid_id)) grid_possible[grid_id] = true;
    if (!grid_possible[grid_id]) continue;
    bool placed = false;
    for (const auto& [row_key, col_key] : GridKeys()) {
      if (!metadata.is_object() || !metadata.contains(row_key) || !metadata.contains(col_key)) {
        continue;
      }
      auto [it, fresh] = grid_keys.emplace(grid_id, std::make_pair(row_key, col_key));
      if (!fresh && it->second != std::make_pair(row_key, col_key)) break;
      grid_means[grid_id][{MetadataValue(metadata[row_key]), MetadataValue(metadata[col_key])}]
          .Add(100.0 * score->value);
      placed = true;
      break;
    }
    if (!placed) grid_possible[grid_id] = false;  // a sample without the keys: no grid
  }
  data.datasets.assign(datasets.begin(), datasets.end());
  for (const auto& [key, mean] : means) data.cells[key].score = mean.value();

  for (const RunRecord& run : runs) {
    auto it = costs.find(run.name);
    if (it == costs.end()) continue;
    RunCost cost = it->second;
    cost.run_name = run.name;
    cost.variant_label = label_of[VariantKey(run)];
    cost.budget = run.budget;
    if (cost.samples > 0) {
      const double n = static_cast<double>(cost.samples);
      cost.prefill_ms /= n;
      cost.decode_ms_per_token /= n;
      cost.peak_mib /= n;
      cost.kv_mib_kept /= n;
      cost.kv_mib_full /= n;
      cost.compression = cost.kv_mib_kept > 0 ? cost.kv_mib_full / cost.kv_mib_kept : 0.0;
    }
    data.costs.push_back(cost);
  }

  for (const auto& [grid_id, cell_means] : grid_means) {
    if (!grid_possible[grid_id]) continue;
    std::set<std::string> distinct_cols;
    for (const auto& [rc, unused] : cell_means) distinct_cols.insert(rc.second);
    if (distinct_cols.size() > kMaxGridColumns || cell_means.size() < 2) continue;
    const RunRecord& run = *run_by_id.at(grid_id.first);
    GridTable grid;
    grid.dataset = grid_id.second;
    grid.run_name = run.name;
    grid.variant_label = label_of[VariantKey(run)];
    grid.budget = run.budget;
    std::tie(grid.row_key, grid.col_key) = grid_keys.at(grid_id);
    std::set<std::string> rows, cols;
    for (const auto& [rc, mean] : cell_means) {
      rows.insert(rc.first);
      cols.insert(rc.second);
      grid.cells[rc] = mean.value();
    }
    grid.rows.assign(rows.begin(), rows.end());
    grid.cols.assign(cols.begin(), cols.end());
    SortLabels(grid.rows);
    SortLabels(grid.cols);
    data.grids.push_back(std::move(grid));
  }
  std::sort(data.grids.begin(), data.grids.end(), [](const GridTable& a, const GridTable& b) {
    return std::tie(a.dataset, a.budget, a.run_name) < std::tie(b.dataset, b.budget, b.run_name);
  });
  return data;
}

}  // namespace kvb
