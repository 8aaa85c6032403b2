// Parity of the needle ROUGE-1 F (Google rouge_score with NLTK's Porter stemmer, spec
// §3) with the installed Python packages: the stem of every word of the system
// dictionary and of generated suffix/y-run words, and the tokens and F of thousands of
// needle-like (response, needle) pairs, compared exactly (tokens, and doubles bit for bit).
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>

#include "metrics/google_rouge.h"
#include "metrics/metric_registry.h"
#include "metrics/porter_stemmer.h"
#include "metrics/py_text.h"
#include "tests/common/test_env.h"
#include "util/utf8.h"

namespace kvb::metrics {
namespace {

using Json = nlohmann::json;
using Rng = std::mt19937;
using Words = std::vector<std::string>;

constexpr const char* kDictionary = "/usr/share/dict/words";  // Debian wamerican (setup.sh installs it)

std::size_t Uniform(Rng& rng, std::size_t lo, std::size_t hi) {
  return std::uniform_int_distribution<std::size_t>(lo, hi)(rng);
}
template <typename T>
const T& Pick(Rng& rng, const std::vector<T>& v) { return v[Uniform(rng, 0, v.size() - 1)]; }

// Lower-case ASCII words of the system dictionary ("dog's" gives "dog"): ~100k real
// English words, the stemmer's natural input.
Words DictionaryWords() {
  Words words;
  std::ifstream in(kDictionary);
  std::string line;
  while (std::getline(in, line)) {
    std::string word;
    for (char c : line) {
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
      if (c < 'a' || c > 'z') break;
      word += c;
    }
    if (!word.empty() && (words.empty() || words.back() != word)) words.push_back(word);
  }
  return words;
}

// Words built to reach every rule: stems x every suffix the steps test, the NLTK
// irregular forms, y runs, digits, and random strings over a vowel/y-heavy alphabet.
Words GeneratedWords(Rng& rng) {
  const Words stems = {"relat", "condit", "hop", "fil", "fall", "hiss", "fizz", "tann", "agr", "plaster", "motor",
                       "happ", "enjo", "formal", "sensitiv", "electr", "r", "ceas", "controll", "conflat", "troubl",
                       "s", "syzyg", "generat", "analog", "hope", "good", "triplic", "digit", "vietnam", "oper",
                       "feud", "decis", "callous", "allow", "infer", "airlin", "gyroscop", "adjust", "defens",
                       "irrit", "replac", "depend", "adopt", "homolog", "commun", "activ", "angular", "effect",
                       "bowdler", "prob", "b", "t", "xy", "bay", "boy", "toy", "eye", "yy", "a", "ab", "abc",
                       "radic", "ecolo", "ideo", "cann", "out", "inn", "sk", "dy", "ly", "ty", "pro", "suc", "ex",
                       "1990", "abc123", "x9"};
  const Words suffixes = {"", "s", "es", "ies", "ied", "ss", "sses", "eed", "ed", "ing", "y", "ly", "ally", "ational",
                          "tional", "enci", "anci", "izer", "bli", "abli", "alli", "entli", "eli", "ousli",
                          "ization", "ation", "ator", "alism", "iveness", "fulness", "ousness", "aliti", "iviti",
                          "biliti", "fulli", "logi", "logy", "icate", "ative", "alize", "iciti", "ical", "ful",
                          "ness", "al", "ance", "ence", "er", "ic", "able", "ible", "ant", "ement", "ment", "ent",
                          "sion", "tion", "ion", "ou", "ism", "ate", "iti", "ous", "ive", "ize", "e", "ll", "le",
                          "ings", "edly", "ingly", "ations", "izations", "alities", "ying", "yed", "eing"};
  Words words;
  for (const auto& stem : stems)
    for (const auto& suffix : suffixes) words.push_back(stem + suffix);
  for (const char* w : {"sky", "skies", "dying", "lying", "tying", "news", "innings", "inning", "outings", "outing",
                        "cannings", "canning", "howe", "proceed", "exceed", "succeed", "ties", "dies", "pies",
                        "spied", "tied", "died", "flies", "enjoy", "say", "yyyyyyy", "yyyyyyyy", "ayyyyyy",
                        "byyyyyyy", "yayayay", "syzygy", "2nd", "1990s", "0000", "12345ing"}) {
    words.push_back(w);
  }
  const std::string alphabet = "aeiouyyylstngdbzrcmp";
  for (int i = 0; i < 20000; ++i) {
    std::string w;
    for (std::size_t k = Uniform(rng, 3, 12); k > 0; --k) w += alphabet[Uniform(rng, 0, alphabet.size() - 1)];
    if (Uniform(rng, 0, 2) == 0) w += Pick(rng, suffixes);
    words.push_back(w);
  }
  return words;
}

// The PyramidKV needle and kvbench's own, with responses a model could give.
struct RoughPair {
  std::string pred, target;
};

std::string PerturbResponse(Rng& rng, std::string s, const Words& vocabulary) {
  static const Words kInserts = {",", ".", "-", "'s", "\xE2\x80\x99", "  ", "\xC2\xA0", "\xE3\x80\x80", "\n",
                                 "\xC4\xB0stanbul", "\xE2\x84\xAA" "ELVIN", "Stra\xC3\x9F" "e", "caf\xC3\xA9",
                                 "\xEF\xBC\x91\xEF\xBC\x92", "\xE4\xB8\xAD\xE6\x96\x87", "3.5", "_", "U.S.",
                                 "co-operating", "SANDWICHES", "parks", "sitting", "days", "eating", "sunnier"};
  switch (Uniform(rng, 0, 5)) {
    case 0:  // truncation (bytes; a cut inside a UTF-8 sequence is repaired below)
      s = s.substr(0, Uniform(rng, 0, s.size()));
      while (!s.empty() && (static_cast<unsigned char>(s.back()) & 0x80)) s.pop_back();
      return s;
    case 1:  // upper-case a stretch
      for (std::size_t i = Uniform(rng, 0, s.size()), e = std::min(s.size(), i + 15); i < e; ++i)
        if (s[i] >= 'a' && s[i] <= 'z') s[i] = static_cast<char>(s[i] - 32);
      return s;
    case 2:  // a vocabulary word at a space
      return s + " " + Pick(rng, vocabulary);
    default: {  // an insert at a space or the end
      const std::size_t at = s.find(' ', Uniform(rng, 0, s.size()));
      s.insert(at == std::string::npos ? s.size() : at, " " + Pick(rng, kInserts));
      return s;
    }
  }
}

std::vector<RoughPair> GeneratedPairs(Rng& rng, const Words& vocabulary) {
  const Words needles = {
      "\nThe best thing to do in San Francisco is eat a sandwich and sit in Dolores Park on a sunny day.\n",
      "\nThe secret ingredient in Grandma Rosa's famous lemon cake is a spoonful of lavender honey.\n",
      "The special magic number for the shivering relationship is 4829301."};
  std::vector<RoughPair> pairs;
  for (const auto& needle : needles) {
    pairs.push_back({"eat a sandwich and sit in Dolores Park on a sunny day.", needle});  // the spec's 24/33
    pairs.push_back({"", needle});
    pairs.push_back({"...", needle});
    pairs.push_back({needle, needle});
  }
  pairs.push_back({"a", ""});
  pairs.push_back({"", ""});
  for (int i = 0; i < 3000; ++i) {
    const std::string& needle = Pick(rng, needles);
    std::string pred;
    if (Uniform(rng, 0, 3) == 0) {  // an unrelated answer from dictionary words
      for (std::size_t k = Uniform(rng, 0, 25); k > 0; --k) pred += Pick(rng, vocabulary) + " ";
    } else {
      pred = needle;
    }
    for (std::size_t k = Uniform(rng, 1, 4); k > 0; --k) pred = PerturbResponse(rng, pred, vocabulary);
    pairs.push_back({pred, needle});
  }
  return pairs;
}

std::vector<Json> RunReference(const std::vector<Json>& items) {
  const auto dir = testing::TempDir("needle_rouge_parity");
  const auto in_path = dir / "items.jsonl", out_path = dir / "reference.jsonl";
  {
    std::ofstream out(in_path);
    for (const auto& item : items) out << item.dump() << "\n";
  }
  const std::string script = (testing::SourceDir() / "tests/metrics/python/google_rouge_reference.py").string();
  const auto result = testing::RunCommand(testing::ShellQuote(testing::PythonExe()) + " " +
                                          testing::ShellQuote(script) + " " + testing::ShellQuote(in_path.string()) +
                                          " " + testing::ShellQuote(out_path.string()));
  EXPECT_EQ(result.exit_code, 0) << result.output;
  std::vector<Json> lines;
  std::ifstream in(out_path);
  std::string line;
  while (std::getline(in, line)) lines.push_back(Json::parse(line));
  return lines;
}

std::string Repr17(double x) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.17g", x);
  return buf;
}

Words ToWords(const RougeTokens& tokens) { return Words(tokens.begin(), tokens.end()); }

TEST(PorterStemmer, KnownStemsFromThePaperAndNltk) {
  // Porter's own examples, and the NLTK changes (ties -> tie, happy -> happi but
  // enjoy stays, skies -> sky, -alli twice).
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"caresses", "caress"}, {"ponies", "poni"}, {"ties", "tie"}, {"cats", "cat"}, {"agreed", "agre"},
      {"plastered", "plaster"}, {"motoring", "motor"}, {"sing", "sing"}, {"hopping", "hop"}, {"falling", "fall"},
      {"filing", "file"}, {"happy", "happi"}, {"enjoy", "enjoy"}, {"relational", "relat"}, {"skies", "sky"},
      {"generalization", "gener"}, {"sandwich", "sandwich"}, {"sitting", "sit"}, {"sunny", "sunni"}};
  for (const auto& [word, stem] : cases) EXPECT_EQ(PorterStem(word), stem) << word;
}

TEST(GoogleRouge, NeedleScoreOfThePerfectShortAnswer) {
  // Spec §3: 12 of the needle's 21 tokens... the short answer has 12 tokens, all in
  // the needle, so P = 1, R = 12/21, F = 24/33.
  const double f = NeedleRouge1F(U"eat a sandwich and sit in Dolores Park on a sunny day.",
                                 U"\nThe best thing to do in San Francisco is eat a sandwich and sit in Dolores "
                                 U"Park on a sunny day.\n");
  EXPECT_EQ(f, 2 * 1.0 * (12.0 / 21.0) / (1.0 + 12.0 / 21.0));
  EXPECT_NEAR(10 * f, 7.2727, 1e-4);
  EXPECT_EQ(NeedleRouge1F(U"", U"a sandwich"), 0.0);
  EXPECT_EQ(GoogleRougeTokenize(U"\u0130stanbul \u212Aelvin caf\u00E9s", true), (RougeTokens{"i", "stanbul", "kelvin", "caf", "s"}));
  EXPECT_EQ(MetricRegistry::Get().Find("needle_rouge1_f").aggregation, Aggregation::kMean);
}

TEST(GoogleRougeParity, StemsTokensAndScoresEqualThePythonPackages) {
  Rng rng(20261122);
  Words words = DictionaryWords();
  if (words.empty()) std::cout << "note: " << kDictionary << " missing; stemming generated words only\n";
  const std::size_t dictionary_words = words.size();
  const Words generated = GeneratedWords(rng);
  words.insert(words.end(), generated.begin(), generated.end());
  const Words vocabulary = words.empty() ? generated : words;
  const auto pairs = GeneratedPairs(rng, vocabulary);

  std::vector<Json> items;
  for (const auto& w : words) items.push_back({{"kind", "stem"}, {"text", w}});
  for (const auto& p : pairs) items.push_back({{"kind", "rouge1"}, {"pred", p.pred}, {"target", p.target}});
  const auto reference = RunReference(items);
  ASSERT_EQ(reference.size(), items.size());

  int stem_mismatches = 0, changed = 0;
  for (std::size_t i = 0; i < words.size(); ++i) {
    const std::string cpp = PorterStem(words[i]);
    const std::string py = reference[i]["stem"].get<std::string>();
    changed += cpp != words[i];
    if (cpp != py && ++stem_mismatches <= 10) ADD_FAILURE() << "stem(" << words[i] << "): C++ " << cpp << " vs NLTK " << py;
  }
  int score_mismatches = 0, nonzero = 0, perfect = 0;
  for (std::size_t k = 0; k < pairs.size(); ++k) {
    const Json& ref = reference[words.size() + k];
    const std::u32string pred = DecodeUtf8(pairs[k].pred), target = DecodeUtf8(pairs[k].target);
    const double f = MetricRegistry::Get().Find("needle_rouge1_f").score(pred, target, MetricContext{});
    const double py = std::strtod(ref["score"].get<std::string>().c_str(), nullptr);
    nonzero += f > 0;
    perfect += f == 1.0;
    const bool same_tokens = ToWords(GoogleRougeTokenize(pred, true)) == ref["tokens_pred"].get<Words>() &&
                             ToWords(GoogleRougeTokenize(target, true)) == ref["tokens_target"].get<Words>();
    if ((Repr17(f) != Repr17(py) || !same_tokens) && ++score_mismatches <= 10) {
      ADD_FAILURE() << "pair " << k << ": C++ " << Repr17(f) << " vs rouge_score " << Repr17(py)
                    << (same_tokens ? "" : " (tokens differ)") << "\n  pred:   " << pairs[k].pred
                    << "\n  target: " << pairs[k].target;
    }
  }
  std::cout << words.size() << " words (" << dictionary_words << " from the dictionary), " << changed
            << " changed by stemming, " << stem_mismatches << " mismatches; " << pairs.size() << " pairs, "
            << nonzero << " above 0, " << perfect << " perfect, " << score_mismatches << " mismatches\n";
  EXPECT_EQ(stem_mismatches, 0);
  EXPECT_EQ(score_mismatches, 0);
  // The generators must reach both sides of the comparison, or it proves little.
  EXPECT_GT(changed, static_cast<int>(words.size() / 3));
  EXPECT_GT(nonzero, static_cast<int>(pairs.size() / 2));
  EXPECT_LT(nonzero, static_cast<int>(pairs.size()));
  EXPECT_GT(perfect, 0);
}

}  // namespace
}  // namespace kvb::metrics
