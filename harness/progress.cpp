#include "harness/progress.h"

#include <unistd.h>

namespace kvb {
namespace {

std::string Clock(double seconds) {
  if (seconds < 0 || seconds > 1e7) return "--:--";
  const long s = static_cast<long>(seconds + 0.5);
  char buffer[32];
  if (s >= 3600) {
    std::snprintf(buffer, sizeof(buffer), "%ld:%02ld:%02ld", s / 3600, s / 60 % 60, s % 60);
  } else {
    std::snprintf(buffer, sizeof(buffer), "%ld:%02ld", s / 60, s % 60);
  }
  return buffer;
}

}  // namespace

Progress::Progress(std::size_t total, bool terminal, std::FILE* out)
    : total_(total), terminal_(terminal), out_(out), start_(std::chrono::steady_clock::now()) {}

bool Progress::StdoutIsTerminal() { return isatty(fileno(stdout)) != 0; }

void Progress::Update(std::size_t done, const std::string& dataset, std::size_t failed) {
  const double elapsed =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  const double rate = elapsed > 0 ? done / elapsed : 0.0;
  const double eta = rate > 0 ? (total_ - done) / rate : -1;
  const std::string failures = failed ? " failed " + std::to_string(failed) : "";
  if (terminal_) {
    constexpr int kWidth = 30;
    const int filled = total_ ? static_cast<int>(kWidth * done / total_) : kWidth;
    std::string bar(filled, '#');
    bar.resize(kWidth, '.');
    std::fprintf(out_, "\r[%s] %zu/%zu  %.2f samples/s  ETA %s  %s%s\033[K", bar.c_str(), done,
                 total_, rate, Clock(eta).c_str(), dataset.c_str(), failures.c_str());
  } else {
    std::fprintf(out_, "%zu/%zu samples  %.2f/s  ETA %s  %s%s\n", done, total_, rate,
                 Clock(eta).c_str(), dataset.c_str(), failures.c_str());
  }
  std::fflush(out_);
}

void Progress::Finish() {
  if (terminal_) std::fprintf(out_, "\n");
  std::fflush(out_);
}

}  // namespace kvb
