// fuzzywuzzy 0.18.0 `fuzz.ratio` with its two possible SequenceMatcher backends
// (spec §1.5.8). Which one a LongBench install used depends on whether
// python-Levenshtein was importable, so kvbench offers both and records the choice.
#pragma once

#include <string>
#include <string_view>

namespace kvb::metrics {

enum class FuzzMatcher {
  kDifflib,      // difflib.SequenceMatcher (autojunk on): a clean LongBench install
  kLevenshtein,  // python-Levenshtein >= 0.20 ratio: 1 - indel/(|a|+|b|) (KVCache-Factory installs)
};

// "difflib" / "levenshtein"; the parse throws kvb::ConfigError naming the accepted values.
std::string FuzzMatcherName(FuzzMatcher matcher);
FuzzMatcher ParseFuzzMatcher(std::string_view name);

// difflib.SequenceMatcher(None, a, b).ratio(): greedy longest-block matching with
// autojunk (elements of b occurring > len(b)//100+1 times when len(b) >= 200).
double DifflibRatio(std::u32string_view a, std::u32string_view b);

// Levenshtein.ratio(a, b) as python-Levenshtein 0.2x computes it: 1.0 - indel / (|a|+|b|).
double LevenshteinRatio(std::u32string_view a, std::u32string_view b);

// Longest common subsequence length over code points.
size_t LcsLength(std::u32string_view a, std::u32string_view b);

// fuzz.ratio(s1, s2): 100 if equal, 0 if either is empty, else int(round(100 * ratio)).
int FuzzRatio(std::u32string_view s1, std::u32string_view s2, FuzzMatcher matcher);

}  // namespace kvb::metrics
