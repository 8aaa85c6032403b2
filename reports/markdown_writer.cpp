// report.md: the paper-style table (a block per budget), grids, the cost table.
#include <sstream>

#include "reports/report_writer.h"
#include "util/file.h"

namespace kvb {
namespace {

std::string Row(const std::vector<std::string>& cells) {
  std::string out = "|";
  for (const std::string& c : cells) out += " " + c + " |";
  return out + "\n";
}

std::string Rule(std::size_t n) {
  std::string out = "|";
  for (std::size_t i = 0; i < n; ++i) out += "---|";
  return out + "\n";
}

class MarkdownWriter : public ReportWriter {
 public:
  std::vector<std::filesystem::path> Write(const ReportData& data,
                                           const std::filesystem::path& dir) const override {
    std::ostringstream md;
    md << "# kvbench report\n\nSource: `" << data.source << "`. Scores are 100 x the mean of the "
       << "dataset's metric over successful samples.\n\n## Scores by budget\n\n";
    std::vector<std::string> header = {"method"};
    for (const auto& d : data.datasets) header.push_back(d + " (" + data.PrimaryMetric(d) + ")");
    header.push_back("average");
    for (std::int64_t budget : data.budgets) {
      md << "### Budget " << budget << "\n\n" << Row(header) << Rule(header.size());
      for (const MethodVariant& v : data.variants) {
        const auto average = data.Average(v.key, budget);
        if (!average) continue;
        std::vector<std::string> cells = {v.label};
        for (const auto& d : data.datasets) {
          const ScoreCell* cell = data.Cell(v.key, budget, d);
          cells.push_back(cell && cell->samples ? FormatScore(cell->score) : "-");
        }
        cells.push_back(FormatScore(*average));
        md << Row(cells);
      }
      md << "\n";
    }
    for (const GridTable& grid : data.grids) {
      md << "## " << grid.dataset << ": " << grid.variant_label << ", budget " << grid.budget
         << " (" << grid.row_key << " x " << grid.col_key << ")\n\n";
      std::vector<std::string> head = {grid.row_key + " \\ " + grid.col_key};
      head.insert(head.end(), grid.cols.begin(), grid.cols.end());
      md << Row(head) << Rule(head.size());
      for (const std::string& r : grid.rows) {
        std::vector<std::string> cells = {r};
        for (const std::string& c : grid.cols) {
          auto it = grid.cells.find({r, c});
          cells.push_back(it == grid.cells.end() ? "-" : FormatScore(it->second));
        }
        md << Row(cells);
      }
      md << "\n";
    }
    md << "## Cost\n\n";
    const std::vector<std::string> cost_head = {"run", "method", "budget", "samples", "prefill ms",
                                                "decode ms/token", "peak MiB", "KV MiB held",
                                                "KV MiB full", "compression"};
    md << Row(cost_head) << Rule(cost_head.size());
    for (const RunCost& c : data.costs) {
      md << Row({c.run_name, c.variant_label, std::to_string(c.budget), std::to_string(c.samples),
                 FormatScore(c.prefill_ms), FormatScore(c.decode_ms_per_token),
                 FormatScore(c.peak_mib), FormatScore(c.kv_mib_kept), FormatScore(c.kv_mib_full),
                 FormatScore(c.compression) + "x"});
    }
    const auto path = dir / "report.md";
    WriteFileAtomically(path, md.str());
    return {path};
  }
};

KVB_REGISTER_REPORT_WRITER("markdown", MarkdownWriter);

}  // namespace
}  // namespace kvb
