// Levenshtein distance, for the "did you mean" of every registry and config checker.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace kvb {

std::size_t EditDistance(std::string_view a, std::string_view b);

// The candidate nearest to `name`, or "" when none is a near miss: at most
// max(2, |name| / 3) edits, so "h20" finds "h2o" and "streaming" finds "streamingllm"
// while an unrelated word suggests nothing.
std::string NearestName(std::string_view name, const std::vector<std::string>& candidates);

}  // namespace kvb
