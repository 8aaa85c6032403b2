// One interface, one file per output format (STYLE P14, like Google Benchmark's
// reporters): adding a format is one new file that registers a writer.
#pragma once

#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "reports/report_data.h"

namespace kvb {

class ReportWriter {
 public:
  virtual ~ReportWriter() = default;
  // Writes this format's file(s) into `dir`; returns the paths written.
  virtual std::vector<std::filesystem::path> Write(const ReportData& data,
                                                   const std::filesystem::path& dir) const = 0;
};

using ReportWriterFactory = std::function<std::unique_ptr<ReportWriter>()>;

// Registered writers by format name ("markdown", "html", "csv"), sorted by name.
const std::vector<std::pair<std::string, ReportWriterFactory>>& ReportWriters();

struct ReportWriterRegistrar {
  ReportWriterRegistrar(const char* format, ReportWriterFactory factory);
};

// Builds the report data once and runs every registered writer (or those named).
std::vector<std::filesystem::path> WriteReport(const ResultsStore& store,
                                               const std::filesystem::path& dir,
                                               const std::vector<std::string>& formats = {});

}  // namespace kvb

#define KVB_REGISTER_REPORT_WRITER(format, Class)                                   \
  static ::kvb::ReportWriterRegistrar kvb_report_writer_registrar_##Class(format, [] { \
    return std::unique_ptr<::kvb::ReportWriter>(new Class());                       \
  })
