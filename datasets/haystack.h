// Haystack text for the generated datasets (needle, RULER essay, bAbI noise):
// a directory of .txt files, or a built-in corpus made from text every Debian
// machine has, so the benchmarks run with nothing downloaded.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include "datasets/dataset.h"

namespace kvb {

struct HaystackCorpus {
  std::string text;    // the files concatenated in sorted-name order, no separator
  std::string source;  // "dir:<path>" or "builtin:<path>", for metadata and errors
};

// All *.txt files of `dir` in sorted name order (the needle protocol's file order,
// spec §3: sorted, as KVCache-Factory HEAD does). Error when none are found.
HaystackCorpus LoadHaystackDir(const std::filesystem::path& dir);

// The built-in corpus: the licence texts under /usr/share/common-licenses (regular
// files only; the symlinks there are duplicates), sorted. Error naming the folder
// when it is missing.
HaystackCorpus LoadBuiltinHaystack();

// `spec` = "builtin" or a directory path.
HaystackCorpus LoadHaystack(const std::string& spec);

// Splits text into sentences: a sentence ends at '.', '!' or '?' followed by
// whitespace (the whitespace stays with the next sentence's separator). A simple,
// documented stand-in for NLTK Punkt (RULER's essay haystack), so kvbench's RULER
// samples are RULER-equivalent, not identical.
Strings SplitSentences(std::string_view text);

// Python `text.split()` on ASCII whitespace: runs of space, \t, \n, \r, \f, \v.
Strings SplitWords(std::string_view text);

// The words of a word list file (one per line; blank lines and lines with
// characters outside [A-Za-z] skipped, e.g. possessives in wamerican), deduplicated
// and sorted. Default file: /usr/share/dict/american-english (Debian wamerican).
Strings LoadWordList(const std::string& path);
inline constexpr const char* kDefaultWordList = "/usr/share/dict/american-english";

}  // namespace kvb
