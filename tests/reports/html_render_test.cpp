// The HTML report opened in headless Chromium (Debian's `chromium`): it parses, its
// charts carry the expected series, and a screenshot is left for a person to look at.
#include <gtest/gtest.h>

#include <regex>

#include "reports/report_writer.h"
#include "tests/common/test_env.h"
#include "tests/reports/report_fixture.h"
#include "util/file.h"

namespace kvb {
namespace {

std::string FindChromium() {
  for (const char* name : {"chromium", "chromium-browser", "google-chrome"}) {
    if (testing::RunCommand(std::string("command -v ") + name).exit_code == 0) return name;
  }
  return "";
}

std::size_t Count(const std::string& text, const std::string& needle) {
  std::size_t n = 0;
  for (auto pos = text.find(needle); pos != std::string::npos; pos = text.find(needle, pos + 1)) ++n;
  return n;
}

TEST(HtmlRenderTest, ChromiumRendersTheReportWithEveryChartSeries) {
  const std::string chromium = FindChromium();
  if (chromium.empty()) GTEST_SKIP() << "chromium not installed (apt-get install chromium); skipping";
  const auto dir = testing::TempDir("html_render");
  testing::WriteFixtureStore(dir / "results.db");
  WriteReport(ResultsStore::OpenReadOnly(dir / "results.db"), dir, {"html"});
  const std::string url = "file://" + (dir / "report.html").string();
  const std::string flags = " --headless --no-sandbox --disable-gpu --no-first-run "
                            "--user-data-dir=" + testing::ShellQuote((dir / "profile").string());
  const auto dom = testing::RunCommand(chromium + flags + " --dump-dom " + url + " 2>/dev/null");
  ASSERT_EQ(dom.exit_code, 0) << dom.output;
  // Three line charts (needle, qa, average) of two methods each; four needle heatmaps.
  EXPECT_EQ(Count(dom.output, "class=\"chart line-chart\""), 3u) << dom.output.substr(0, 2000);
  EXPECT_EQ(Count(dom.output, "class=\"series\""), 6u);
  EXPECT_EQ(Count(dom.output, "class=\"chart heatmap\""), 4u);
  EXPECT_EQ(Count(dom.output, "class=\"cell\""), 16u);
  const auto png = dir / "report.png";
  const auto shot = testing::RunCommand(chromium + flags + " --window-size=1280,1600 --screenshot=" +
                                        testing::ShellQuote(png.string()) + " " + url + " 2>&1");
  ASSERT_EQ(shot.exit_code, 0) << shot.output;
  ASSERT_TRUE(std::filesystem::exists(png)) << shot.output;
  EXPECT_GT(std::filesystem::file_size(png), 10000u);  // an image, not an empty page
  const std::string bytes = ReadFile(png);
  EXPECT_EQ(bytes.substr(1, 3), "PNG");
  std::cout << "screenshot: " << png << "\n";
}

}  // namespace
}  // namespace kvb
