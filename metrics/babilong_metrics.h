// BABILong's label-based answer check for qa1–qa5 (booydar/babilong babilong/metrics.py,
// as HeadKV's reason_needle/metrics.py copies it; spec §4.4).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace kvb::metrics {

// The answer vocabulary of a task (e.g. the six rooms of qa1–qa4).
using TaskLabels = std::vector<std::u32string>;

// The label sets of qa1..qa5 (spec §4.4); kvb::ConfigError for another task name.
const TaskLabels& BabilongLabels(std::string_view task);

// compare_answers: the output is lower-cased and cut before the first ".", "<context>",
// "<example>" and "Question" (never found after lower-casing; kept as upstream has it);
// labels also named in the question are ignored; the answer is right when exactly the
// target label(s) remain (comma lists for targets longer than 3 characters).
bool BabilongAnswerIsCorrect(std::u32string_view target, std::u32string_view output,
                             std::u32string_view question, const TaskLabels& labels);

}  // namespace kvb::metrics
