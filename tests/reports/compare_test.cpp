// compare: drops beyond the tolerance fail, in the direction stored with each score.
#include "reports/compare.h"

#include <gtest/gtest.h>

#include "tests/common/test_env.h"
#include "tests/reports/report_fixture.h"

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

}  // namespace
}  // namespace kvb
