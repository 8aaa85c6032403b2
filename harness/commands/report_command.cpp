// kvbench report <output> -o <dir> [--format markdown,html,csv]
#include <CLI/CLI.hpp>
#include <iostream>
#include <memory>

#include "harness/command.h"
#include "reports/report_writer.h"

namespace kvb {
namespace {

struct ReportArgs {
  std::string results;
  std::string out;
  std::vector<std::string> formats;
};

std::function<int()> SetupReport(CLI::App& app) {
  auto args = std::make_shared<ReportArgs>();
  app.add_option("results", args->results, "a sweep output directory or its results.db")->required();
  app.add_option("-o,--out", args->out, "directory for report.md, report.html and the CSVs (default: <results>/report)");
  app.add_option("--format", args->formats, "only these formats (markdown, html, csv)")->delimiter(',');
  return [args] {
    const std::filesystem::path results(args->results);
    const ResultsStore store = ResultsStore::OpenReadOnly(ResultsStore::DatabasePath(results));
    const std::filesystem::path out = args->out.empty() ? results / "report" : std::filesystem::path(args->out);
    for (const auto& path : WriteReport(store, out, args->formats)) std::cout << "wrote " << path.string() << "\n";
    return 0;
  };
}

KVB_REGISTER_COMMAND("report", "Write report.md, report.html and CSVs from a results store", SetupReport);

}  // namespace
}  // namespace kvb
