// Google's `rouge_score` package (RougeScorer(['rouge1', ...], use_stemmer=True)),
// the score the PyramidKV/KVCache-Factory needle runner stores per test (spec
// benchmarks.md §3: `score` = 10 x ROUGE-1 F of the response against the needle).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace kvb::metrics {

// Tokens as rouge_score's tokenize.tokenize returns them: ASCII [a-z0-9]+ strings.
using RougeTokens = std::vector<std::string>;

// tokenize.tokenize(text, stemmer): Python str.lower() (full Unicode, so U+0130 and
// the Kelvin sign become ASCII letters), every run of characters outside [a-z0-9] is
// a separator, and with `use_stemmer` tokens longer than 3 characters are replaced
// by their NLTK Porter stem.
RougeTokens GoogleRougeTokenize(std::u32string_view text, bool use_stemmer);

struct RougeNScore {
  double precision = 0.0;
  double recall = 0.0;
  double fmeasure = 0.0;
};

// rouge_scorer._score_ngrams on unigrams: multiset overlap, P = overlap / max(|pred|, 1),
// R = overlap / max(|target|, 1), F = 2PR / (P + R) or 0.0, in Python's order.
RougeNScore GoogleRouge1(const RougeTokens& target, const RougeTokens& prediction);

// RougeScorer(['rouge1'], use_stemmer=True).score(target, prediction)['rouge1'].fmeasure.
// Registered as `needle_rouge1_f`; KVCache-Factory's stored `score` is 10 times this
// (it writes 0.0 for an empty response, which this also gives).
double NeedleRouge1F(std::u32string_view prediction, std::u32string_view target);

}  // namespace kvb::metrics
