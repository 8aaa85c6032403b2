// Scorer speed on long summaries: LongBench's rouge_score (rouge 1.0.1 Rouge-L F) on
// 512-token predictions against 2,000-token references, the gov_report/multi_news shape.
// The Python scorer's time on the identical inputs comes from
// tests/metrics/python/rouge_timing.py, fed by this binary's --dump_inputs=FILE.
//
//   kvb_metrics_bench --benchmark_format=json
//   kvb_metrics_bench --dump_inputs=/tmp/rouge_pairs.jsonl   (then time the Python scorer)
#include <benchmark/benchmark.h>

#include <cstring>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "metrics/longbench_metrics.h"
#include "util/utf8.h"

namespace kvb::metrics {
namespace {

struct TextPair {
  std::u32string prediction, reference;
};

// Pseudo-English with a Zipf-like vocabulary and ~`sentence_words` words per sentence
// (0 = no '.' at all: one long sentence, the expensive case for rouge's LCS).
std::u32string SyntheticText(std::mt19937& rng, size_t words, size_t sentence_words) {
  static const std::vector<std::u32string> kVocabulary = [] {
    std::vector<std::u32string> v;
    const char* stems[] = {"the", "of", "and", "report", "state", "government", "federal", "program", "agency",
                           "fund", "cost", "year", "data", "plan", "review", "court", "said", "new", "would", "public"};
    for (int i = 0; i < 2000; ++i) v.push_back(DecodeUtf8(std::string(stems[i % 20]) + (i < 20 ? "" : std::to_string(i))));
    return v;
  }();
  static const std::vector<double> kWeights = [] {
    std::vector<double> w(2000);
    for (size_t i = 0; i < w.size(); ++i) w[i] = 1.0 / static_cast<double>(i + 1);
    return w;
  }();
  std::discrete_distribution<size_t> zipf(kWeights.begin(), kWeights.end());
  std::u32string text;
  for (size_t i = 0; i < words; ++i) {
    if (i > 0) text += (sentence_words > 0 && i % sentence_words == 0) ? U". " : U" ";
    text += kVocabulary[zipf(rng) % kVocabulary.size()];
  }
  return text + U".";
}

std::vector<TextPair> MakePairs(size_t count, size_t pred_words, size_t ref_words, size_t sentence_words) {
  std::mt19937 rng(1234);
  std::vector<TextPair> pairs;
  for (size_t i = 0; i < count; ++i)
    pairs.push_back({SyntheticText(rng, pred_words, sentence_words), SyntheticText(rng, ref_words, sentence_words)});
  return pairs;
}

size_t Utf8Bytes(const TextPair& p) { return EncodeUtf8(p.prediction).size() + EncodeUtf8(p.reference).size(); }

// One LongBench summary sample per iteration (state.range(0) = words per sentence).
void BM_RougeScore(benchmark::State& state) {
  const auto pairs = MakePairs(16, 512, 2000, static_cast<size_t>(state.range(0)));
  const MetricContext ctx;
  size_t i = 0, bytes = 0;
  for (auto _ : state) {
    const TextPair& p = pairs[i++ % pairs.size()];
    benchmark::DoNotOptimize(RougeScore(p.prediction, p.reference, ctx));
    bytes += Utf8Bytes(p);
  }
  state.SetBytesProcessed(static_cast<int64_t>(bytes));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_RougeScore)->ArgName("sentence_words")->Arg(25)->Arg(0)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace kvb::metrics

int main(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    if (std::strncmp(argv[i], "--dump_inputs=", 14) == 0) {
      std::ofstream out(argv[i] + 14);
      for (size_t sentence_words : {25, 0}) {
        for (const auto& p : kvb::metrics::MakePairs(16, 512, 2000, sentence_words)) {
          out << "{\"sentence_words\": " << sentence_words << ", \"pred\": \"" << kvb::EncodeUtf8(p.prediction)
              << "\", \"gt\": \"" << kvb::EncodeUtf8(p.reference) << "\"}\n";  // plain ASCII words
        }
      }
      return 0;
    }
  }
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
