// A port of jieba 0.42.1's default segmentation, `jieba.cut(s, cut_all=False, HMM=True)`
// (spec §1.6): prefix-dictionary DAG, maximum-probability route, and the BMES HMM
// (Viterbi) for runs of single characters that are not a dictionary word.
//
// The model is read at run time from the files Debian's python3-jieba installs
// (dict.txt and finalseg/prob_{start,trans,emit}.py); nothing is copied into the repo.
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace kvb::metrics {

// jieba's tokens for one text, in order; joined they give the text back.
using JiebaTokens = std::vector<std::u32string>;

class Jieba {
 public:
  // Where python3-jieba puts its data; KVB_JIEBA_DIR overrides it.
  static std::filesystem::path DefaultDataDir();

  // Loads `dir`/dict.txt and `dir`/finalseg/prob_*.py. Throws kvb::Error naming the
  // file and line on a missing or malformed file.
  explicit Jieba(const std::filesystem::path& dir);

  // The process-wide instance from DefaultDataDir(), loaded on first use.
  static const Jieba& Default();

  JiebaTokens Cut(std::u32string_view sentence) const;

 private:
  // HMM states in jieba's order B, M, E, S (also their order as characters).
  static constexpr int kStates = 4;
  using StateRow = std::array<double, kStates>;

  void LoadDictionary(const std::filesystem::path& path);
  void LoadHmm(const std::filesystem::path& finalseg_dir);

  // Frequency of a dictionary entry; -1 when absent (0 = prefix-only entry).
  int64_t Frequency(std::u32string_view word) const;
  void CutDag(std::u32string_view block, JiebaTokens& out) const;
  void FlushSingles(std::u32string_view buf, JiebaTokens& out) const;
  void CutHmm(std::u32string_view text, JiebaTokens& out) const;
  void Viterbi(std::u32string_view han, JiebaTokens& out) const;
  double Emit(int state, char32_t c) const;

  std::unordered_map<std::u32string, int64_t> freq_;
  int64_t total_ = 0;
  double log_total_ = 0.0;
  StateRow start_{};
  std::array<StateRow, kStates> trans_{};  // trans_[from][to]
  std::array<std::unordered_map<char32_t, double>, kStates> emit_;
};

}  // namespace kvb::metrics
