#include "datasets/ruler_tasks.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <set>

#include "datasets/haystack.h"
#include "datasets/jsonl.h"
#include "datasets/prompt_builder.h"
#include "util/error.h"

namespace kvb {

// ---------------------------------------------------------------- templates

RulerTemplateSet OwnRulerTemplates() {
  // Written for kvbench. The structure (placeholders, answer prefix after the
  // assistant header, tokens to generate) follows RULER; the wording is our own.
  RulerTemplateSet set;
  set.version = "kvbench-ruler-1";
  set.tasks["niah"] = {
      "Some special magic {type_needle_v} are hidden in the text below. Memorize them: you will be asked "
      "about them afterwards.\n{context}\nWhich special magic {type_needle_v} for {query} appear in the text "
      "above?",
      " The special magic {type_needle_v} for {query} in the text above are",
      128,
      "A special magic {type_needle_v} is hidden in the text below. Memorize it: you will be asked about it "
      "afterwards.\n{context}\nWhich special magic {type_needle_v} for {query} appears in the text above?",
      " The special magic {type_needle_v} for {query} in the text above is"};
  set.tasks["variable_tracking"] = {
      "Follow the chains of variable assignments hidden in the text below.\n\n{context}\nQuestion: which "
      "variables end up holding the value {query} in the text above?",
      " Answer: Following the assignments above, {num_v} variables hold the value {query}, namely: ",
      30, std::nullopt, std::nullopt};
  set.tasks["common_words_extraction"] = {
      "Below is a numbered list of words in which some words occur more often than the rest. Remember "
      "which ones occur most.\n{context}\nQuestion: which 10 words occur most often in the list above?",
      " Answer: The 10 words that occur most often in the list are:", 120, std::nullopt, std::nullopt};
  set.tasks["freq_words_extraction"] = {
      "Read the coded text below and count how often each coded word occurs; the three most frequent "
      "ones matter. {context}\nQuestion: Give no explanation and ignore the dots '....'. Which three coded "
      "words occur most often in the text above?",
      " Answer: The three coded words that occur most often in the text above are:", 50, std::nullopt,
      std::nullopt};
  set.tasks["qa"] = {
      "Answer the question using the documents below. Reply with the answer only, nothing else.\n\n"
      "{context}\n\nAnswer the question using the documents above. Reply with the answer only, nothing "
      "else.\n\nQuestion: {query}",
      " Answer:", 32, std::nullopt, std::nullopt};
  set.needle_sentence = "Note: one of the special magic {type_needle_v} for {key} is {value}.";
  set.noise_sentence = "The river runs to the sea. The hills stay quiet. Night follows day. On we walk. "
                       "Home again at last.";
  set.document_format = "Passage {i}:\n{document}";
  return set;
}

RulerTemplateSet LoadRulerTemplates(const std::string& path) {
  const nlohmann::json root = ReadJsonFile(path);
  RulerTemplateSet set;
  set.version = TemplateSetVersion("ruler-templates", root.dump());
  KVB_REQUIRE(root.contains("tasks") && root["tasks"].is_object(), path, ": expected an object 'tasks'");
  for (const auto& [name, task] : root["tasks"].items()) {
    KVB_REQUIRE(task.is_object() && task.contains("template") && task["template"].is_string() &&
                    task.contains("answer_prefix") && task["answer_prefix"].is_string() &&
                    task.contains("tokens_to_generate") && task["tokens_to_generate"].is_number_integer(),
                path, ": tasks.", name, " needs template, answer_prefix (strings) and tokens_to_generate (int)");
    set.tasks[name] = {task["template"].get<std::string>(), task["answer_prefix"].get<std::string>(),
                       task["tokens_to_generate"].get<TokenCount>(), std::nullopt, std::nullopt};
  }
  for (const char* needed : {"niah", "variable_tracking", "common_words_extraction", "freq_words_extraction", "qa"}) {
    KVB_REQUIRE(set.tasks.count(needed), path, ": tasks.", needed, " is missing");
  }
  const nlohmann::json meta = root.value("_meta", nlohmann::json::object());
  auto meta_string = [&](const char* key) {
    KVB_REQUIRE(meta.contains(key) && meta[key].is_string(), path, ": _meta.", key, " (a string) is missing");
    return meta[key].get<std::string>();
  };
  // The file documents the needle sentence with a trailing note after two spaces.
  std::string needle = meta_string("needle_sentence");
  if (auto cut = needle.find("  ("); cut != std::string::npos) needle.resize(cut);
  set.needle_sentence = needle;
  set.noise_sentence = meta_string("noise_haystack_sentence");
  std::string document = meta_string("qa_document_format");
  if (auto cut = document.find("  ("); cut != std::string::npos) document.resize(cut);
  set.document_format = document;
  return set;
}

// ---------------------------------------------------------------- task table

const std::vector<RulerTaskConfig>& RulerTaskConfigs() {
  static const std::vector<RulerTaskConfig> configs = [] {
    std::vector<RulerTaskConfig> c;
    auto niah = [&](const char* name, const char* haystack, const char* key, const char* value, int k, int v,
                    int q) {
      RulerTaskConfig t;
      t.name = name;
      t.generator = "niah";
      t.haystack = haystack;
      t.key_type = key;
      t.value_type = value;
      t.num_keys = k;
      t.num_values = v;
      t.num_queries = q;
      c.push_back(t);
    };
    niah("niah_single_1", "noise", "words", "numbers", 1, 1, 1);
    niah("niah_single_2", "essay", "words", "numbers", 1, 1, 1);
    niah("niah_single_3", "essay", "words", "uuids", 1, 1, 1);
    niah("niah_multikey_1", "essay", "words", "numbers", 4, 1, 1);
    niah("niah_multikey_2", "needle", "words", "numbers", 1, 1, 1);
    niah("niah_multikey_3", "needle", "uuids", "uuids", 1, 1, 1);
    niah("niah_multivalue", "essay", "words", "numbers", 1, 4, 1);
    niah("niah_multiquery", "essay", "words", "numbers", 1, 1, 4);
    RulerTaskConfig vt;
    vt.name = "vt";
    vt.generator = "variable_tracking";
    vt.haystack = "noise";
    c.push_back(vt);
    RulerTaskConfig cwe;
    cwe.name = "cwe";
    cwe.generator = "common_words_extraction";
    c.push_back(cwe);
    RulerTaskConfig fwe;
    fwe.name = "fwe";
    fwe.generator = "freq_words_extraction";
    c.push_back(fwe);
    RulerTaskConfig qa1;
    qa1.name = "qa_1";
    qa1.generator = "qa";
    qa1.qa_source = "squad";
    c.push_back(qa1);
    RulerTaskConfig qa2 = qa1;
    qa2.name = "qa_2";
    qa2.qa_source = "hotpotqa";
    c.push_back(qa2);
    return c;
  }();
  return configs;
}

const RulerTaskConfig& FindRulerTask(const std::string& name) {
  for (const auto& task : RulerTaskConfigs())
    if (task.name == name) return task;
  throw ConfigError(StrCat("unknown RULER task '", name, "'"));
}

std::int64_t RulerIncrement(const RulerTaskConfig& task, TokenCount length) {
  if (task.generator == "niah") {
    if (task.haystack == "essay") return 500;
    return length < 4096 ? 5 : 25;
  }
  if (task.generator == "variable_tracking") return length < 4096 ? 5 : 10;
  if (task.generator == "freq_words_extraction") return std::max<TokenCount>(1, (length - 50) / 32);
  return 10;  // cwe words, qa documents
}

// ---------------------------------------------------------------- qa data

namespace {

void AddUnique(Strings& pool, const std::string& doc) { pool.push_back(doc); }

void SortUnique(Strings& pool) {
  std::sort(pool.begin(), pool.end());
  pool.erase(std::unique(pool.begin(), pool.end()), pool.end());
}

}  // namespace

void LoadSquad(const std::string& path, RulerResources& resources) {
  const nlohmann::json root = ReadJsonFile(path);
  KVB_REQUIRE(root.contains("data") && root["data"].is_array(), path, ": not a SQuAD file (no 'data' list)");
  for (const auto& article : root["data"]) {
    Strings paragraphs;
    for (const auto& paragraph : article.at("paragraphs")) paragraphs.push_back(paragraph.at("context"));
    for (const auto& paragraph : article.at("paragraphs")) {
      const std::string context = paragraph.at("context");
      AddUnique(resources.squad_docs, context);
      for (const auto& qa : paragraph.at("qas")) {
        if (qa.value("is_impossible", false)) continue;
        RulerResources::QaItem item;
        item.question = qa.at("question");
        for (const auto& answer : qa.at("answers")) item.answers.push_back(answer.at("text"));
        if (item.answers.empty()) continue;
        item.gold_docs = {context};
        for (const auto& other : paragraphs)
          if (other != context) item.same_topic_docs.push_back(other);
        resources.squad.push_back(std::move(item));
      }
    }
  }
  SortUnique(resources.squad_docs);
  KVB_REQUIRE(!resources.squad.empty(), path, ": no answerable SQuAD questions");
}

void LoadHotpotQa(const std::string& path, RulerResources& resources) {
  const nlohmann::json root = ReadJsonFile(path);
  KVB_REQUIRE(root.is_array(), path, ": not a HotpotQA file (expected a list of questions)");
  for (const auto& entry : root) {
    RulerResources::QaItem item;
    item.question = entry.at("question");
    item.answers = {entry.at("answer").get<std::string>()};
    for (const auto& paragraph : entry.at("context")) {
      std::string text = paragraph.at(0).get<std::string>() + "\n";
      for (const auto& sentence : paragraph.at(1)) text += sentence.get<std::string>();
      item.gold_docs.push_back(text);
      AddUnique(resources.hotpotqa_docs, text);
    }
    resources.hotpotqa.push_back(std::move(item));
  }
  SortUnique(resources.hotpotqa_docs);
  KVB_REQUIRE(!resources.hotpotqa.empty(), path, ": no HotpotQA questions");
}

// ---------------------------------------------------------------- generators

namespace {

std::string RandomNumber(Rng& rng) { return std::to_string(rng.Between(1000000, 9999999)); }

std::string RandomUuid(Rng& rng) {
  std::uint64_t hi = rng.Next(), lo = rng.Next();
  hi = (hi & 0xffffffffffff0fffULL) | 0x0000000000004000ULL;  // version 4
  lo = (lo & 0x3fffffffffffffffULL) | 0x8000000000000000ULL;  // RFC 4122 variant
  char buffer[40];
  std::snprintf(buffer, sizeof buffer, "%08llx-%04llx-%04llx-%04llx-%012llx",
                static_cast<unsigned long long>(hi >> 32), static_cast<unsigned long long>((hi >> 16) & 0xffff),
                static_cast<unsigned long long>(hi & 0xffff), static_cast<unsigned long long>(lo >> 48),
                static_cast<unsigned long long>(lo & 0xffffffffffffULL));
  return buffer;
}

std::string RandomKeyOrValue(const std::string& type, const RulerResources& resources, Rng& rng) {
  if (type == "numbers") return RandomNumber(rng);
  if (type == "uuids") return RandomUuid(rng);
  // words: "word-word" (RULER: wonderwords adjective-noun; here two list words).
  return rng.Pick(resources.words) + "-" + rng.Pick(resources.words);
}

std::string Singular(const std::string& plural) { return plural.substr(0, plural.size() - 1); }

// RULER's one-needle rewrite of its plural template (spec §2.3.1), in this order.
std::string RewriteSingle(std::string text) {
  auto replace_all = [&](const std::string& from, const std::string& to) {
    for (std::size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size()))
      text.replace(at, from.size(), to);
  };
  replace_all("Some", "A");
  replace_all("are all", "is");
  replace_all("are", "is");
  replace_all("answers", "answer");
  return text;
}

std::string JoinQuery(const Strings& keys) {
  if (keys.size() == 1) return keys[0];
  std::string out;
  for (std::size_t i = 0; i + 1 < keys.size(); ++i) out += keys[i] + ", ";
  return out + "and " + keys.back();
}

std::string Join(const Strings& items, const std::string& separator) {
  std::string out;
  for (std::size_t i = 0; i < items.size(); ++i) out += (i ? separator : "") + items[i];
  return out;
}

RulerDraft Fill(const RulerTaskTemplate& t, bool single, const FormatFields& fields, std::string_view task) {
  std::string body = t.template_text, prefix = t.answer_prefix;
  if (single) {
    body = t.single_template_text ? *t.single_template_text : RewriteSingle(body);
    prefix = t.single_answer_prefix ? *t.single_answer_prefix : RewriteSingle(prefix);
  }
  RulerDraft draft;
  draft.user_text = PyFormat(body, fields, StrCat("RULER template of ", task));
  draft.answer_prefix = PyFormat(prefix, fields, StrCat("RULER answer prefix of ", task));
  return draft;
}

// Depth percents RULER draws essay needle positions from: np.round(np.linspace(0, 100, 40)).
std::vector<int> EssayDepths() {
  std::vector<int> depths;
  for (int i = 0; i < 40; ++i) depths.push_back(static_cast<int>(std::nearbyint(i * (100.0 / 39.0))));
  return depths;
}

RulerDraft GenerateNiah(const RulerTaskConfig& task, const RulerTemplateSet& templates,
                        const RulerResources& resources, std::int64_t size, Rng& rng) {
  const int num_keys = std::max(task.num_keys, task.num_queries);
  Strings keys;
  std::set<std::string> used;
  while (static_cast<int>(keys.size()) < num_keys) {
    std::string key = RandomKeyOrValue(task.key_type, resources, rng);
    if (used.insert(key).second) keys.push_back(key);
  }
  std::vector<Strings> values(num_keys);
  Strings needles;
  for (int k = 0; k < num_keys; ++k) {
    for (int v = 0; v < task.num_values; ++v) {
      values[k].push_back(RandomKeyOrValue(task.value_type, resources, rng));
      needles.push_back(PyFormat(templates.needle_sentence,
                                 {{"type_needle_v", task.value_type}, {"key", keys[k]}, {"value", values[k].back()}},
                                 "RULER needle sentence"));
    }
  }
  rng.Shuffle(needles);

  std::string context;
  if (task.haystack == "noise" || task.haystack == "needle") {
    Strings lines;
    for (std::int64_t i = 0; i < size; ++i) {
      if (task.haystack == "noise") {
        lines.push_back(templates.noise_sentence);
      } else {  // distractor needles with fresh keys and values
        lines.push_back(PyFormat(templates.needle_sentence,
                                 {{"type_needle_v", task.value_type},
                                  {"key", RandomKeyOrValue(task.key_type, resources, rng)},
                                  {"value", RandomKeyOrValue(task.value_type, resources, rng)}},
                                 "RULER needle sentence"));
      }
    }
    // Insert each needle before a distinct haystack index, highest index first.
    std::vector<std::size_t> positions =
        rng.SampleIndices(static_cast<std::size_t>(std::max<std::int64_t>(size, needles.size())), needles.size());
    std::sort(positions.rbegin(), positions.rend());
    for (std::size_t i = 0; i < needles.size(); ++i) {
      const std::size_t at = std::min(positions[i], lines.size());
      lines.insert(lines.begin() + at, needles[i]);
    }
    context = Join(lines, "\n");
  } else {  // essay
    KVB_REQUIRE(!resources.essay_words.empty(), "RULER ", task.name, ": the essay haystack is empty");
    Strings words;
    for (std::int64_t i = 0; i < size; ++i) words.push_back(resources.essay_words[i % resources.essay_words.size()]);
    const Strings sentences = SplitSentences(Join(words, " "));
    std::vector<int> depths = EssayDepths();
    std::vector<std::size_t> picks = rng.SampleIndices(depths.size(), std::min(needles.size(), depths.size()));
    std::vector<std::size_t> insert_at;
    for (auto p : picks) insert_at.push_back(static_cast<std::size_t>(sentences.size() * depths[p] / 100));
    std::sort(insert_at.begin(), insert_at.end());
    Strings pieces;
    std::size_t previous = 0;
    for (std::size_t i = 0; i < insert_at.size(); ++i) {
      Strings group(sentences.begin() + previous, sentences.begin() + insert_at[i]);
      if (!group.empty()) pieces.push_back(Join(group, " "));
      pieces.push_back(needles[i]);
      previous = insert_at[i];
    }
    Strings rest(sentences.begin() + previous, sentences.end());
    if (!rest.empty()) pieces.push_back(Join(rest, " "));
    context = Join(pieces, " ");
  }

  const std::vector<std::size_t> query_keys = rng.SampleIndices(num_keys, task.num_queries);
  Strings queried, outputs;
  for (auto k : query_keys) {
    queried.push_back(keys[k]);
    outputs.insert(outputs.end(), values[k].begin(), values[k].end());
  }
  const bool single = task.num_queries * task.num_values == 1;
  RulerDraft draft = Fill(templates.tasks.at("niah"), single,
                          {{"type_needle_v", single ? Singular(task.value_type) : task.value_type},
                           {"context", context},
                           {"query", JoinQuery(queried)}},
                          task.name);
  draft.outputs = outputs;
  return draft;
}

std::string RandomUpper(Rng& rng, int letters) {
  std::string out;
  for (int i = 0; i < letters; ++i) out += static_cast<char>('A' + rng.Below(26));
  return out;
}

// One variable chain in a noise haystack; returns (context, names).
std::pair<std::string, Strings> VariableChainText(const RulerTemplateSet& templates, const RulerTaskConfig& task,
                                                  std::int64_t noise_copies, int name_letters,
                                                  const std::string& value, Rng& rng) {
  Strings names;
  std::set<std::string> used;
  while (static_cast<int>(names.size()) < task.num_hops + 1) {
    std::string name = RandomUpper(rng, name_letters);
    if (used.insert(name).second) names.push_back(name);
  }
  Strings chain = {StrCat("VAR ", names[0], " = ", value)};
  for (int j = 1; j <= task.num_hops; ++j) chain.push_back(StrCat("VAR ", names[j], " = VAR ", names[j - 1], " "));
  Strings lines(static_cast<std::size_t>(noise_copies), templates.noise_sentence);
  std::vector<std::size_t> positions = rng.SampleIndices(
      std::max<std::size_t>(lines.size(), chain.size()), chain.size());
  std::sort(positions.begin(), positions.end());
  for (std::size_t j = 0; j < chain.size(); ++j) {
    lines.insert(lines.begin() + std::min(positions[j] + j, lines.size()), chain[j]);
  }
  std::string context = Join(lines, "\n");
  for (std::size_t at = context.find(". \n"); at != std::string::npos; at = context.find(". \n", at))
    context.replace(at, 3, ".\n");
  return {context, names};
}

RulerDraft GenerateVariableTracking(const RulerTaskConfig& task, const RulerTemplateSet& templates,
                                    std::int64_t size, Rng& rng) {
  const RulerTaskTemplate& t = templates.tasks.at("variable_tracking");
  // One in-context example (3-letter names, a small haystack) before the question.
  const std::string example_value = std::to_string(rng.Between(10000, 99998));
  auto [example_context, example_names] = VariableChainText(templates, task, 5, 3, example_value, rng);
  const FormatFields example_fields = {
      {"context", example_context}, {"query", example_value}, {"num_v", std::to_string(task.num_hops + 1)}};
  const RulerDraft example = Fill(t, false, example_fields, task.name);
  const std::string example_block =
      example.user_text + example.answer_prefix + " " + Join(example_names, " ") + "\n";

  const std::string value = std::to_string(rng.Between(10000, 99998));
  auto [context, names] = VariableChainText(templates, task, size, 5, value, rng);
  RulerDraft draft = Fill(t, false, {{"context", context}, {"query", value}, {"num_v", std::to_string(task.num_hops + 1)}},
                          task.name);
  draft.user_text = example_block + draft.user_text;
  draft.outputs = names;
  return draft;
}

std::string NumberedList(const Strings& words) {
  Strings items;
  for (std::size_t i = 0; i < words.size(); ++i) items.push_back(StrCat(i + 1, ". ", words[i]));
  return Join(items, " ");
}

// Returns (numbered list, the num_common common words).
std::pair<std::string, Strings> CommonWordsList(const RulerResources& resources, std::int64_t num_words,
                                                int common_repeats, int uncommon_repeats, int num_common, Rng& rng) {
  KVB_REQUIRE(static_cast<std::size_t>(num_words) <= resources.words.size(), "RULER cwe: needs ", num_words,
              " distinct words but the word list has ", resources.words.size());
  Strings distinct;
  for (auto i : rng.SampleIndices(resources.words.size(), static_cast<std::size_t>(num_words)))
    distinct.push_back(resources.words[i]);
  Strings list;
  for (std::size_t i = 0; i < distinct.size(); ++i) {
    const int repeats = static_cast<int>(i) < num_common ? common_repeats : uncommon_repeats;
    for (int r = 0; r < repeats; ++r) list.push_back(distinct[i]);
  }
  rng.Shuffle(list);
  const Strings common(distinct.begin(), distinct.begin() + std::min<std::size_t>(num_common, distinct.size()));
  return {NumberedList(list), common};
}

RulerDraft GenerateCommonWords(const RulerTaskConfig& task, const RulerTemplateSet& templates,
                               const RulerResources& resources, std::int64_t size, TokenCount length, Rng& rng) {
  const RulerTaskTemplate& t = templates.tasks.at("common_words_extraction");
  const bool long_context = length >= 4096;
  auto [example_list, example_common] = CommonWordsList(resources, long_context ? 40 : 20, long_context ? 10 : 3,
                                                        long_context ? 3 : 1, task.num_common, rng);
  const RulerDraft example = Fill(t, false, {{"context", example_list}, {"num_cw", std::to_string(task.num_common)}},
                                  task.name);
  const std::string few_shot = example.user_text + example.answer_prefix + " " + NumberedList(example_common);

  const std::int64_t num_words = std::max<std::int64_t>(size, task.num_common);
  auto [list, common] = CommonWordsList(resources, num_words, long_context ? task.freq_common : 6,
                                        long_context ? task.freq_uncommon : 1, task.num_common, rng);
  RulerDraft draft = Fill(t, false, {{"context", list}, {"num_cw", std::to_string(task.num_common)}}, task.name);
  draft.user_text = few_shot + "\n" + draft.user_text;
  draft.outputs = common;
  return draft;
}

RulerDraft GenerateFreqWords(const RulerTaskConfig& task, const RulerTemplateSet& templates, std::int64_t num_words,
                             TokenCount length, Rng& rng) {
  const RulerTaskTemplate& t = templates.tasks.at("freq_words_extraction");
  const TokenCount budget = length - t.tokens_to_generate;
  const std::int64_t vocab_size = std::max<TokenCount>(4, budget / 50);
  std::set<std::string> seen;
  Strings vocab;
  while (static_cast<std::int64_t>(vocab.size()) < vocab_size) {
    std::string word;
    for (int i = 0; i < 6; ++i) word += static_cast<char>('a' + rng.Below(26));
    if (seen.insert(word).second) vocab.push_back(word);
  }
  std::sort(vocab.begin(), vocab.end());
  rng.Shuffle(vocab);
  vocab[0] = "...";  // noise word
  // Zipf counts: int(num_words * k^-alpha / zeta(alpha)).
  double zeta = 0;
  for (int k = 1; k < 100000; ++k) zeta += std::pow(k, -task.alpha);
  Strings words;
  for (std::int64_t k = 1; k <= vocab_size; ++k) {
    const auto count = static_cast<std::int64_t>(static_cast<double>(num_words) * std::pow(k, -task.alpha) / zeta);
    for (std::int64_t c = 0; c < count; ++c) words.push_back(vocab[k - 1]);
  }
  rng.Shuffle(words);
  RulerDraft draft = Fill(t, false, {{"context", Join(words, " ")}}, task.name);
  draft.outputs = Strings(vocab.begin() + 1, vocab.begin() + 4);
  return draft;
}

RulerDraft GenerateQa(const RulerTaskConfig& task, const RulerTemplateSet& templates, const RulerResources& resources,
                      std::int64_t num_docs, std::size_t sample_index, Rng& rng) {
  const bool squad = task.qa_source == "squad";
  const auto& items = squad ? resources.squad : resources.hotpotqa;
  const Strings& pool = squad ? resources.squad_docs : resources.hotpotqa_docs;
  KVB_REQUIRE(!items.empty(), "RULER ", task.name, ": no ", task.qa_source, " questions loaded");
  const auto& item = items[sample_index % items.size()];
  Strings docs = item.gold_docs;
  const std::int64_t wanted = std::max<std::int64_t>(num_docs, docs.size());
  const std::int64_t extra = wanted - static_cast<std::int64_t>(docs.size());
  if (extra > 0) {
    if (squad && extra <= static_cast<std::int64_t>(item.same_topic_docs.size())) {
      for (auto i : rng.SampleIndices(item.same_topic_docs.size(), extra)) docs.push_back(item.same_topic_docs[i]);
    } else {
      docs.insert(docs.end(), item.same_topic_docs.begin(), item.same_topic_docs.end());
      std::set<std::string> taken(docs.begin(), docs.end());
      Strings others;
      for (const auto& d : pool)
        if (!taken.count(d)) others.push_back(d);
      // Repeat the pool when more documents are wanted than it holds.
      while (static_cast<std::int64_t>(docs.size()) < wanted && !others.empty()) {
        const auto need = std::min<std::size_t>(wanted - docs.size(), others.size());
        for (auto i : rng.SampleIndices(others.size(), need)) docs.push_back(others[i]);
      }
    }
  }
  rng.Shuffle(docs);
  Strings rendered;
  for (std::size_t i = 0; i < docs.size(); ++i) {
    rendered.push_back(PyFormat(templates.document_format, {{"i", std::to_string(i + 1)}, {"document", docs[i]}},
                                "RULER document format"));
  }
  RulerDraft draft =
      Fill(templates.tasks.at("qa"), false, {{"context", Join(rendered, "\n\n")}, {"query", item.question}}, task.name);
  draft.outputs = item.answers;
  return draft;
}

}  // namespace

RulerDraft GenerateRulerDraft(const RulerTaskConfig& task, const RulerTemplateSet& templates,
                              const RulerResources& resources, std::int64_t size, TokenCount length,
                              std::size_t sample_index, Rng& rng) {
  if (task.generator == "niah") return GenerateNiah(task, templates, resources, size, rng);
  if (task.generator == "variable_tracking") return GenerateVariableTracking(task, templates, size, rng);
  if (task.generator == "common_words_extraction")
    return GenerateCommonWords(task, templates, resources, size, length, rng);
  if (task.generator == "freq_words_extraction") return GenerateFreqWords(task, templates, size, length, rng);
  return GenerateQa(task, templates, resources, size, sample_index, rng);
}

}  // namespace kvb
