// report.html: one self-contained file (inline CSS and SVG, no script, no network):
// score-vs-budget curves per dataset and averaged, the paper table, heatmaps, costs.
#include <algorithm>
#include <cmath>
#include <sstream>

#include "reports/report_writer.h"
#include "util/file.h"

namespace kvb {
namespace {

// A colour-blind-safe palette (Okabe-Ito); series beyond it cycle.
constexpr const char* kPalette[] = {"#0072B2", "#E69F00", "#009E73", "#D55E00",
                                    "#CC79A7", "#56B4E9", "#F0E442", "#000000"};
constexpr int kPaletteSize = sizeof(kPalette) / sizeof(kPalette[0]);

std::string Escape(const std::string& text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '&': out += "&amp;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

struct Series {
  std::string label;
  std::vector<std::pair<double, double>> points;  // (budget, score)
};

// Budgets are drawn on a log2 axis (they usually double), scores on 0..max.
std::string LineChart(const std::string& title, const std::vector<Series>& series,
                      const std::vector<std::int64_t>& budgets) {
  constexpr double kW = 460, kH = 280, kLeft = 48, kRight = 150, kTop = 28, kBottom = 40;
  double max_score = 1.0;
  for (const Series& s : series) {
    for (const auto& p : s.points) max_score = std::max(max_score, p.second);
  }
  max_score = std::ceil(max_score / 10.0) * 10.0;
  const double lo = std::log2(static_cast<double>(std::max<std::int64_t>(1, budgets.front())));
  const double hi = std::log2(static_cast<double>(std::max<std::int64_t>(1, budgets.back())));
  auto x = [&](double budget) {
    const double span = hi > lo ? hi - lo : 1.0;
    const double t = hi > lo ? (std::log2(std::max(1.0, budget)) - lo) / span : 0.5;
    return kLeft + t * (kW - kLeft - kRight);
  };
  auto y = [&](double score) { return kTop + (1.0 - score / max_score) * (kH - kTop - kBottom); };
  std::ostringstream svg;
  svg << "<svg class=\"chart line-chart\" data-series=\"" << series.size() << "\" width=\"" << kW
      << "\" height=\"" << kH << "\" viewBox=\"0 0 " << kW << " " << kH
      << "\" xmlns=\"http://www.w3.org/2000/svg\" role=\"img\">"
      << "<title>" << Escape(title) << "</title>"
      << "<text x=\"" << kLeft << "\" y=\"16\" class=\"title\">" << Escape(title) << "</text>";
  for (int tick = 0; tick <= 4; ++tick) {
    const double v = max_score * tick / 4.0;
    svg << "<line x1=\"" << kLeft << "\" x2=\"" << kW - kRight << "\" y1=\"" << y(v) << "\" y2=\""
        << y(v) << "\" class=\"grid\"/><text x=\"" << kLeft - 6 << "\" y=\"" << y(v) + 4
        << "\" text-anchor=\"end\">" << v << "</text>";
  }
  for (std::int64_t b : budgets) {
    svg << "<text x=\"" << x(b) << "\" y=\"" << kH - kBottom + 16 << "\" text-anchor=\"middle\">"
        << b << "</text>";
  }
  svg << "<text x=\"" << (kLeft + kW - kRight) / 2 << "\" y=\"" << kH - 6
      << "\" text-anchor=\"middle\">budget (tokens)</text>";
  for (std::size_t i = 0; i < series.size(); ++i) {
    const char* colour = kPalette[i % kPaletteSize];
    svg << "<g class=\"series\" data-label=\"" << Escape(series[i].label) << "\"><polyline fill=\"none\" stroke=\""
        << colour << "\" stroke-width=\"2\" points=\"";
    for (const auto& p : series[i].points) svg << x(p.first) << "," << y(p.second) << " ";
    svg << "\"/>";
    for (const auto& p : series[i].points) {
      svg << "<circle cx=\"" << x(p.first) << "\" cy=\"" << y(p.second) << "\" r=\"3\" fill=\""
          << colour << "\"><title>" << Escape(series[i].label) << " @ " << p.first << ": "
          << FormatScore(p.second) << "</title></circle>";
    }
    svg << "</g><rect x=\"" << kW - kRight + 10 << "\" y=\"" << kTop + 16 * i << "\" width=\"10\" "
        << "height=\"10\" fill=\"" << colour << "\"/><text x=\"" << kW - kRight + 24 << "\" y=\""
        << kTop + 16 * i + 9 << "\">" << Escape(series[i].label) << "</text>";
  }
  svg << "</svg>";
  return svg.str();
}

// Red (0) to green (100), as the needle papers colour it: green reads "found".
std::string HeatColour(double score) {
  const double t = std::clamp(score / 100.0, 0.0, 1.0);
  const int r = static_cast<int>(std::lround(215 * (1 - t) + 0 * t));
  const int g = static_cast<int>(std::lround(48 * (1 - t) + 140 * t));
  const int b = static_cast<int>(std::lround(39 * (1 - t) + 70 * t));
  char buffer[8];
  std::snprintf(buffer, sizeof(buffer), "#%02x%02x%02x", r, g, b);
  return buffer;
}

std::string Heatmap(const GridTable& grid) {
  constexpr double kCell = 34, kLeft = 70, kTop = 30;
  const double width = kLeft + kCell * grid.cols.size() + 10;
  const double height = kTop + kCell * grid.rows.size() + 30;
  std::ostringstream svg;
  svg << "<svg class=\"chart heatmap\" data-rows=\"" << grid.rows.size() << "\" data-cols=\""
      << grid.cols.size() << "\" width=\"" << width << "\" height=\"" << height
      << "\" xmlns=\"http://www.w3.org/2000/svg\" role=\"img\"><text x=\"0\" y=\"16\" "
      << "class=\"title\">" << Escape(grid.dataset + ": " + grid.variant_label + ", budget " +
                                      std::to_string(grid.budget))
      << "</text>";
  for (std::size_t r = 0; r < grid.rows.size(); ++r) {
    svg << "<text x=\"" << kLeft - 6 << "\" y=\"" << kTop + kCell * r + kCell / 2 + 4
        << "\" text-anchor=\"end\">" << Escape(grid.rows[r]) << "</text>";
    for (std::size_t c = 0; c < grid.cols.size(); ++c) {
      auto it = grid.cells.find({grid.rows[r], grid.cols[c]});
      const bool present = it != grid.cells.end();
      svg << "<rect class=\"cell\" x=\"" << kLeft + kCell * c << "\" y=\"" << kTop + kCell * r
          << "\" width=\"" << kCell - 1 << "\" height=\"" << kCell - 1 << "\" fill=\""
          << (present ? HeatColour(it->second) : "#dddddd") << "\"><title>" << grid.row_key << " "
          << Escape(grid.rows[r]) << ", " << grid.col_key << " " << Escape(grid.cols[c]) << ": "
          << (present ? FormatScore(it->second) : "-") << "</title></rect>";
    }
  }
  for (std::size_t c = 0; c < grid.cols.size(); ++c) {
    svg << "<text x=\"" << kLeft + kCell * c + kCell / 2 << "\" y=\""
        << kTop + kCell * grid.rows.size() + 14 << "\" text-anchor=\"middle\" font-size=\"9\">"
        << Escape(grid.cols[c]) << "</text>";
  }
  svg << "</svg>";
  return svg.str();
}

class HtmlWriter : public ReportWriter {
 public:
  std::vector<std::filesystem::path> Write(const ReportData& data,
                                           const std::filesystem::path& dir) const override {
    std::ostringstream html;
    html << "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>kvbench "
         << "report</title><style>body{font-family:sans-serif;margin:2em;color:#222}"
         << "table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;"
         << "padding:3px 8px;text-align:right}td:first-child,th:first-child{text-align:left}"
         << "svg{margin:6px;font-size:11px}svg .title{font-weight:bold;font-size:12px}"
         << "svg .grid{stroke:#e4e4e4}.charts{display:flex;flex-wrap:wrap}</style></head><body>"
         << "<h1>kvbench report</h1><p>Source: <code>" << Escape(data.source)
         << "</code>. Scores are 100 &times; the mean of the dataset's metric.</p>";
    html << "<h2>Score vs budget</h2><div class=\"charts\">";
    if (!data.budgets.empty()) {
      std::vector<std::string> charts = data.datasets;
      charts.push_back("");  // the average
      for (const std::string& d : charts) {
        std::vector<Series> series;
        for (const MethodVariant& v : data.variants) {
          Series s{v.label, {}};
          for (std::int64_t b : data.budgets) {
            if (d.empty()) {
              if (auto avg = data.Average(v.key, b)) s.points.emplace_back(b, *avg);
            } else if (const ScoreCell* cell = data.Cell(v.key, b, d); cell && cell->samples) {
              s.points.emplace_back(b, cell->score);
            }
          }
          if (!s.points.empty()) series.push_back(std::move(s));
        }
        html << LineChart(d.empty() ? "average" : d + " (" + data.PrimaryMetric(d) + ")",
                          series, data.budgets);
      }
    }
    html << "</div><h2>Scores by budget</h2>";
    for (std::int64_t budget : data.budgets) {
      html << "<h3>Budget " << budget << "</h3><table class=\"scores\" data-budget=\"" << budget
           << "\"><tr><th>method</th>";
      for (const auto& d : data.datasets) html << "<th>" << Escape(d) << "</th>";
      html << "<th>average</th></tr>";
      for (const MethodVariant& v : data.variants) {
        const auto average = data.Average(v.key, budget);
        if (!average) continue;
        html << "<tr><td>" << Escape(v.label) << "</td>";
        for (const auto& d : data.datasets) {
          const ScoreCell* cell = data.Cell(v.key, budget, d);
          html << "<td>" << (cell && cell->samples ? FormatScore(cell->score) : "-") << "</td>";
        }
        html << "<td>" << FormatScore(*average) << "</td></tr>";
      }
      html << "</table>";
    }
    if (!data.grids.empty()) {
      html << "<h2>Grids (needle depth &times; length, tasks &times; length)</h2><div class=\"charts\">";
      for (const GridTable& grid : data.grids) html << Heatmap(grid);
      html << "</div>";
    }
    html << "<h2>Cost</h2><table class=\"cost\"><tr><th>run</th><th>method</th><th>budget</th>"
         << "<th>samples</th><th>prefill ms</th><th>decode ms/token</th><th>peak MiB</th>"
         << "<th>KV MiB held</th><th>KV MiB full</th><th>compression</th></tr>";
    for (const RunCost& c : data.costs) {
      html << "<tr><td>" << Escape(c.run_name) << "</td><td>" << Escape(c.variant_label)
           << "</td><td>" << c.budget << "</td><td>" << c.samples << "</td><td>"
           << FormatScore(c.prefill_ms) << "</td><td>" << FormatScore(c.decode_ms_per_token)
           << "</td><td>" << FormatScore(c.peak_mib) << "</td><td>" << FormatScore(c.kv_mib_kept)
           << "</td><td>" << FormatScore(c.kv_mib_full) << "</td><td>"
           << FormatScore(c.compression) << "x</td></tr>";
    }
    html << "</table></body></html>\n";
    const auto path = dir / "report.html";
    WriteFileAtomically(path, html.str());
    return {path};
  }
};

KVB_REGISTER_REPORT_WRITER("html", HtmlWriter);

}  // namespace
}  // namespace kvb
