// Parity with the official Python scorers (rouge 1.0.1, fuzzywuzzy with difflib and
// python-Levenshtein, jieba 0.42.1, LongBench's glue written from the spec in
// tests/metrics/python/longbench_reference.py): thousands of (prediction, answer)
// pairs generated from the real LongBench records, compared with exact double equality.
#include <gtest/gtest.h>

#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <random>

#include "metrics/jieba.h"
#include "metrics/babilong_metrics.h"
#include "metrics/longbench_metrics.h"
#include "metrics/ruler_metrics.h"
#include "metrics/metric_registry.h"
#include "tests/common/test_env.h"
#include "util/error.h"
#include "util/utf8.h"

namespace kvb::metrics {
namespace {

using Json = nlohmann::json;
using Rng = std::mt19937;

struct Pair {
  std::string metric;  // the reference script's name
  std::u32string pred, gt;
  ClassLabels all_classes;
  std::vector<std::u32string> refs = {};  // for metrics over all references (RULER, BABILong)
};

struct LongBenchRecord {
  std::u32string context, input;
  std::vector<std::u32string> answers;
};

std::vector<LongBenchRecord> ReadRecords(const std::filesystem::path& path) {
  std::vector<LongBenchRecord> records;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    const Json j = Json::parse(line);
    LongBenchRecord r{DecodeUtf8(j["context"].get<std::string>()), DecodeUtf8(j["input"].get<std::string>()), {}};
    for (const auto& a : j["answers"]) r.answers.push_back(DecodeUtf8(a.get<std::string>()));
    records.push_back(std::move(r));
  }
  return records;
}

size_t Uniform(Rng& rng, size_t lo, size_t hi) { return std::uniform_int_distribution<size_t>(lo, hi)(rng); }
template <typename T>
const T& Pick(Rng& rng, const std::vector<T>& v) { return v[Uniform(rng, 0, v.size() - 1)]; }

std::u32string WordWindow(Rng& rng, const std::u32string& text, size_t min_words, size_t max_words) {
  const CodePointPieces words = SplitWhitespace(text);
  if (words.empty()) return U"";
  const size_t n = std::min(words.size(), Uniform(rng, min_words, max_words));
  const size_t start = Uniform(rng, 0, words.size() - n);
  return Join(CodePointPieces(words.begin() + start, words.begin() + start + n), U" ");
}

std::u32string CharWindow(Rng& rng, const std::u32string& text, size_t min_len, size_t max_len) {
  if (text.empty()) return U"";
  const size_t n = std::min(text.size(), Uniform(rng, min_len, max_len));
  return text.substr(Uniform(rng, 0, text.size() - n), n);
}

// One random edit of the kinds the issue lists: truncation, case, punctuation,
// articles, Unicode whitespace, CJK, special casing and digits.
std::u32string Perturb(Rng& rng, std::u32string s) {
  static const std::vector<std::u32string> kInserts = {
      U",", U".", U"-", U"'", U"\u2019", U"the ", U" a ", U"An ", U"THE", U"\u00A0", U"\u3000",
      U"\u2009", U"\u0085", U"\u001C", U"\u200B", U"\t", U"\n", U"  ", U"中文", U"。", U"\u0130",
      U"\u03A3", U"\uFF11\uFF12", U"3.5", U"_", U"...", U"U.S.", U"\u00E9t\u00E9"};
  switch (Uniform(rng, 0, 6)) {
    case 0:  // truncation
      return s.substr(0, Uniform(rng, 0, s.size()));
    case 1:  // upper-case a stretch
      for (size_t i = Uniform(rng, 0, s.size()), e = std::min(s.size(), i + 20); i < e; ++i)
        if (s[i] >= 'a' && s[i] <= 'z') s[i] -= 32;
      return s;
    case 2: {  // drop ASCII punctuation
      std::u32string out;
      for (char32_t c : s)
        if (!IsAsciiPunctuation(c)) out += c;
      return out;
    }
    case 3:  // replace spaces with Unicode whitespace
      for (char32_t& c : s)
        if (c == ' ' && Uniform(rng, 0, 3) == 0) c = Pick(rng, std::vector<char32_t>{0xA0, 0x3000, 0x2003, 0x85, 0x1F, 0x200B});
      return s;
    default:
      s.insert(Uniform(rng, 0, s.size()), Pick(rng, kInserts));
      return s;
  }
}

std::u32string PerturbMany(Rng& rng, std::u32string s) {
  for (size_t k = Uniform(rng, 0, 3); k > 0; --k) s = Perturb(rng, std::move(s));
  return s;
}

void AddEnglishPairs(Rng& rng, const std::vector<LongBenchRecord>& news, std::vector<Pair>& pairs) {
  for (int i = 0; i < 1500; ++i) {
    const auto& r = Pick(rng, news);
    std::u32string gt = WordWindow(rng, r.answers[0], 1, 8);
    std::u32string pred = Uniform(rng, 0, 3) == 0 ? WordWindow(rng, r.context, 1, 30) : PerturbMany(rng, gt);
    if (Uniform(rng, 0, 3) == 0) pred = WordWindow(rng, r.context, 0, 10) + U" " + pred;
    pairs.push_back({"qa_f1_score", pred, gt, {}});
  }
  for (int i = 0; i < 250; ++i) {
    const auto& r = Pick(rng, news);
    std::u32string gt = WordWindow(rng, r.answers[0], 20, 300);
    std::u32string pred = Uniform(rng, 0, 1) ? WordWindow(rng, r.context, 5, 200) : PerturbMany(rng, gt);
    if (Uniform(rng, 0, 4) == 0) pred = WordWindow(rng, r.answers[0], 10, 100) + U". " + pred;
    pairs.push_back({"rouge_score", pred, gt, {}});
  }
  // Rouge edge cases: empty sides, only dots, blank sentences, identical texts, and the
  // recursion bound: "cat" + N filler words (N = 989 scores, N = 990 is 0.0 in eval.py).
  for (const auto& [p, g] : std::vector<std::pair<std::u32string, std::u32string>>{
           {U"", U"a b"}, {U"a b", U""}, {U"...", U"a"}, {U"a . . b", U"a b"}, {U"x  .  y", U" . x"},
           {U"the cat sat", U"the cat sat"}, {U"a b c d", U"d c b a"}, {U"a a a b", U"a b b"}}) {
    pairs.push_back({"rouge_score", p, g, {}});
  }
  for (int n : {10, 988, 989, 990, 991, 1200}) {
    std::u32string hyp = U"cat";
    for (int k = 0; k < n; ++k) hyp += U" w" + DecodeUtf8(std::to_string(k % 50));
    pairs.push_back({"rouge_score", hyp, U"cat", {}});
  }
}

void AddClassificationAndNumberPairs(Rng& rng, const std::vector<LongBenchRecord>& news, std::vector<Pair>& pairs) {
  const ClassLabels labels = {U"Location", U"Other location", U"City", U"Country", U"Human being",
                              U"Entity", U"Other entity", U"Date", U"Number", U"Other number",
                              U"Description", U"Definition", U"Abbreviation", U"Expression abbreviated",
                              U"Other", U"Animal", U"Event", U"State", U"Country", U"Individual"};
  for (int i = 0; i < 400; ++i) {
    ClassLabels classes;
    for (size_t k = Uniform(rng, 2, labels.size()); k > 0; --k) classes.push_back(Pick(rng, labels));
    std::u32string pred;
    for (size_t k = Uniform(rng, 0, 4); k > 0; --k) pred += Pick(rng, labels) + U" " + WordWindow(rng, Pick(rng, news).context, 0, 3) + U" ";
    pairs.push_back({"classification_score", Uniform(rng, 0, 4) ? pred : Perturb(rng, pred), Pick(rng, classes), classes});
  }
  static const std::vector<std::u32string> kNumbers = {U"1", U"12", U"012", U"\uFF11\uFF12", U"7", U"30", U"3", U"\u0661\u0662"};
  for (int i = 0; i < 400; ++i) {
    std::u32string pred;
    for (size_t k = Uniform(rng, 0, 5); k > 0; --k) {
      pred += Uniform(rng, 0, 1) ? U"Paragraph " + Pick(rng, kNumbers) : WordWindow(rng, Pick(rng, news).context, 0, 4);
      pred += Pick(rng, std::vector<std::u32string>{U" ", U", ", U"", U"\n"});
    }
    const std::u32string id = Pick(rng, kNumbers);
    pairs.push_back({"retrieval_score", pred, Uniform(rng, 0, 30) ? U"Paragraph " + id : U"no paragraph", {}});
    pairs.push_back({"count_score", pred, id, {}});
  }
}

void AddCodePairs(Rng& rng, const std::vector<LongBenchRecord>& news, std::vector<Pair>& pairs) {
  static const std::vector<std::u32string> kCode = {
      U"    return self.values[index]", U"for (int i = 0; i < n; ++i) {", U"x = foo(bar, baz)  # note",
      U"url = \"http://example.com\"", U"print(\"#\")", U"```python", U"    }", U"\treturn nil, err\r",
      U"const auto it = map.find(key); // lookup", U"self.assertEqual(result, expected)", U"",
      U"if (a == b) return true;", U"    def __init__(self, name):", U"public static void main(String[] args)"};
  for (int i = 0; i < 500; ++i) {
    std::u32string gt, pred;
    if (Uniform(rng, 0, 3) == 0) {  // long lines: b >= 200 code points triggers autojunk
      gt = WordWindow(rng, Pick(rng, news).context, 30, 120);
      pred = Uniform(rng, 0, 1) ? PerturbMany(rng, gt) : WordWindow(rng, Pick(rng, news).context, 10, 80);
    } else {
      gt = Pick(rng, kCode);
      for (size_t k = Uniform(rng, 1, 4); k > 0; --k) pred += (Uniform(rng, 0, 1) ? Pick(rng, kCode) : PerturbMany(rng, Pick(rng, kCode))) + U"\n";
      if (Uniform(rng, 0, 3) == 0) pred = U"\n\n" + pred;
    }
    for (const char* m : {"code_sim_difflib", "code_sim_levenshtein"}) pairs.push_back({m, pred, gt, {}});
  }
}

void AddChinesePairs(Rng& rng, const std::vector<LongBenchRecord>& zh, std::vector<Pair>& pairs) {
  for (int i = 0; i < 600; ++i) {
    const auto& r = Pick(rng, zh);
    std::u32string gt = Uniform(rng, 0, 1) ? Pick(rng, r.answers) : CharWindow(rng, r.context, 2, 40);
    std::u32string pred = Uniform(rng, 0, 2) ? PerturbMany(rng, gt) : CharWindow(rng, r.context, 1, 80);
    pairs.push_back({"qa_f1_zh_score", pred, gt, {}});
  }
  for (int i = 0; i < 150; ++i) {
    const auto& r = Pick(rng, zh);
    std::u32string gt = CharWindow(rng, r.context, 20, 400);
    std::u32string pred = Uniform(rng, 0, 1) ? PerturbMany(rng, gt) : CharWindow(rng, r.context, 10, 300);
    pairs.push_back({"rouge_zh_score", pred, gt, {}});
  }
  // One long run without an ASCII '.', near the zh recursion bound.
  for (size_t len : {1400, 1700}) {
    const auto& r = zh[len % zh.size()];
    std::u32string text;
    for (char32_t c : r.context)
      if (c != '.') text += c;
    pairs.push_back({"rouge_zh_score", text.substr(0, len), U"的", {}});
  }
  for (int i = 0; i < 200; ++i) {
    const std::u32string id = DecodeUtf8(std::to_string(Uniform(rng, 0, 30)));
    std::u32string pred = Uniform(rng, 0, 1) ? U"段落" + id : CharWindow(rng, Pick(rng, zh).context, 0, 20);
    if (Uniform(rng, 0, 2) == 0) pred += U"，段落" + DecodeUtf8(std::to_string(Uniform(rng, 0, 30)));
    pairs.push_back({"retrieval_zh_score", pred, U"段落" + id, {}});
  }
}

void AddRulerNeedleBabilongPairs(Rng& rng, const std::vector<LongBenchRecord>& news, std::vector<Pair>& pairs) {
  static const std::vector<std::u32string> kValues = {U"1234567", U"Apple", U"apple", U"12345", U"VAR_X", U"ΣΊΣΥΦΟΣ", U"İstanbul", U"pine"};
  for (int i = 0; i < 300; ++i) {
    std::vector<std::u32string> refs;
    for (size_t k = Uniform(rng, 1, 4); k > 0; --k) refs.push_back(Pick(rng, kValues));
    std::u32string pred = U"  " + WordWindow(rng, Pick(rng, news).context, 0, 6);
    for (size_t k = Uniform(rng, 0, 3); k > 0; --k) pred += Pick(rng, std::vector<std::u32string>{U"\x01", U" ", U"\n", U"\x1f"}) + PerturbMany(rng, Pick(rng, kValues)) + U"9";
    for (const char* m : {"string_match_all", "string_match_part"}) pairs.push_back({m, pred, U"", {}, refs});
  }
  const std::u32string needle(kNeedleExpectedAnswer);
  for (int i = 0; i < 200; ++i) {
    std::u32string pred = Uniform(rng, 0, 1) ? PerturbMany(rng, needle) : WordWindow(rng, Pick(rng, news).context, 0, 20);
    if (Uniform(rng, 0, 2) == 0) pred = U"Eat a SANDWICH and sit in Dolores Park on a sunny day.";
    pairs.push_back({"needle_answer_recall", pred, U"", {}, {needle}});
  }
  for (int i = 0; i < 400; ++i) {
    const char* task = i % 5 == 4 ? "qa5" : "qa1";
    const ClassLabels& labels = BabilongLabels(task);
    std::u32string target = Pick(rng, labels);
    if (Uniform(rng, 0, 5) == 0) target = Pick(rng, labels) + U"," + Pick(rng, labels);
    const std::u32string question = U"Where is " + Pick(rng, labels) + U"?";
    std::u32string output;
    for (size_t k = Uniform(rng, 0, 3); k > 0; --k)
      output += Pick(rng, std::vector<std::u32string>{U"The ", U"the ", U". ", U"<context> ", U"Question: ", U", "}) + Pick(rng, labels);
    if (Uniform(rng, 0, 1) == 0) output = U"Answer: " + target + output;  // often right, sometimes not
    pairs.push_back({"babilong_qa", Uniform(rng, 0, 4) ? output : PyLower(output) + U" rosemary", U"", labels, {target, question}});
  }
}

// Runs the reference script on `pairs`; returns its output lines.
std::vector<Json> RunReference(const std::vector<Pair>& pairs, const std::string& name) {
  const auto dir = testing::TempDir(name);
  const auto in_path = dir / "pairs.jsonl", out_path = dir / "scores.jsonl";
  {
    std::ofstream out(in_path);
    for (const auto& p : pairs) {
      Json j = {{"metric", p.metric}, {"pred", EncodeUtf8(p.pred)}, {"gt", EncodeUtf8(p.gt)}};
      Json classes = Json::array();
      for (const auto& c : p.all_classes) classes.push_back(EncodeUtf8(c));
      j["all_classes"] = classes;
      Json refs = Json::array();
      for (const auto& r : p.refs) refs.push_back(EncodeUtf8(r));
      j["refs"] = refs;
      out << j.dump() << "\n";
    }
  }
  const std::string script = (testing::SourceDir() / "tests/metrics/python/longbench_reference.py").string();
  const auto result = testing::RunCommand(testing::ShellQuote(testing::PythonExe()) + " " + testing::ShellQuote(script) +
                                          " " + testing::ShellQuote(in_path.string()) + " " +
                                          testing::ShellQuote(out_path.string()));
  EXPECT_EQ(result.exit_code, 0) << result.output;
  std::vector<Json> lines;
  std::ifstream in(out_path);
  std::string line;
  while (std::getline(in, line)) lines.push_back(Json::parse(line));
  return lines;
}

MetricContext ContextFor(const Pair& p) {
  MetricContext ctx;
  ctx.all_classes = &p.all_classes;
  if (p.metric == "code_sim_levenshtein") ctx.options.matcher = FuzzMatcher::kLevenshtein;
  return ctx;
}

std::string RegistryName(const std::string& metric) {
  return metric.rfind("code_sim_", 0) == 0 ? "code_sim_score" : metric;
}

TEST(LongBenchParity, EveryMetricMatchesThePythonScorersExactly) {
  KVB_REQUIRE_SHARED(news_path, "data/longbench/multi_news.jsonl");
  KVB_REQUIRE_SHARED(zh_path, "data/longbench/multifieldqa_zh.jsonl");
  const auto news = ReadRecords(news_path);
  const auto zh = ReadRecords(zh_path);
  Rng rng(20240611);
  std::vector<Pair> pairs;
  AddEnglishPairs(rng, news, pairs);
  AddClassificationAndNumberPairs(rng, news, pairs);
  AddCodePairs(rng, news, pairs);
  AddChinesePairs(rng, zh, pairs);
  AddRulerNeedleBabilongPairs(rng, news, pairs);
  const auto reference = RunReference(pairs, "longbench_parity");
  ASSERT_EQ(reference.size(), pairs.size());
  std::map<std::string, int> checked, mismatched, zero, nonzero;
  for (size_t i = 0; i < pairs.size(); ++i) {
    const Pair& p = pairs[i];
    const MetricInfo& metric = MetricRegistry::Get().Find(RegistryName(p.metric));
    std::string cpp;
    try {
      const bool ruler = p.metric.rfind("string_match", 0) == 0;  // RULER post-processes first
      const double score = metric.score ? metric.score(p.pred, p.gt, ContextFor(p))
                                        : metric.score_references(ruler ? PostprocessRulerPrediction(p.pred) : p.pred,
                                                                  p.refs, ContextFor(p));
      char buf[64];
      std::snprintf(buf, sizeof(buf), "%.17g", score);
      cpp = buf;
    } catch (const Error&) {
      cpp = "error";
    }
    std::string py = "error";
    if (reference[i].contains("score")) {
      char buf[64];
      std::snprintf(buf, sizeof(buf), "%.17g", std::strtod(reference[i]["score"].get<std::string>().c_str(), nullptr));
      py = buf;
    }
    ++checked[p.metric];
    ++(cpp == "0" ? zero : nonzero)[p.metric];
    if (cpp != py && ++mismatched[p.metric] <= 5) {
      ADD_FAILURE() << p.metric << " pair " << i << ": C++ " << cpp << " vs Python " << py << "\n  pred: "
                    << EncodeUtf8(p.pred).substr(0, 300) << "\n  gt:   " << EncodeUtf8(p.gt).substr(0, 300);
    }
  }
  for (const auto& [metric, n] : checked) {
    std::cout << metric << ": " << n << " pairs, " << nonzero[metric] << " scored above 0, "
              << mismatched[metric] << " mismatches\n";
    // The generators must produce both misses and hits, or the comparison proves little.
    EXPECT_GT(zero[metric], 0) << metric;
    EXPECT_GT(nonzero[metric], n / 20) << metric;
  }
}

TEST(JiebaParity, TokenStreamsOfEveryMultifieldqaZhRecord) {
  KVB_REQUIRE_SHARED(zh_path, "data/longbench/multifieldqa_zh.jsonl");
  const auto zh = ReadRecords(zh_path);
  std::vector<Pair> texts;
  for (const auto& r : zh) {
    texts.push_back({"jieba_cut", r.context, U"", {}});
    texts.push_back({"jieba_cut", r.input, U"", {}});
    for (const auto& a : r.answers) texts.push_back({"jieba_cut", a, U"", {}});
  }
  const auto reference = RunReference(texts, "jieba_parity");
  ASSERT_EQ(reference.size(), texts.size());
  const Jieba& jieba = Jieba::Default();
  int mismatches = 0;
  for (size_t i = 0; i < texts.size(); ++i) {
    const JiebaTokens tokens = jieba.Cut(texts[i].pred);
    std::vector<std::string> cpp;
    for (const auto& t : tokens) cpp.push_back(EncodeUtf8(t));
    const auto py = reference[i]["tokens"].get<std::vector<std::string>>();
    if (cpp == py) continue;
    size_t k = 0;
    while (k < cpp.size() && k < py.size() && cpp[k] == py[k]) ++k;
    if (++mismatches <= 5)
      ADD_FAILURE() << "text " << i << " differs at token " << k << ": C++ '" << (k < cpp.size() ? cpp[k] : "<end>")
                    << "' vs Python '" << (k < py.size() ? py[k] : "<end>") << "'";
  }
  EXPECT_EQ(mismatches, 0) << "of " << texts.size() << " texts";
}

}  // namespace
}  // namespace kvb::metrics
