#include "store/prediction_files.h"

#include <map>
#include <nlohmann/json.hpp>

#include "util/error.h"
#include "util/file.h"

namespace kvb {
namespace {

nlohmann::json ParseOr(const std::string& text, nlohmann::json fallback) {
  if (text.empty()) return fallback;
  nlohmann::json parsed = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  return parsed.is_discarded() ? fallback : parsed;
}

std::string PredictionLine(const ResultRecord& result) {
  const nlohmann::json metadata = ParseOr(result.sample.metadata_json, nlohmann::json::object());
  nlohmann::json line;
  line["pred"] = result.prediction;
  line["answers"] = ParseOr(result.sample.references_json, nlohmann::json::array());
  line["all_classes"] = metadata.contains("all_classes") ? metadata["all_classes"] : nullptr;
  line["length"] = metadata.contains("length") ? metadata["length"]
                                                : nlohmann::json(result.sample.prompt_tokens);
  line["_id"] = result.sample.sample_id;
  nlohmann::json scores = nlohmann::json::object();
  for (const MetricScore& score : result.scores) scores[score.metric] = score.value;
  line["scores"] = scores;
  // eval.py reads the file as UTF-8 JSON; keep non-ASCII text as is (ensure_ascii=False).
  return line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace

std::vector<std::filesystem::path> WritePredictionFiles(const ResultsStore& store,
                                                        const std::filesystem::path& output_dir) {
  std::map<std::string, std::string> run_names;
  for (const RunRecord& run : store.Runs()) run_names[run.run_id] = run.name;
  // Results() is ordered by run name, dataset, sample index: lines come out in order.
  std::map<std::filesystem::path, std::string> files;
  for (const StoredResult& row : store.Results()) {
    if (row.result.failed) continue;
    const std::filesystem::path path = output_dir / "pred" / run_names.at(row.run_id) /
                                       (row.result.sample.dataset + ".jsonl");
    files[path] += PredictionLine(row.result) + "\n";
  }
  std::vector<std::filesystem::path> written;
  for (const auto& [path, contents] : files) {
    std::filesystem::create_directories(path.parent_path());
    WriteFileAtomically(path, contents);
    written.push_back(path);
  }
  return written;
}

}  // namespace kvb
