#include "metrics/string_similarity.h"

#include <algorithm>
#include <cmath>
#include <unordered_map>
#include <vector>

#include "util/error.h"

namespace kvb::metrics {

std::string FuzzMatcherName(FuzzMatcher matcher) {
  return matcher == FuzzMatcher::kDifflib ? "difflib" : "levenshtein";
}

FuzzMatcher ParseFuzzMatcher(std::string_view name) {
  if (name == "difflib") return FuzzMatcher::kDifflib;
  if (name == "levenshtein") return FuzzMatcher::kLevenshtein;
  throw ConfigError(StrCat("unknown matcher '", name, "': expected difflib or levenshtein"));
}

namespace {

struct Block {
  size_t i = 0, j = 0, size = 0;
};

// difflib's b2j after autojunk: positions of each non-popular element of b.
class DifflibIndex {
 public:
  explicit DifflibIndex(std::u32string_view b) {
    for (size_t j = 0; j < b.size(); ++j) positions_[b[j]].push_back(j);
    if (b.size() >= 200) {
      const size_t ntest = b.size() / 100 + 1;
      for (auto it = positions_.begin(); it != positions_.end();) {
        it = it->second.size() > ntest ? positions_.erase(it) : std::next(it);
      }
    }
  }
  const std::vector<size_t>* Find(char32_t c) const {
    auto it = positions_.find(c);
    return it == positions_.end() ? nullptr : &it->second;
  }

 private:
  std::unordered_map<char32_t, std::vector<size_t>> positions_;
};

// SequenceMatcher.find_longest_match with no junk function: popular elements are
// not in the index but still extend a block at both ends.
Block FindLongestMatch(std::u32string_view a, std::u32string_view b, const DifflibIndex& index,
                       size_t alo, size_t ahi, size_t blo, size_t bhi,
                       std::vector<size_t>& len_prev, std::vector<size_t>& len_next) {
  Block best{alo, blo, 0};
  // len_prev[j + 1] = length of the match ending at a[i-1], b[j] (0 when absent).
  std::vector<size_t> touched_prev, touched_next;
  for (size_t i = alo; i < ahi; ++i) {
    touched_next.clear();
    if (const auto* js = index.Find(a[i])) {
      for (size_t j : *js) {
        if (j < blo) continue;
        if (j >= bhi) break;
        const size_t k = len_prev[j] + 1;
        len_next[j + 1] = k;
        touched_next.push_back(j + 1);
        if (k > best.size) best = {i + 1 - k, j + 1 - k, k};
      }
    }
    for (size_t t : touched_prev) len_prev[t] = 0;
    std::swap(len_prev, len_next);
    std::swap(touched_prev, touched_next);
  }
  for (size_t t : touched_prev) len_prev[t] = 0;
  while (best.i > alo && best.j > blo && a[best.i - 1] == b[best.j - 1]) {
    --best.i, --best.j, ++best.size;
  }
  while (best.i + best.size < ahi && best.j + best.size < bhi &&
         a[best.i + best.size] == b[best.j + best.size]) {
    ++best.size;
  }
  return best;
}

}  // namespace

double DifflibRatio(std::u32string_view a, std::u32string_view b) {
  const size_t total = a.size() + b.size();
  if (total == 0) return 1.0;
  const DifflibIndex index(b);
  std::vector<size_t> len_prev(b.size() + 1, 0), len_next(b.size() + 1, 0);
  struct Range {
    size_t alo, ahi, blo, bhi;
  };
  std::vector<Range> queue{{0, a.size(), 0, b.size()}};
  size_t matches = 0;
  while (!queue.empty()) {
    const Range r = queue.back();
    queue.pop_back();
    const Block m = FindLongestMatch(a, b, index, r.alo, r.ahi, r.blo, r.bhi, len_prev, len_next);
    if (m.size == 0) continue;
    matches += m.size;
    if (r.alo < m.i && r.blo < m.j) queue.push_back({r.alo, m.i, r.blo, m.j});
    if (m.i + m.size < r.ahi && m.j + m.size < r.bhi)
      queue.push_back({m.i + m.size, r.ahi, m.j + m.size, r.bhi});
  }
  return 2.0 * static_cast<double>(matches) / static_cast<double>(total);
}

size_t LcsLength(std::u32string_view a, std::u32string_view b) {
  std::vector<size_t> prev(b.size() + 1, 0), cur(b.size() + 1, 0);
  for (size_t i = 1; i <= a.size(); ++i) {
    for (size_t j = 1; j <= b.size(); ++j) {
      cur[j] = a[i - 1] == b[j - 1] ? prev[j - 1] + 1 : std::max(prev[j], cur[j - 1]);
    }
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

double LevenshteinRatio(std::u32string_view a, std::u32string_view b) {
  const size_t total = a.size() + b.size();
  if (total == 0) return 1.0;
  const size_t indel = total - 2 * LcsLength(a, b);
  return 1.0 - static_cast<double>(indel) / static_cast<double>(total);
}

int FuzzRatio(std::u32string_view s1, std::u32string_view s2, FuzzMatcher matcher) {
  if (s1 == s2) return 100;
  if (s1.empty() || s2.empty()) return 0;
  const double ratio =
      matcher == FuzzMatcher::kDifflib ? DifflibRatio(s1, s2) : LevenshteinRatio(s1, s2);
  return static_cast<int>(std::nearbyint(100.0 * ratio));
}

}  // namespace kvb::metrics
