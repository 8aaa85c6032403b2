// ops::SelectTopK and ops::CountLayerTopK against naive loops: every kept position,
// ties to the lower position, per-segment floors.
#include <gtest/gtest.h>

#include <algorithm>
#include <numeric>
#include <vector>

#include "kernels/ops.h"
#include "util/error.h"

namespace kvb {
namespace {

std::vector<int64_t> NaiveTopK(const std::vector<float>& row, int64_t k) {
  std::vector<int64_t> idx(row.size());
  std::iota(idx.begin(), idx.end(), 0);
  // Higher score first; equal scores: lower position first.
  std::sort(idx.begin(), idx.end(), [&](int64_t a, int64_t b) { return row[a] > row[b] || (row[a] == row[b] && a < b); });
  idx.resize(k);
  std::sort(idx.begin(), idx.end());
  return idx;
}

at::Tensor FromRows(const std::vector<std::vector<float>>& rows) {
  at::Tensor t = at::empty({int64_t(rows.size()), int64_t(rows[0].size())});
  for (size_t s = 0; s < rows.size(); ++s)
    for (size_t j = 0; j < rows[s].size(); ++j) t[s][j] = rows[s][j];
  return t;
}

TEST(SelectTopKTest, HandCase) {
  at::Tensor scores = FromRows({{0.1f, 0.9f, 0.3f, 0.9f, 0.0f}, {5, 4, 3, 2, 1}});
  KeptPositions kept = ops::SelectTopK(scores, {3, 0});
  EXPECT_EQ(kept.per_segment[0], (std::vector<int64_t>{1, 2, 3}));
  EXPECT_TRUE(kept.per_segment[1].empty());
  kept = ops::SelectTopK(scores, {1, 5});
  EXPECT_EQ(kept.per_segment[0], (std::vector<int64_t>{1})) << "tie 0.9/0.9 goes to the lower position";
  EXPECT_EQ(kept.per_segment[1], (std::vector<int64_t>{0, 1, 2, 3, 4}));
}

TEST(SelectTopKTest, MatchesNaiveWithManyTies) {
  for (uint64_t seed = 0; seed < 20; ++seed) {
    at::manual_seed(seed);
    const int64_t S = 1 + seed % 5, T = 1 + (seed * 7) % 60;
    // Few distinct values: ties everywhere, as with bf16 scores and max pooling.
    at::Tensor scores = at::randint(0, 4, {S, T}).to(at::kFloat);
    SegmentCounts counts(S);
    for (int64_t s = 0; s < S; ++s) counts[s] = (seed + 3 * s) % (T + 1);
    KeptPositions kept = ops::SelectTopK(scores, counts);
    for (int64_t s = 0; s < S; ++s) {
      std::vector<float> row(T);
      for (int64_t j = 0; j < T; ++j) row[j] = scores[s][j].item<float>();
      EXPECT_EQ(kept.per_segment[s], NaiveTopK(row, counts[s])) << "seed " << seed << " S=" << S << " T=" << T << " s=" << s;
    }
  }
}

TEST(SelectTopKTest, RejectsBadCounts) {
  at::Tensor scores = at::zeros({2, 3});
  EXPECT_THROW(ops::SelectTopK(scores, {1}), Error);
  EXPECT_THROW(ops::SelectTopK(scores, {1, 4}), Error);
}

// Naive: protect each segment's top `floor`, then the global top `total` by (score desc,
// flat index asc).
SegmentCounts NaiveCount(const std::vector<std::vector<float>>& rows, int64_t total, int64_t floor) {
  struct Entry { double score; int64_t seg, pos; };
  std::vector<Entry> all;
  for (size_t s = 0; s < rows.size(); ++s) {
    std::vector<int64_t> protect = NaiveTopK(rows[s], floor);
    for (size_t j = 0; j < rows[s].size(); ++j) {
      bool is_protected = std::find(protect.begin(), protect.end(), int64_t(j)) != protect.end();
      all.push_back({is_protected ? 1e30 : rows[s][j], int64_t(s), int64_t(j)});
    }
  }
  std::stable_sort(all.begin(), all.end(), [](const Entry& a, const Entry& b) { return a.score > b.score; });
  SegmentCounts counts(rows.size(), 0);
  for (int64_t i = 0; i < total; ++i) ++counts[all[i].seg];
  return counts;
}

TEST(CountLayerTopKTest, HandCase) {
  at::Tensor scores = FromRows({{9, 8, 7, 6}, {1, 1, 1, 1}, {5, 0, 0, 0}});
  EXPECT_EQ(ops::CountLayerTopK(scores, 6, 0), (SegmentCounts{4, 1, 1}))
      << "the tie between segment 1's ones goes to the lower segment's first position... and 5 beats 1";
  EXPECT_EQ(ops::CountLayerTopK(scores, 6, 1), (SegmentCounts{4, 1, 1}));
  EXPECT_EQ(ops::CountLayerTopK(scores, 6, 2), (SegmentCounts{2, 2, 2}));
  EXPECT_EQ(ops::CountLayerTopK(scores, 12, 0), (SegmentCounts{4, 4, 4}));
}

TEST(CountLayerTopKTest, MatchesNaive) {
  for (uint64_t seed = 0; seed < 20; ++seed) {
    at::manual_seed(seed);
    const int64_t S = 1 + seed % 6, T = 2 + (seed * 5) % 30;
    at::Tensor scores = at::randint(0, 6, {S, T}).to(at::kFloat);
    std::vector<std::vector<float>> rows(S, std::vector<float>(T));
    for (int64_t s = 0; s < S; ++s)
      for (int64_t j = 0; j < T; ++j) rows[s][j] = scores[s][j].item<float>();
    const int64_t floor = seed % 3 == 0 ? 0 : std::min<int64_t>(T, 1 + seed % 4);
    const int64_t total = S * floor + (seed * 11) % (S * (T - floor) + 1);
    SegmentCounts got = ops::CountLayerTopK(scores, total, floor);
    EXPECT_EQ(got, NaiveCount(rows, total, floor)) << "seed " << seed << " S=" << S << " T=" << T;
    EXPECT_EQ(std::accumulate(got.begin(), got.end(), int64_t{0}), total);
  }
}

}  // namespace
}  // namespace kvb
