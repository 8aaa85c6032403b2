// kvbench score PRED.jsonl... [--dataset NAME] [--e] [--matcher difflib|levenshtein] [-o result.json]
// Re-scores LongBench prediction files exactly as LongBench's eval.py does, printing
// and writing its result.json layout. Every file is read and scored before anything is
// written, so bad input (reported with file and line) leaves no partial output.
#include <CLI/CLI.hpp>
#include <fstream>
#include <iostream>
#include <memory>

#include "harness/command.h"
#include "metrics/longbench_eval.h"
#include "util/error.h"

namespace kvb {
namespace {

struct ScoreArgs {
  std::vector<std::string> predictions;
  std::string dataset;
  bool longbench_e = false;
  std::string matcher = "difflib";
  std::string output;
};

int RunScore(const ScoreArgs& args) {
  if (!args.dataset.empty() && args.predictions.size() != 1)
    throw ConfigError("--dataset names the dataset of a single prediction file");
  metrics::ScoringOptions options;
  options.matcher = metrics::ParseFuzzMatcher(args.matcher);
  std::vector<std::pair<std::string, double>> scores;
  std::vector<std::pair<std::string, metrics::LengthBucketScores>> bucket_scores;
  for (const auto& file : args.predictions) {
    const std::string dataset = args.dataset.empty() ? metrics::DatasetFromFileName(file) : args.dataset;
    metrics::LongBenchMetricName(dataset);  // unknown dataset: fail before reading
    const auto records = metrics::ReadPredictionFile(file, args.longbench_e);
    KVB_REQUIRE(!records.empty(), file, ": no predictions");
    const auto samples = metrics::ScoreLongBenchSamples(dataset, records, options);
    if (args.longbench_e) {
      std::vector<long long> lengths;
      for (const auto& r : records) lengths.push_back(r.length);
      bucket_scores.emplace_back(dataset, metrics::AggregateLongBenchE(samples, lengths));
    } else {
      scores.emplace_back(dataset, metrics::AggregateLongBench(samples));
    }
  }
  const std::string json = args.longbench_e ? metrics::LongBenchEResultJson(bucket_scores)
                                            : metrics::LongBenchResultJson(scores);
  // The matcher changes code_sim_score; say which one produced these numbers.
  std::cerr << "code_sim matcher: " << args.matcher << "\n";
  std::cout << json << "\n";
  if (!args.output.empty()) {
    std::ofstream out(args.output, std::ios::binary);
    KVB_REQUIRE(out, "cannot write ", args.output);
    out << json;  // json.dump writes no trailing newline
  }
  return 0;
}

std::function<int()> SetupScore(CLI::App& app) {
  auto args = std::make_shared<ScoreArgs>();
  app.add_option("predictions", args->predictions, "LongBench prediction .jsonl files (pred, answers, all_classes[, length])")
      ->required()
      ->check(CLI::ExistingFile);
  app.add_option("--dataset", args->dataset, "dataset name (default: the file name before the first '.')");
  app.add_flag("--e", args->longbench_e, "LongBench-E: scores per length bucket 0-4k / 4-8k / 8k+");
  app.add_option("--matcher", args->matcher, "fuzz.ratio backend for code_sim_score")
      ->check(CLI::IsMember({"difflib", "levenshtein"}));
  app.add_option("-o,--output", args->output, "write result.json here (eval.py layout)");
  return [args] { return RunScore(*args); };
}

KVB_REGISTER_COMMAND("score", "Score LongBench prediction files as LongBench's eval.py does", SetupScore);

}  // namespace
}  // namespace kvb
