#include "reports/compare.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <sstream>
#include <tuple>

#include "reports/report_data.h"
#include "util/error.h"
#include "util/file.h"

namespace kvb {
namespace {

double RoundToMicro(double value) { return std::round(value * 1e6) / 1e6; }

bool Selected(const CompareOptions& options, const std::string& metric) {
  return options.metrics.empty() ||
         std::find(options.metrics.begin(), options.metrics.end(), metric) != options.metrics.end();
}

std::vector<std::string> SplitCsvLine(const std::string& line) {
  std::vector<std::string> fields(1);
  bool quoted = false;
  for (std::size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (quoted && c == '"' && i + 1 < line.size() && line[i + 1] == '"') {
      fields.back() += '"';
      ++i;
    } else if (c == '"') {
      quoted = !quoted;
    } else if (c == ',' && !quoted) {
      fields.emplace_back();
    } else {
      fields.back() += c;
    }
  }
  return fields;
}

std::string CsvField(const std::string& field) {
  if (field.find_first_of(",\"\n") == std::string::npos) return field;
  std::string out = "\"";
  for (char c : field) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

constexpr const char* kCellsHeader = "run,dataset,metric,higher_is_better,score,samples";

}  // namespace

CellTable CellsFromStore(const ResultsStore& store) {
  std::map<std::string, std::string> name_of;
  for (const RunRecord& run : store.Runs()) name_of[run.run_id] = run.name;
  std::map<CellKey, double> sums;
  CellTable cells;
  for (const StoredResult& row : store.Results()) {
    if (row.result.failed) continue;
    for (const MetricScore& score : row.result.scores) {
      const CellKey key{name_of.at(row.run_id), row.result.sample.dataset, score.metric};
      CellMean& cell = cells[key];
      sums[key] += 100.0 * score.value;
      ++cell.samples;
      cell.higher_is_better = score.higher_is_better;
    }
  }
  for (auto& [key, cell] : cells) cell.score = RoundToMicro(sums[key] / cell.samples);
  return cells;
}

std::string CellsCsv(const CellTable& cells) {
  std::ostringstream out;
  out << kCellsHeader << "\n";
  char score[64];
  for (const auto& [key, cell] : cells) {
    std::snprintf(score, sizeof(score), "%.6f", cell.score);
    out << CsvField(std::get<0>(key)) << "," << CsvField(std::get<1>(key)) << "," << CsvField(std::get<2>(key))
        << "," << (cell.higher_is_better ? 1 : 0) << "," << score << "," << cell.samples << "\n";
  }
  return out.str();
}

std::string PredictionsCsv(const ResultsStore& store) {
  std::map<std::string, std::string> name_of;
  for (const RunRecord& run : store.Runs()) name_of[run.run_id] = run.name;
  std::vector<std::string> lines;
  for (const StoredResult& row : store.Results()) {
    const ResultRecord& r = row.result;
    const std::string text = r.failed ? "FAILED: " + r.error : r.prediction;
    lines.push_back(StrCat(CsvField(name_of.at(row.run_id)), ",", CsvField(r.sample.dataset), ",",
                           CsvField(r.sample.sample_id), ",", CsvField(text), "\n"));
  }
  std::sort(lines.begin(), lines.end());
  std::string out = "run,dataset,sample_id,prediction\n";
  for (const std::string& line : lines) out += line;
  return out;
}

CellTable ReadCellsCsv(const std::filesystem::path& file) {
  std::istringstream in(ReadFile(file));
  std::string line;
  if (!std::getline(in, line) || line != kCellsHeader) {
    throw Error(StrCat(file.string(), ":1: not a cells CSV (expected the header '", kCellsHeader, "')"));
  }
  CellTable cells;
  for (int number = 2; std::getline(in, line); ++number) {
    if (line.empty()) continue;
    const std::vector<std::string> f = SplitCsvLine(line);
    CellMean cell;
    try {
      if (f.size() != 6 || (f[3] != "0" && f[3] != "1")) throw std::invalid_argument(line);
      std::size_t used = 0;
      cell.score = RoundToMicro(std::stod(f[4], &used));
      if (used != f[4].size()) throw std::invalid_argument(f[4]);
      cell.samples = std::stoll(f[5]);
    } catch (const std::exception&) {
      throw Error(StrCat(file.string(), ":", number, ": expected ", kCellsHeader, ", got '", line, "'"));
    }
    cell.higher_is_better = f[3] == "1";
    if (!cells.emplace(CellKey{f[0], f[1], f[2]}, cell).second) {
      throw Error(StrCat(file.string(), ":", number, ": cell ", f[0], " / ", f[1], " / ", f[2], " appears twice"));
    }
  }
  return cells;
}

CellTable LoadCells(const std::filesystem::path& path) {
  if (path.extension() == ".csv") return ReadCellsCsv(path);
  return CellsFromStore(ResultsStore::OpenReadOnly(ResultsStore::DatabasePath(path)));
}

Comparison CompareCells(const CellTable& base, const CellTable& cand, const CompareOptions& options) {
  std::map<CellKey, CellDelta> merged;
  for (const auto& [key, mean] : base) {
    if (!Selected(options, std::get<2>(key))) continue;
    CellDelta& d = merged[key];
    std::tie(d.run_name, d.dataset, d.metric) = key;
    d.in_baseline = true;
    d.baseline = mean.score;
    d.higher_is_better = mean.higher_is_better;
  }
  for (const auto& [key, mean] : cand) {
    if (!Selected(options, std::get<2>(key))) continue;
    CellDelta& d = merged[key];
    std::tie(d.run_name, d.dataset, d.metric) = key;
    d.in_candidate = true;
    d.candidate = mean.score;
    if (!d.in_baseline) d.higher_is_better = mean.higher_is_better;
  }
  Comparison comparison;
  for (auto& [key, d] : merged) {
    if (d.in_baseline && d.in_candidate) {
      d.delta = d.candidate - d.baseline;
      const double gain = d.higher_is_better ? d.delta : -d.delta;
      d.regression = gain < -options.tolerance;
      if (d.regression) ++comparison.regressions;
      if (gain > options.tolerance) ++comparison.improvements;
    } else if (d.in_baseline) {
      d.regression = true;  // a cell that vanished cannot pass CI silently
      ++comparison.missing;
    }
    comparison.cells.push_back(d);
  }
  return comparison;
}

Comparison CompareStores(const ResultsStore& baseline, const ResultsStore& candidate,
                         const CompareOptions& options) {
  return CompareCells(CellsFromStore(baseline), CellsFromStore(candidate), options);
}

std::string FormatComparison(const Comparison& comparison, const CompareOptions& options) {
  std::ostringstream out;
  char line[512];
  std::snprintf(line, sizeof(line), "%-32s %-20s %-22s %9s %9s %8s\n", "run", "dataset", "metric",
                "baseline", "candidate", "delta");
  out << line;
  for (const CellDelta& d : comparison.cells) {
    const std::string base = d.in_baseline ? FormatScore(d.baseline) : "-";
    const std::string cand = d.in_candidate ? FormatScore(d.candidate) : "-";
    const std::string delta = d.in_baseline && d.in_candidate
                                  ? (d.delta >= 0 ? "+" : "") + FormatScore(d.delta)
                                  : "";
    const double gain = d.higher_is_better ? d.delta : -d.delta;
    const bool moved_up = options.fail_on_improvement && d.in_baseline && d.in_candidate && gain > options.tolerance;
    const char* flag = d.regression ? (d.in_candidate ? "  REGRESSION" : "  MISSING") : moved_up ? "  CHANGED" : "";
    std::snprintf(line, sizeof(line), "%-32s %-20s %-22s %9s %9s %8s%s\n", d.run_name.c_str(),
                  d.dataset.c_str(), (d.metric + (d.higher_is_better ? " (+)" : " (-)")).c_str(),
                  base.c_str(), cand.c_str(), delta.c_str(), flag);
    out << line;
  }
  out << comparison.cells.size() << " cells, " << comparison.regressions
      << " worse by more than " << FormatScore(options.tolerance) << ", "
      << comparison.improvements << " better, " << comparison.missing
      << " missing in the candidate\n";
  return out.str();
}

}  // namespace kvb
