// The three writers show the stored numbers: the paper table, the CSV cells, the grids.
#include <gtest/gtest.h>

#include <set>

#include "reports/report_writer.h"
#include "tests/common/test_env.h"
#include "tests/reports/report_fixture.h"
#include "util/error.h"
#include "util/file.h"

namespace kvb {
namespace {

TEST(ReportDataTest, CellsAreHundredTimesTheMeanOfTheStoredScores) {
  const auto dir = testing::TempDir("report_data");
  testing::WriteFixtureStore(dir / "results.db");
  const ReportData data = BuildReportData(ResultsStore::OpenReadOnly(dir / "results.db"));
  EXPECT_EQ(data.budgets, (std::vector<std::int64_t>{64, 128}));
  EXPECT_EQ(data.datasets, (std::vector<std::string>{"needle", "qa"}));
  ASSERT_EQ(data.variants.size(), 2u);
  EXPECT_EQ(data.variants[0].label, "alpha");
  const std::string alpha = data.variants[0].key;
  EXPECT_DOUBLE_EQ(data.Cell(alpha, 64, "qa")->score, 50.0);
  EXPECT_DOUBLE_EQ(data.Cell(alpha, 64, "needle")->score, 37.5);  // (50+50+25+25)/4
  EXPECT_DOUBLE_EQ(*data.Average(alpha, 64), 43.75);
  ASSERT_EQ(data.grids.size(), 4u);  // one per run on the needle dataset
  const GridTable& grid = data.grids[0];
  EXPECT_EQ(grid.row_key, "depth");
  EXPECT_EQ(grid.cols, (std::vector<std::string>{"1000", "2000"}));
  ASSERT_EQ(data.costs.size(), 4u);
  EXPECT_DOUBLE_EQ(data.costs[0].compression, 2.0);  // alpha_b128: 256 KiB full / 128 KiB
}

// A method run in several variants is labelled by the parameters that differ, paths by
// their file name; where two file names coincide the full parameters keep labels apart.
TEST(ReportDataTest, VariantLabelsShowOnlyTheDifferingParameters) {
  const auto dir = testing::TempDir("report_labels");
  {
    ResultsStore store = ResultsStore::Open(dir / "results.db");
    const std::pair<std::string, std::string> runs[] = {
        {"headkv", R"({"beta":1.01,"heads":"/runs/a/copy_heads.json","window":32})"},
        {"headkv", R"({"beta":1.01,"heads":"/runs/a/reason_heads.json","window":32})"},
        {"headkv", R"({"beta":1.01,"heads":"/runs/b/reason_heads.json","window":32})"},
        {"snapkv", R"({"window":32})"},
        {"h2o", R"({"window":32})"},
        {"h2o", R"({"recent":16,"window":32})"}};
    int index = 0;
    for (const auto& [method, params] : runs) {
      RunRecord run;
      run.name = StrCat(method, "-", index++);  // the store keys runs by name
      run.config_json = params;
      run.run_id = StableHash(params + method);
      run.method = method;
      run.method_params_json = params;
      run.budget = 64;
      store.AddRun(run);
    }
  }
  const ReportData data = BuildReportData(ResultsStore::OpenReadOnly(dir / "results.db"));
  std::set<std::string> labels;
  for (const auto& v : data.variants) labels.insert(v.label);
  EXPECT_EQ(labels, (std::set<std::string>{
                        "headkv {heads:copy_heads.json}",
                        R"(headkv {"beta":1.01,"heads":"/runs/a/reason_heads.json","window":32})",
                        R"(headkv {"beta":1.01,"heads":"/runs/b/reason_heads.json","window":32})",
                        "snapkv", "h2o {recent:-}", "h2o {recent:16}"}));
}

TEST(ReportWritersTest, MarkdownCsvAndHtmlHoldTheSameNumbers) {
  const auto dir = testing::TempDir("report_writers");
  testing::WriteFixtureStore(dir / "results.db");
  const auto written = WriteReport(ResultsStore::OpenReadOnly(dir / "results.db"), dir / "out");
  EXPECT_EQ(written.size(), 5u);
  const std::string md = ReadFile(dir / "out" / "report.md");
  EXPECT_NE(md.find("### Budget 64"), std::string::npos);
  EXPECT_NE(md.find("| alpha | 37.50 | 50.00 | 43.75 |"), std::string::npos) << md;
  EXPECT_NE(md.find("| beta | 37.50 | 50.00 | 43.75 |"), std::string::npos) << md;  // budget 128
  const std::string csv = ReadFile(dir / "out" / "scores.csv");
  EXPECT_NE(csv.find("alpha,64,qa,f1,1,50.00,4,0"), std::string::npos) << csv;
  const std::string html = ReadFile(dir / "out" / "report.html");
  EXPECT_NE(html.find("<td>43.75</td>"), std::string::npos);
  EXPECT_EQ(html.find("http://"), html.find("http://www.w3.org/2000/svg"));  // no network refs
  EXPECT_EQ(html.find("<script"), std::string::npos);
}

TEST(ReportWritersTest, UnknownFormatIsAConfigError) {
  const auto dir = testing::TempDir("report_unknown_format");
  testing::WriteFixtureStore(dir / "results.db");
  EXPECT_THROW(WriteReport(ResultsStore::OpenReadOnly(dir / "results.db"), dir, {"pdf"}),
               ConfigError);
}

}  // namespace
}  // namespace kvb
