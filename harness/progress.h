// Sweep progress: a one-line bar redrawn in place on a terminal (done/total, rate, ETA,
// dataset), or one plain line per sample when stdout is a file or a pipe (CI logs).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdio>
#include <string>

namespace kvb {

class Progress {
 public:
  Progress(std::size_t total, bool terminal, std::FILE* out = stdout);
  // `done` samples of `total` processed (stored or skipped); `dataset` is the current one.
  void Update(std::size_t done, const std::string& dataset, std::size_t failed);
  void Finish();

  static bool StdoutIsTerminal();

 private:
  std::size_t total_;
  bool terminal_;
  std::FILE* out_;
  std::chrono::steady_clock::time_point start_;
};

}  // namespace kvb
