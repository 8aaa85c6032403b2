// Levenshtein distance, for the "did you mean" of every registry and config checker.
#pragma once

#include <cstddef>
#include <string_view>

namespace kvb {

std::size_t EditDistance(std::string_view a, std::string_view b);

}  // namespace kvb
