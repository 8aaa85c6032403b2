// The Porter stemmer exactly as NLTK's `PorterStemmer()` runs it (mode
// NLTK_EXTENSIONS, nltk 3.x), which Google's `rouge_score` applies with
// use_stemmer=True (the needle protocols' ROUGE-1, spec benchmarks.md §3).
//
// Written from the algorithm (Porter 1980, Martin Porter's later changes, and the
// NLTK additions: the irregular-forms table, "ies"/"ied" on four-letter words,
// the two-letter *o rule, y -> i only after a consonant, "alli", "fulli", "logi").
#pragma once

#include <string>
#include <string_view>

namespace kvb::metrics {

// The stem of one word. The word is lower-cased first (ASCII only: rouge_score only
// ever passes [a-z0-9]+ tokens; other bytes are kept as they are and count as
// consonants, as any non-vowel letter does in NLTK).
std::string PorterStem(std::string_view word);

}  // namespace kvb::metrics
