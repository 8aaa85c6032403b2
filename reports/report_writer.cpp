#include "reports/report_writer.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>

#include "util/error.h"

namespace kvb {
namespace {

std::vector<std::pair<std::string, ReportWriterFactory>>& MutableWriters() {
  static std::vector<std::pair<std::string, ReportWriterFactory>> writers;  // function-local
  return writers;
}

}  // namespace

const std::vector<std::pair<std::string, ReportWriterFactory>>& ReportWriters() {
  return MutableWriters();
}

ReportWriterRegistrar::ReportWriterRegistrar(const char* format, ReportWriterFactory factory) {
  auto& writers = MutableWriters();
  for (const auto& [name, unused] : writers) {
    if (name == format) {
      std::fprintf(stderr, "kvbench: report format '%s' registered twice\n", format);
      std::abort();
    }
  }
  writers.emplace_back(format, std::move(factory));
  std::sort(writers.begin(), writers.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
}

std::vector<std::filesystem::path> WriteReport(const ResultsStore& store,
                                               const std::filesystem::path& dir,
                                               const std::vector<std::string>& formats) {
  for (const std::string& format : formats) {
    const bool known = std::any_of(ReportWriters().begin(), ReportWriters().end(),
                                   [&](const auto& w) { return w.first == format; });
    if (!known) {
      std::string names;
      for (const auto& [name, unused] : ReportWriters()) names += (names.empty() ? "" : ", ") + name;
      throw ConfigError(StrCat("unknown report format '", format, "' (known: ", names, ")"));
    }
  }
  const ReportData data = BuildReportData(store);
  std::filesystem::create_directories(dir);
  std::vector<std::filesystem::path> written;
  for (const auto& [name, factory] : ReportWriters()) {
    if (!formats.empty() && std::find(formats.begin(), formats.end(), name) == formats.end()) {
      continue;
    }
    for (auto& path : factory()->Write(data, dir)) written.push_back(path);
  }
  return written;
}

}  // namespace kvb
