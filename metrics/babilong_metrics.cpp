#include "metrics/babilong_metrics.h"

#include <algorithm>
#include <set>

#include "metrics/metric_registry.h"
#include "metrics/py_text.h"
#include "util/error.h"

namespace kvb::metrics {
namespace {

// s.split(sep)[0]
std::u32string BeforeFirst(const std::u32string& s, std::u32string_view sep) {
  const size_t p = s.find(sep);
  return p == std::u32string::npos ? s : s.substr(0, p);
}

}  // namespace

const TaskLabels& BabilongLabels(std::string_view task) {
  static const TaskLabels kRooms = {U"bathroom", U"bedroom", U"garden", U"hallway", U"kitchen", U"office"};
  static const TaskLabels kQa5 = {U"Bill", U"Fred", U"Jeff", U"Mary", U"apple", U"football", U"milk"};
  if (task == "qa1" || task == "qa2" || task == "qa3" || task == "qa4") return kRooms;
  if (task == "qa5") return kQa5;
  throw ConfigError(StrCat("no BABILong label set for task '", task, "' (known: qa1, qa2, qa3, qa4, qa5)"));
}

bool BabilongAnswerIsCorrect(std::u32string_view target, std::u32string_view output,
                             std::u32string_view question, const TaskLabels& labels) {
  std::u32string out = PyLower(output);
  for (std::u32string_view sep : {U".", U"<context>", U"<example>", U"Question"}) out = BeforeFirst(out, sep);
  const std::u32string tgt = PyLower(target);
  const std::u32string q = PyLower(question);
  std::set<std::u32string> in_output;
  for (const auto& label : labels) {
    const std::u32string l = PyLower(label);
    if (Contains(out, l) && !Contains(q, l)) in_output.insert(l);
  }
  if (Contains(tgt, U",") && tgt.size() > 3) {
    const CodePointPieces parts = SplitOn(tgt, U',');
    const bool all_found = std::all_of(parts.begin(), parts.end(), [&](const auto& p) { return in_output.count(p) > 0; });
    return all_found && in_output.size() == parts.size();
  }
  return in_output.count(tgt) > 0 && in_output.size() == 1;
}

namespace {

// References = {target, question}; all_classes = the task's labels.
double BabilongMetric(std::u32string_view output, const std::vector<std::u32string>& refs, const MetricContext& ctx) {
  KVB_REQUIRE(refs.size() == 2, "babilong_qa takes {target, question}");
  KVB_REQUIRE(ctx.all_classes != nullptr, "babilong_qa needs the task's labels as all_classes");
  return BabilongAnswerIsCorrect(refs[0], output, refs[1], *ctx.all_classes) ? 1.0 : 0.0;
}

}  // namespace

KVB_REGISTER_REFERENCES_METRIC(babilong_qa, BabilongMetric, kHigherIsBetter, Aggregation::kAccuracyPercent,
                               "babilong-1");

}  // namespace kvb::metrics
