#include "metrics/longbench_eval.h"

#include <fstream>
#include <map>
#include <nlohmann/json.hpp>

#include "metrics/metric_registry.h"
#include "util/error.h"
#include "util/json_string.h"
#include "util/utf8.h"

namespace kvb::metrics {
namespace {

// dataset2metric in LongBench/eval.py (the HeadKV LooGLE sets use qa_f1_score too).
const std::vector<std::pair<std::string, std::string>>& DatasetMetricTable() {
  static const std::vector<std::pair<std::string, std::string>> table = {
      {"narrativeqa", "qa_f1_score"},
      {"qasper", "qa_f1_score"},
      {"multifieldqa_en", "qa_f1_score"},
      {"multifieldqa_zh", "qa_f1_zh_score"},
      {"hotpotqa", "qa_f1_score"},
      {"2wikimqa", "qa_f1_score"},
      {"musique", "qa_f1_score"},
      {"dureader", "rouge_zh_score"},
      {"gov_report", "rouge_score"},
      {"qmsum", "rouge_score"},
      {"multi_news", "rouge_score"},
      {"vcsum", "rouge_zh_score"},
      {"trec", "classification_score"},
      {"triviaqa", "qa_f1_score"},
      {"samsum", "rouge_score"},
      {"lsht", "classification_score"},
      {"passage_retrieval_en", "retrieval_score"},
      {"passage_count", "count_score"},
      {"passage_retrieval_zh", "retrieval_zh_score"},
      {"lcc", "code_sim_score"},
      {"repobench-p", "code_sim_score"},
  };
  return table;
}

std::u32string StringField(const nlohmann::json& v, const std::string& where) {
  KVB_REQUIRE(v.is_string(), where, " is not a string");
  return DecodeUtf8(v.get_ref<const std::string&>(), where);
}

std::vector<std::u32string> StringListField(const nlohmann::json& v, const std::string& where) {
  KVB_REQUIRE(v.is_array(), where, " is not a list of strings");
  std::vector<std::u32string> out;
  for (const auto& item : v) out.push_back(StringField(item, where));
  return out;
}

}  // namespace

const std::string& LongBenchMetricName(std::string_view dataset) {
  for (const auto& [name, metric] : DatasetMetricTable())
    if (name == dataset) return metric;
  std::string known;
  for (const auto& [name, metric] : DatasetMetricTable()) known += (known.empty() ? "" : ", ") + name;
  throw ConfigError(StrCat("unknown LongBench dataset '", dataset, "' (known: ", known, ")"));
}

std::vector<std::string> LongBenchDatasets() {
  std::vector<std::string> names;
  for (const auto& [name, metric] : DatasetMetricTable()) names.push_back(name);
  return names;
}

bool UsesFirstLineRule(std::string_view dataset) {
  return dataset == "trec" || dataset == "triviaqa" || dataset == "samsum" || dataset == "lsht";
}

double ScoreLongBenchSample(std::string_view dataset, std::u32string_view prediction,
                            const std::vector<std::u32string>& answers, const ClassLabels& all_classes,
                            const ScoringOptions& options) {
  const MetricInfo& metric = MetricRegistry::Get().Find(LongBenchMetricName(dataset));
  std::u32string first_line;
  if (UsesFirstLineRule(dataset)) {
    first_line = SplitOn(LStripChar(prediction, U'\n'), U'\n')[0];
    prediction = first_line;
  }
  MetricContext ctx{&all_classes, options};
  double score = 0.0;
  for (const auto& answer : answers) score = std::max(score, metric.score(prediction, answer, ctx));
  return score;
}

SampleScores ScoreLongBenchSamples(std::string_view dataset, const PredictionRecords& records,
                                   const ScoringOptions& options) {
  SampleScores scores;
  if (records.empty()) return scores;
  const ClassLabels& all_classes = records.back().all_classes;
  scores.reserve(records.size());
  for (const auto& r : records)
    scores.push_back(ScoreLongBenchSample(dataset, r.prediction, r.answers, all_classes, options));
  return scores;
}

double AggregateLongBench(const SampleScores& scores) {
  KVB_REQUIRE(!scores.empty(), "no predictions to score (eval.py divides by zero here)");
  return PyRound(100 * PySum(scores) / static_cast<double>(scores.size()), 2);
}

LengthBucketScores AggregateLongBenchE(const SampleScores& scores, const std::vector<long long>& lengths) {
  KVB_CHECK(scores.size() == lengths.size());
  SampleScores buckets[3];
  for (size_t i = 0; i < scores.size(); ++i) {
    buckets[lengths[i] < 4000 ? 0 : lengths[i] < 8000 ? 1 : 2].push_back(scores[i]);
  }
  const auto value = [](const SampleScores& b) { return NumpyRound(100 * NumpyMean(b), 2); };
  return {value(buckets[0]), value(buckets[1]), value(buckets[2])};
}

PredictionRecords ReadPredictionFile(const std::filesystem::path& path, bool require_length) {
  std::ifstream in(path, std::ios::binary);
  KVB_REQUIRE(in, "cannot open prediction file ", path.string());
  PredictionRecords records;
  std::string line;
  size_t line_no = 0;
  while (std::getline(in, line)) {
    ++line_no;
    const std::string where = StrCat(path.string(), ":", line_no);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    KVB_REQUIRE(IsValidUtf8(line), where, ": invalid UTF-8");
    nlohmann::json j;
    try {
      j = nlohmann::json::parse(line);
    } catch (const nlohmann::json::exception& e) {
      throw Error(StrCat(where, ": not a JSON object (", e.what(), ")"));
    }
    KVB_REQUIRE(j.is_object(), where, ": not a JSON object");
    for (const char* key : {"pred", "answers", "all_classes"})
      KVB_REQUIRE(j.contains(key), where, ": missing \"", key, "\"");
    PredictionRecord r;
    r.prediction = StringField(j["pred"], where + " \"pred\"");
    r.answers = StringListField(j["answers"], where + " \"answers\"");
    if (!j["all_classes"].is_null()) r.all_classes = StringListField(j["all_classes"], where + " \"all_classes\"");
    if (j.contains("length")) {
      KVB_REQUIRE(j["length"].is_number(), where, ": \"length\" is not a number");
      r.has_length = true;
      r.length = j["length"].get<long long>();
    }
    KVB_REQUIRE(r.has_length || !require_length, where, ": missing \"length\" (needed for LongBench-E)");
    records.push_back(std::move(r));
  }
  return records;
}

std::string DatasetFromFileName(const std::filesystem::path& path) {
  const std::string name = path.filename().string();
  return name.substr(0, name.find('.'));
}

std::string LongBenchResultJson(const std::vector<std::pair<std::string, double>>& scores) {
  if (scores.empty()) return "{}";
  std::string out = "{";
  for (size_t i = 0; i < scores.size(); ++i) {
    out += (i ? ",\n    " : "\n    ") + PyJsonString(scores[i].first) + ": " + PyFloatRepr(scores[i].second);
  }
  return out + "\n}";
}

std::string LongBenchEResultJson(const std::vector<std::pair<std::string, LengthBucketScores>>& scores) {
  if (scores.empty()) return "{}";
  std::string out = "{";
  for (size_t i = 0; i < scores.size(); ++i) {
    const LengthBucketScores& b = scores[i].second;
    out += (i ? ",\n    " : "\n    ") + PyJsonString(scores[i].first) + ": {\n        \"0-4k\": " +
           PyFloatRepr(b.up_to_4k) + ",\n        \"4-8k\": " + PyFloatRepr(b.up_to_8k) +
           ",\n        \"8k+\": " + PyFloatRepr(b.above_8k) + "\n    }";
  }
  return out + "\n}";
}

}  // namespace kvb::metrics
