#include "datasets/haystack.h"

#include <algorithm>
#include <fstream>
#include <vector>

#include "util/error.h"
#include "util/file.h"

namespace kvb {

namespace fs = std::filesystem;

namespace {

constexpr const char* kBuiltinHaystackDir = "/usr/share/common-licenses";

HaystackCorpus Concatenate(std::vector<fs::path> files, std::string source) {
  std::sort(files.begin(), files.end());
  HaystackCorpus corpus{"", std::move(source)};
  for (const auto& file : files) corpus.text += ReadFile(file);
  return corpus;
}

}  // namespace

HaystackCorpus LoadHaystackDir(const fs::path& dir) {
  KVB_REQUIRE(fs::is_directory(dir), dir.string(), ": haystack directory not found");
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (entry.is_regular_file() && entry.path().extension() == ".txt") files.push_back(entry.path());
  }
  KVB_REQUIRE(!files.empty(), dir.string(), ": no .txt files in the haystack directory");
  return Concatenate(std::move(files), "dir:" + dir.string());
}

HaystackCorpus LoadBuiltinHaystack() {
  const fs::path dir = kBuiltinHaystackDir;
  KVB_REQUIRE(fs::is_directory(dir), dir.string(),
              ": the built-in haystack needs Debian's base-files licence texts; "
              "give a haystack directory of .txt files instead");
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (entry.is_regular_file() && !entry.is_symlink()) files.push_back(entry.path());
  }
  KVB_REQUIRE(!files.empty(), dir.string(), ": no files for the built-in haystack");
  return Concatenate(std::move(files), "builtin:" + dir.string());
}

HaystackCorpus LoadHaystack(const std::string& spec) {
  return spec == "builtin" ? LoadBuiltinHaystack() : LoadHaystackDir(spec);
}

namespace {

bool IsAsciiSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }

}  // namespace

Strings SplitSentences(std::string_view text) {
  Strings sentences;
  std::size_t start = 0;
  while (start < text.size() && IsAsciiSpace(text[start])) ++start;
  for (std::size_t i = start; i < text.size(); ++i) {
    const char c = text[i];
    if ((c == '.' || c == '!' || c == '?') && (i + 1 == text.size() || IsAsciiSpace(text[i + 1]))) {
      sentences.emplace_back(text.substr(start, i + 1 - start));
      start = i + 1;
      while (start < text.size() && IsAsciiSpace(text[start])) ++start;
      i = start - 1;
    }
  }
  if (start < text.size()) sentences.emplace_back(text.substr(start));
  return sentences;
}

Strings SplitWords(std::string_view text) {
  Strings words;
  std::size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && IsAsciiSpace(text[i])) ++i;
    const std::size_t start = i;
    while (i < text.size() && !IsAsciiSpace(text[i])) ++i;
    if (i > start) words.emplace_back(text.substr(start, i - start));
  }
  return words;
}

Strings LoadWordList(const std::string& path) {
  KVB_REQUIRE(fs::is_regular_file(path), path,
              ": word list not found (install Debian's wamerican, or set `words:` to a file with one word per line)");
  std::ifstream in(path);
  Strings words;
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) continue;
    if (!std::all_of(line.begin(), line.end(), [](char c) {
          return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
        }))
      continue;
    words.push_back(line);
  }
  std::sort(words.begin(), words.end());
  words.erase(std::unique(words.begin(), words.end()), words.end());
  KVB_REQUIRE(!words.empty(), path, ": no usable words (one [A-Za-z]+ word per line)");
  return words;
}

}  // namespace kvb
