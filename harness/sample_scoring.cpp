#include "harness/sample_scoring.h"

#include <algorithm>

#include "metrics/metric_registry.h"
#include "util/utf8.h"

namespace kvb {
namespace {

bool IsPySpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }

std::string Strip(const std::string& text) {
  std::size_t begin = 0, end = text.size();
  while (begin < end && IsPySpace(text[begin])) ++begin;
  while (end > begin && IsPySpace(text[end - 1])) --end;
  return text.substr(begin, end - begin);
}

}  // namespace

std::string PostProcessPrediction(const std::string& prediction, PostProcess rule) {
  switch (rule) {
    case PostProcess::kNone:
      return prediction;
    case PostProcess::kFirstLine: {  // pred.lstrip('\n').split('\n')[0]
      const std::size_t begin = prediction.find_first_not_of('\n');
      if (begin == std::string::npos) return "";
      const std::size_t end = prediction.find('\n', begin);
      return prediction.substr(begin, end == std::string::npos ? std::string::npos : end - begin);
    }
    case PostProcess::kRuler: {  // strip, [\x00-\x1f] -> '\n', strip
      std::string text = Strip(prediction);
      for (char& c : text) {
        if (static_cast<unsigned char>(c) < 0x20) c = '\n';
      }
      return Strip(text);
    }
    case PostProcess::kStrip:
      return Strip(prediction);
  }
  return prediction;
}

std::vector<MetricScore> ScorePrediction(const std::string& prediction, const ScoringInputs& scoring) {
  const std::string processed = PostProcessPrediction(prediction, scoring.postprocess);
  const std::u32string predicted = DecodeUtf8(processed, "prediction");
  metrics::ClassLabels classes;
  for (const std::string& c : scoring.all_classes) classes.push_back(DecodeUtf8(c, "all_classes"));
  // BABILong's scorer takes the task's labels as its classes.
  for (const std::string& c : scoring.labels) classes.push_back(DecodeUtf8(c, "labels"));
  metrics::MetricContext context;
  context.all_classes = &classes;
  std::vector<std::string> names = {scoring.metric};
  names.insert(names.end(), scoring.extra_metrics.begin(), scoring.extra_metrics.end());
  std::vector<MetricScore> scores;
  for (const std::string& name : names) {
    const metrics::MetricInfo& info = metrics::MetricRegistry::Get().Find(name);
    if (info.score_references) {  // RULER, needle, BABILong: one score over all references
      std::vector<std::u32string> references;
      for (const std::string& r : scoring.ReferencesFor(name)) references.push_back(DecodeUtf8(r, "reference"));
      if (!scoring.question.empty()) references.push_back(DecodeUtf8(scoring.question, "question"));
      scores.push_back({name, info.score_references(predicted, references, context), info.higher_is_better});
      continue;
    }
    // LongBench: max(0, best score over the answers); "best" follows the direction.
    double best = 0.0;
    bool first = true;
    for (const std::string& reference : scoring.ReferencesFor(name)) {
      const double s = info.score(predicted, DecodeUtf8(reference, "reference"), context);
      best = first ? (info.higher_is_better ? std::max(0.0, s) : s)
                   : (info.higher_is_better ? std::max(best, s) : std::min(best, s));
      first = false;
    }
    scores.push_back({name, best, info.higher_is_better});
  }
  return scores;
}

}  // namespace kvb
