// compare: drops beyond the tolerance fail, in the direction stored with each score.
#include "reports/compare.h"

#include <gtest/gtest.h>

#include "tests/common/test_env.h"
#include "tests/reports/report_fixture.h"
#include "util/error.h"
#include "util/file.h"

namespace kvb {
namespace {

TEST(CompareTest, IdenticalStoresHaveNoRegression) {
  const auto dir = testing::TempDir("compare_same");
  testing::WriteFixtureStore(dir / "a.db");
  const Comparison c = CompareStores(ResultsStore::OpenReadOnly(dir / "a.db"),
                                     ResultsStore::OpenReadOnly(dir / "a.db"), {});
  EXPECT_EQ(c.cells.size(), 8u);  // 4 runs x 2 datasets
  EXPECT_EQ(c.regressions, 0);
  EXPECT_EQ(c.missing, 0);
}

TEST(CompareTest, ADropBeyondToleranceIsARegression) {
  const auto dir = testing::TempDir("compare_drop");
  testing::WriteFixtureStore(dir / "base.db");
  testing::WriteFixtureStore(dir / "cand.db", -0.01);  // qa drops by 1 point everywhere
  CompareOptions options;
  options.tolerance = 0.5;
  const Comparison c = CompareStores(ResultsStore::OpenReadOnly(dir / "base.db"),
                                     ResultsStore::OpenReadOnly(dir / "cand.db"), options);
  EXPECT_EQ(c.regressions, 4);
  options.tolerance = 1.5;
  EXPECT_EQ(CompareStores(ResultsStore::OpenReadOnly(dir / "base.db"),
                          ResultsStore::OpenReadOnly(dir / "cand.db"), options)
                .regressions,
            0);
  EXPECT_NE(FormatComparison(c, {}).find("REGRESSION"), std::string::npos);
}

TEST(CompareTest, DirectionComesFromTheStoredRows) {
  const auto dir = testing::TempDir("compare_direction");
  testing::WriteFixtureStore(dir / "base.db", 0.0, /*lower_is_better=*/true);
  testing::WriteFixtureStore(dir / "cand.db", -0.01, /*lower_is_better=*/true);
  CompareOptions options;
  options.metrics = {"f1"};
  const Comparison c = CompareStores(ResultsStore::OpenReadOnly(dir / "base.db"),
                                     ResultsStore::OpenReadOnly(dir / "cand.db"), options);
  EXPECT_EQ(c.cells.size(), 4u);  // only the f1 cells
  EXPECT_EQ(c.regressions, 0);    // lower is better: a decrease is an improvement
  EXPECT_EQ(c.improvements, 4);
}

TEST(CompareTest, ACellMissingInTheCandidateFails) {
  const auto dir = testing::TempDir("compare_missing");
  testing::WriteFixtureStore(dir / "base.db");
  ResultsStore::Open(dir / "empty.db");
  const Comparison c = CompareStores(ResultsStore::OpenReadOnly(dir / "base.db"),
                                     ResultsStore::OpenReadOnly(dir / "empty.db"), {});
  EXPECT_EQ(c.missing, 8);
}

// The cells CSV (what tests/golden commits) reads back to the same cells, so a store
// compared with its own export passes at tolerance 0, and a drop in the store still fails.
TEST(CompareTest, CellsCsvRoundTripsAndComparesWithAStore) {
  const auto dir = testing::TempDir("compare_cells_csv");
  testing::WriteFixtureStore(dir / "base.db");
  testing::WriteFixtureStore(dir / "cand.db", -0.01);
  const CellTable cells = CellsFromStore(ResultsStore::OpenReadOnly(dir / "base.db"));
  WriteFileAtomically(dir / "golden.csv", CellsCsv(cells));
  const CellTable read = ReadCellsCsv(dir / "golden.csv");
  ASSERT_EQ(read.size(), cells.size());
  for (const auto& [key, cell] : cells) {
    ASSERT_EQ(read.count(key), 1u);
    EXPECT_EQ(read.at(key).score, cell.score);  // exact: both rounded to 6 decimals
    EXPECT_EQ(read.at(key).samples, cell.samples);
    EXPECT_EQ(read.at(key).higher_is_better, cell.higher_is_better);
  }
  CompareOptions exact;
  exact.tolerance = 0;
  EXPECT_EQ(CompareCells(LoadCells(dir / "golden.csv"), LoadCells(dir / "base.db"), exact).regressions, 0);
  EXPECT_EQ(CompareCells(LoadCells(dir / "golden.csv"), LoadCells(dir / "cand.db"), exact).regressions, 4);
}

TEST(CompareTest, AMalformedCellsCsvNamesFileAndLine) {
  const auto dir = testing::TempDir("compare_cells_bad");
  WriteFileAtomically(dir / "bad.csv", "run,dataset,metric,higher_is_better,score,samples\nfull_b64,qa,f1,1,abc,3\n");
  try {
    ReadCellsCsv(dir / "bad.csv");
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("bad.csv:2"), std::string::npos) << e.what();
  }
  WriteFileAtomically(dir / "header.csv", "method,score\n");
  EXPECT_THROW(ReadCellsCsv(dir / "header.csv"), Error);
}

}  // namespace
}  // namespace kvb
