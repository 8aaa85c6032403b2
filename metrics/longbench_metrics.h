// LongBench's scorer functions (THUDM/LongBench LongBench/metrics.py), re-implemented
// so that each returns the identical double (spec §1.5). All take code points; the
// callers decode UTF-8 once per record.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "metrics/py_text.h"
#include "metrics/string_similarity.h"

namespace kvb::metrics {

class Jieba;

// all_classes of trec / lsht (empty elsewhere).
using ClassLabels = std::vector<std::u32string>;

// How a Python frame-count bound turns into a rouge 0.0 (spec §1.5.4): a
// (reference, hypothesis) sentence pair whose LCS reconstruction needs more
// recursive calls than this raises RecursionError in Python, and LongBench's bare
// except scores the whole sample 0.0. Measured on CPython 3.11 with eval.py's stack.
inline constexpr int kRougeMaxReconCallsEnglish = 991;
inline constexpr int kRougeMaxReconCallsChinese = 990;  // rouge_zh_score adds one frame

struct ScoringOptions {
  FuzzMatcher matcher = FuzzMatcher::kDifflib;  // fuzz.ratio backend for code_sim_score
  int rouge_max_recon_calls = kRougeMaxReconCallsEnglish;
  int rouge_zh_max_recon_calls = kRougeMaxReconCallsChinese;
  const Jieba* jieba = nullptr;  // nullptr: Jieba::Default() when a Chinese metric runs
};

// What every LongBench metric receives besides (prediction, ground truth).
struct MetricContext {
  const ClassLabels* all_classes = nullptr;
  ScoringOptions options;
  const Jieba& jieba() const;
};

// normalize_answer: lower, drop string.punctuation, \b(a|an|the)\b -> " ", collapse spaces.
std::u32string NormalizeAnswer(std::u32string_view s);
// normalize_zh_answer: lower, drop ASCII + Chinese punctuation, drop all whitespace.
std::u32string NormalizeZhAnswer(std::u32string_view s);

// f1_score over token lists (multiset overlap); 0 when nothing is shared.
double TokenF1(const CodePointPieces& prediction, const CodePointPieces& ground_truth);

// Rouge().get_scores([hyp], [ref], avg=True)["rouge-l"]["f"] of pltrdy rouge 1.0.1,
// 0.0 where LongBench's bare except would catch (empty side, recursion bound).
double RougeL(std::u32string_view hypothesis, std::u32string_view reference, int max_recon_calls);

double QaF1Score(std::u32string_view prediction, std::u32string_view ground_truth, const MetricContext& ctx);
double QaF1ZhScore(std::u32string_view prediction, std::u32string_view ground_truth, const MetricContext& ctx);
double RougeScore(std::u32string_view prediction, std::u32string_view ground_truth, const MetricContext& ctx);
double RougeZhScore(std::u32string_view prediction, std::u32string_view ground_truth, const MetricContext& ctx);
double ClassificationScore(std::u32string_view prediction, std::u32string_view ground_truth, const MetricContext& ctx);
// Throws kvb::Error when the ground truth has no "Paragraph N" (Python raises IndexError).
double RetrievalScore(std::u32string_view prediction, std::u32string_view ground_truth, const MetricContext& ctx);
double RetrievalZhScore(std::u32string_view prediction, std::u32string_view ground_truth, const MetricContext& ctx);
double CountScore(std::u32string_view prediction, std::u32string_view ground_truth, const MetricContext& ctx);
double CodeSimScore(std::u32string_view prediction, std::u32string_view ground_truth, const MetricContext& ctx);

}  // namespace kvb::metrics
