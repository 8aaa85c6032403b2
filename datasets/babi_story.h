// A bAbI qa1-qa5 story generator following the rules of spec §4.7 (the world of
// facebookarchive/bAbI-tasks, surface forms tallied from BABILong): items of the same
// kind as BABILong's, not the same items ("BABILong-style synthetic").
#pragma once

#include <string>

#include "datasets/dataset.h"
#include "datasets/random.h"

namespace kvb {

struct BabiStory {
  Strings facts;  // each ends with '.'
  std::string question;
  std::string answer;
};

// task: "qa1".."qa5". Deterministic for a given rng state.
BabiStory GenerateBabiStory(const std::string& task, Rng& rng);

}  // namespace kvb
