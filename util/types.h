// Domain integers with names (STYLE P11): a token id is not a position is not a count.
#pragma once

#include <cstdint>
#include <vector>

namespace kvb {

using TokenId = std::int32_t;
using TokenIds = std::vector<TokenId>;

// A position in the prompt (0-based, never renumbered after eviction).
using Position = std::int64_t;

}  // namespace kvb
