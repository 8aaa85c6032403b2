// LongBench's eval.py around the scorers (spec §1.7, §1.8): the dataset -> metric
// table, the first-line rule, the max over answers, per-dataset aggregation,
// LongBench-E length buckets, and reading / writing the files eval.py reads and writes.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "metrics/longbench_metrics.h"
#include "metrics/py_number.h"

namespace kvb::metrics {

// One line of a LongBench prediction file ({"pred", "answers", "all_classes", "length"}).
struct PredictionRecord {
  std::u32string prediction;
  std::vector<std::u32string> answers;
  ClassLabels all_classes;  // empty when null
  bool has_length = false;
  long long length = 0;  // LongBench-E bucket key (words for en/code, characters for zh)
};
using PredictionRecords = std::vector<PredictionRecord>;

// dataset2metric of eval.py, e.g. "narrativeqa" -> "qa_f1_score". Unknown dataset:
// kvb::ConfigError listing the known ones.
const std::string& LongBenchMetricName(std::string_view dataset);
std::vector<std::string> LongBenchDatasets();

// trec, triviaqa, samsum, lsht score only the first line of the prediction.
bool UsesFirstLineRule(std::string_view dataset);

// max(0.0, metric(pred, a) for a in answers), after the first-line rule.
double ScoreLongBenchSample(std::string_view dataset, std::u32string_view prediction,
                            const std::vector<std::u32string>& answers, const ClassLabels& all_classes,
                            const ScoringOptions& options);

// Per-sample scores in file order; all_classes from the last record, as eval.py does.
SampleScores ScoreLongBenchSamples(std::string_view dataset, const PredictionRecords& records,
                                   const ScoringOptions& options);

// eval.py `scorer`: round(100 * total / count, 2) with Python rounding.
double AggregateLongBench(const SampleScores& scores);

// eval.py `scorer_e`: buckets by `length` (< 4000, < 8000, rest), each
// round(100 * np.mean(bucket), 2) with NumPy semantics; NaN for an empty bucket.
struct LengthBucketScores {
  double up_to_4k = 0.0;   // "0-4k"
  double up_to_8k = 0.0;   // "4-8k"
  double above_8k = 0.0;   // "8k+"
};
LengthBucketScores AggregateLongBenchE(const SampleScores& scores, const std::vector<long long>& lengths);

// Reads a prediction .jsonl. Invalid UTF-8, a line that is not a JSON object, or a
// missing/ill-typed "pred", "answers" or "all_classes" (or "length" when
// `require_length`) throws kvb::Error naming the file and the 1-based line.
PredictionRecords ReadPredictionFile(const std::filesystem::path& path, bool require_length);

// The dataset name eval.py derives from a file name: the part before the first '.'.
std::string DatasetFromFileName(const std::filesystem::path& path);

// result.json as eval.py writes it (json.dump(indent=4, ensure_ascii=False)).
std::string LongBenchResultJson(const std::vector<std::pair<std::string, double>>& scores);
std::string LongBenchEResultJson(const std::vector<std::pair<std::string, LengthBucketScores>>& scores);

}  // namespace kvb::metrics
