#include "metrics/porter_stemmer.h"

#include <functional>
#include <initializer_list>
#include <unordered_map>
#include <vector>

namespace kvb::metrics {
namespace {

// ---- the letter classes the rules are stated in -------------------------------

bool IsVowelLetter(char c) { return c == 'a' || c == 'e' || c == 'i' || c == 'o' || c == 'u'; }

// Porter's consonant: not a vowel letter, and a 'y' only when it starts the word or
// follows a vowel (so in "syzygy" the y's after s and z are vowels). Walks back over
// a run of y's instead of recursing, so a token of many y's costs one pass.
bool IsConsonant(std::string_view word, std::size_t i) {
  if (IsVowelLetter(word[i])) return false;
  if (word[i] != 'y') return true;
  bool consonant = true;  // a leading 'y' is a consonant
  std::size_t first_y = i;
  while (first_y > 0 && word[first_y - 1] == 'y') --first_y;
  // y's alternate consonant/vowel from the first one of the run, which is a
  // consonant unless a consonant letter precedes it.
  if (first_y > 0) consonant = !IsConsonant(word, first_y - 1);
  if ((i - first_y) % 2 == 1) consonant = !consonant;
  return consonant;
}

// m in [C](VC){m}[V]: the number of vowel->consonant transitions.
int Measure(std::string_view stem) {
  int m = 0;
  bool previous_consonant = true;
  for (std::size_t i = 0; i < stem.size(); ++i) {
    const bool consonant = IsConsonant(stem, i);
    if (consonant && i > 0 && !previous_consonant) ++m;
    previous_consonant = consonant;
  }
  return m;
}

bool HasPositiveMeasure(std::string_view stem) { return Measure(stem) > 0; }

bool ContainsVowel(std::string_view stem) {  // *v*
  for (std::size_t i = 0; i < stem.size(); ++i)
    if (!IsConsonant(stem, i)) return true;
  return false;
}

bool EndsDoubleConsonant(std::string_view word) {  // *d
  const std::size_t n = word.size();
  return n >= 2 && word[n - 1] == word[n - 2] && IsConsonant(word, n - 1);
}

// *o: ends consonant-vowel-consonant, the last not w, x or y; NLTK also accepts a
// two-letter vowel-consonant word.
bool EndsCvc(std::string_view word) {
  const std::size_t n = word.size();
  if (n >= 3 && IsConsonant(word, n - 3) && !IsConsonant(word, n - 2) && IsConsonant(word, n - 1) &&
      word[n - 1] != 'w' && word[n - 1] != 'x' && word[n - 1] != 'y') {
    return true;
  }
  return n == 2 && !IsConsonant(word, 0) && IsConsonant(word, 1);
}

bool EndsWith(std::string_view word, std::string_view suffix) {
  return word.size() >= suffix.size() && word.substr(word.size() - suffix.size()) == suffix;
}

std::string_view DropSuffix(std::string_view word, std::size_t length) { return word.substr(0, word.size() - length); }

// ---- rule lists ---------------------------------------------------------------

using StemCondition = std::function<bool(std::string_view stem)>;

struct SuffixRule {
  std::string_view suffix;
  std::string replacement;
  StemCondition condition;  // empty: unconditional
  bool double_consonant = false;  // the *d pseudo-suffix: any doubled consonant
};

// The first rule whose suffix matches decides: its condition holding replaces the
// suffix, failing leaves the word as it is (later rules are not tried).
std::string ApplyFirstMatchingRule(std::string_view word, const std::vector<SuffixRule>& rules) {
  for (const SuffixRule& rule : rules) {
    std::size_t suffix_length = 0;
    if (rule.double_consonant) {
      if (!EndsDoubleConsonant(word)) continue;
      suffix_length = 2;
    } else if (EndsWith(word, rule.suffix)) {
      suffix_length = rule.suffix.size();
    } else {
      continue;
    }
    const std::string_view stem = DropSuffix(word, suffix_length);
    if (rule.condition && !rule.condition(stem)) return std::string(word);
    return std::string(stem) + rule.replacement;
  }
  return std::string(word);
}

std::string Step1a(std::string_view word) {
  if (word.size() == 4 && EndsWith(word, "ies")) return std::string(DropSuffix(word, 3)) + "ie";  // NLTK: ties -> tie
  return ApplyFirstMatchingRule(word, {{"sses", "ss", {}}, {"ies", "i", {}}, {"ss", "ss", {}}, {"s", "", {}}});
}

std::string Step1b(std::string_view word) {
  if (EndsWith(word, "ied")) return std::string(DropSuffix(word, 3)) + (word.size() == 4 ? "ie" : "i");  // NLTK
  if (EndsWith(word, "eed")) {
    const std::string_view stem = DropSuffix(word, 3);
    return Measure(stem) > 0 ? std::string(stem) + "ee" : std::string(word);
  }
  std::string_view stem;
  bool removed = false;
  for (std::string_view suffix : {std::string_view("ed"), std::string_view("ing")}) {
    if (EndsWith(word, suffix) && ContainsVowel(DropSuffix(word, suffix.size()))) {
      stem = DropSuffix(word, suffix.size());
      removed = true;
      break;
    }
  }
  if (!removed) return std::string(word);
  // After -ed/-ing: restore the e of -ate/-ble/-ize, undouble a final consonant
  // (not l, s, z), or add e to a short cvc stem (fil(ing) -> file).
  const char last = stem.back();
  return ApplyFirstMatchingRule(
      stem, {{"at", "ate", {}},
             {"bl", "ble", {}},
             {"iz", "ize", {}},
             {"", std::string(1, last), [last](std::string_view) { return last != 'l' && last != 's' && last != 'z'; },
              /*double_consonant=*/true},
             {"", "e", [](std::string_view s) { return Measure(s) == 1 && EndsCvc(s); }}});
}

std::string Step1c(std::string_view word) {
  // NLTK: y -> i after a consonant that is not the whole stem (happy -> happi, but
  // enjoy and by stay).
  return ApplyFirstMatchingRule(
      word, {{"y", "i", [](std::string_view s) { return s.size() > 1 && IsConsonant(s, s.size() - 1); }}});
}

std::string Step2(std::string_view word) {
  // NLTK: -alli becomes -al and step 2 runs again on the result.
  if (EndsWith(word, "alli") && HasPositiveMeasure(DropSuffix(word, 4))) {
    return Step2(std::string(DropSuffix(word, 4)) + "al");
  }
  const StemCondition m_positive = HasPositiveMeasure;
  // NLTK's -logi rule tests the measure of the word without "ogi" (the l stays).
  const std::string whole(word);
  const StemCondition logi = [whole](std::string_view) { return HasPositiveMeasure(DropSuffix(whole, 3)); };
  return ApplyFirstMatchingRule(word, {{"ational", "ate", m_positive},
                                       {"tional", "tion", m_positive},
                                       {"enci", "ence", m_positive},
                                       {"anci", "ance", m_positive},
                                       {"izer", "ize", m_positive},
                                       {"bli", "ble", m_positive},
                                       {"alli", "al", m_positive},
                                       {"entli", "ent", m_positive},
                                       {"eli", "e", m_positive},
                                       {"ousli", "ous", m_positive},
                                       {"ization", "ize", m_positive},
                                       {"ation", "ate", m_positive},
                                       {"ator", "ate", m_positive},
                                       {"alism", "al", m_positive},
                                       {"iveness", "ive", m_positive},
                                       {"fulness", "ful", m_positive},
                                       {"ousness", "ous", m_positive},
                                       {"aliti", "al", m_positive},
                                       {"iviti", "ive", m_positive},
                                       {"biliti", "ble", m_positive},
                                       {"fulli", "ful", m_positive},
                                       {"logi", "log", logi}});
}

std::string Step3(std::string_view word) {
  const StemCondition m_positive = HasPositiveMeasure;
  return ApplyFirstMatchingRule(word, {{"icate", "ic", m_positive},
                                       {"ative", "", m_positive},
                                       {"alize", "al", m_positive},
                                       {"iciti", "ic", m_positive},
                                       {"ical", "ic", m_positive},
                                       {"ful", "", m_positive},
                                       {"ness", "", m_positive}});
}

std::string Step4(std::string_view word) {
  const StemCondition m_above_one = [](std::string_view s) { return Measure(s) > 1; };
  const StemCondition ion = [](std::string_view s) { return Measure(s) > 1 && (s.back() == 's' || s.back() == 't'); };
  std::vector<SuffixRule> rules;
  for (std::string_view suffix : {"al", "ance", "ence", "er", "ic", "able", "ible", "ant", "ement", "ment", "ent"})
    rules.push_back({suffix, "", m_above_one});
  rules.push_back({"ion", "", ion});
  for (std::string_view suffix : {"ou", "ism", "ate", "iti", "ous", "ive", "ize"}) rules.push_back({suffix, "", m_above_one});
  return ApplyFirstMatchingRule(word, rules);
}

std::string Step5a(std::string_view word) {
  if (!EndsWith(word, "e")) return std::string(word);
  const std::string_view stem = DropSuffix(word, 1);
  const int m = Measure(stem);
  if (m > 1 || (m == 1 && !EndsCvc(stem))) return std::string(stem);
  return std::string(word);
}

std::string Step5b(std::string_view word) {
  // -ll -> -l when the word without its last l has m > 1 (controll -> control).
  const std::string whole(word);
  return ApplyFirstMatchingRule(
      word, {{"ll", "l", [whole](std::string_view) { return Measure(DropSuffix(whole, 1)) > 1; }}});
}

// NLTK's irregular forms, looked up before any rule.
const std::unordered_map<std::string_view, std::string_view>& IrregularForms() {
  static const auto* forms = new std::unordered_map<std::string_view, std::string_view>{
      {"sky", "sky"},         {"skies", "sky"},       {"dying", "die"},        {"lying", "lie"},
      {"tying", "tie"},       {"news", "news"},       {"innings", "inning"},   {"inning", "inning"},
      {"outings", "outing"},  {"outing", "outing"},   {"cannings", "canning"}, {"canning", "canning"},
      {"howe", "howe"},       {"proceed", "proceed"}, {"exceed", "exceed"},    {"succeed", "succeed"}};
  return *forms;
}

}  // namespace

std::string PorterStem(std::string_view word) {
  std::string lower(word);
  for (char& c : lower)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  const auto& irregular = IrregularForms();
  if (const auto it = irregular.find(lower); it != irregular.end()) return std::string(it->second);
  if (lower.size() <= 2) return lower;  // too short to carry a suffix
  std::string stem = Step1a(lower);
  stem = Step1b(stem);
  stem = Step1c(stem);
  stem = Step2(stem);
  stem = Step3(stem);
  stem = Step4(stem);
  stem = Step5a(stem);
  stem = Step5b(stem);
  return stem;
}

}  // namespace kvb::metrics
