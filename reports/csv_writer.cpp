// scores.csv (one line per variant x budget x dataset cell), costs.csv, grids.csv.
#include <sstream>

#include "reports/report_writer.h"
#include "util/file.h"

namespace kvb {
namespace {

// RFC 4180 quoting: labels hold commas ("{window:32, kernel:7}").
std::string Csv(const std::string& field) {
  if (field.find_first_of(",\"\n") == std::string::npos) return field;
  std::string out = "\"";
  for (char c : field) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

class CsvWriter : public ReportWriter {
 public:
  std::vector<std::filesystem::path> Write(const ReportData& data,
                                           const std::filesystem::path& dir) const override {
    std::ostringstream scores;
    scores << "method,budget,dataset,metric,higher_is_better,score,samples,failed\n";
    for (const MethodVariant& v : data.variants) {
      for (std::int64_t budget : data.budgets) {
        for (const std::string& d : data.datasets) {
          const ScoreCell* cell = data.Cell(v.key, budget, d);
          if (!cell) continue;
          scores << Csv(v.label) << "," << budget << "," << Csv(d) << ","
                 << Csv(data.PrimaryMetric(d)) << "," << (cell->higher_is_better ? 1 : 0) << ","
                 << (cell->samples ? FormatScore(cell->score) : "") << "," << cell->samples << ","
                 << cell->failed << "\n";
        }
      }
    }
    std::ostringstream costs;
    costs << "run,method,budget,samples,prefill_ms,decode_ms_per_token,peak_mib,kv_mib_kept,"
             "kv_mib_full,compression\n";
    for (const RunCost& c : data.costs) {
      costs << Csv(c.run_name) << "," << Csv(c.variant_label) << "," << c.budget << ","
            << c.samples << "," << FormatScore(c.prefill_ms) << ","
            << FormatScore(c.decode_ms_per_token) << "," << FormatScore(c.peak_mib) << ","
            << FormatScore(c.kv_mib_kept) << "," << FormatScore(c.kv_mib_full) << ","
            << FormatScore(c.compression) << "\n";
    }
    std::ostringstream grids;
    grids << "dataset,run,method,budget,row_key,row,col_key,col,score\n";
    for (const GridTable& g : data.grids) {
      for (const auto& [rc, value] : g.cells) {
        grids << Csv(g.dataset) << "," << Csv(g.run_name) << "," << Csv(g.variant_label) << ","
              << g.budget << "," << g.row_key << "," << Csv(rc.first) << "," << g.col_key << ","
              << Csv(rc.second) << "," << FormatScore(value) << "\n";
      }
    }
    const std::vector<std::filesystem::path> paths = {dir / "scores.csv", dir / "costs.csv",
                                                      dir / "grids.csv"};
    WriteFileAtomically(paths[0], scores.str());
    WriteFileAtomically(paths[1], costs.str());
    WriteFileAtomically(paths[2], grids.str());
    return paths;
  }
};

KVB_REGISTER_REPORT_WRITER("csv", CsvWriter);

}  // namespace
}  // namespace kvb
