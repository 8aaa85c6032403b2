// RULER's 13 synthetic tasks (spec §2), generated here with kvbench's deterministic
// random source: the same rules as NVIDIA/RULER's Python generators, different
// random draws, word lists and sentence splitter, so samples are "RULER-equivalent,
// not identical" (spec §2.2 explains why exact reproduction needs Python's RNG).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "datasets/dataset.h"
#include "datasets/random.h"

namespace kvb {

struct RulerTaskTemplate {
  std::string template_text;  // placeholders: {context} {query} {type_needle_v} {num_v} {num_cw}
  std::string answer_prefix;  // goes after the chat wrapper's assistant header
  TokenCount tokens_to_generate = 0;
  // Own templates spell out the one-needle form; RULER's file is rewritten by rule
  // (Some->A, are all->is, are->is, answers->answer) when this is empty.
  std::optional<std::string> single_template_text;
  std::optional<std::string> single_answer_prefix;
};

struct RulerTemplateSet {
  std::string version;  // "kvbench-ruler-1" or "ruler-templates:<hash>"
  // Keyed by RULER's generator names: niah, variable_tracking,
  // common_words_extraction, freq_words_extraction, qa.
  std::map<std::string, RulerTaskTemplate, std::less<>> tasks;
  std::string needle_sentence;  // {type_needle_v} {key} {value}
  std::string noise_sentence;
  std::string document_format;  // {i} {document}
};

// kvbench's own templates (written for kvbench; same placeholders as RULER's).
RulerTemplateSet OwnRulerTemplates();
// A file in the layout of the spec's ruler-templates.json (RULER's constants.py
// templates): `tasks.{name}.{template,answer_prefix,tokens_to_generate}` and
// `_meta.{needle_sentence,noise_haystack_sentence,qa_document_format}`.
RulerTemplateSet LoadRulerTemplates(const std::string& path);

// The 13 task configurations of RULER's synthetic.yaml (numbers, not prose).
struct RulerTaskConfig {
  std::string name;
  std::string generator;  // niah | variable_tracking | common_words_extraction | freq_words_extraction | qa
  std::string haystack;   // niah/vt: noise | essay | needle
  std::string key_type = "words", value_type = "numbers";  // niah: words | numbers | uuids
  int num_keys = 1, num_values = 1, num_queries = 1;        // niah
  int num_chains = 1, num_hops = 4;                         // vt
  int freq_common = 30, freq_uncommon = 3, num_common = 10; // cwe
  double alpha = 2.0;                                       // fwe
  std::string qa_source;  // squad | hotpotqa
};
const std::vector<RulerTaskConfig>& RulerTaskConfigs();
const RulerTaskConfig& FindRulerTask(const std::string& name);

// Everything outside the templates a generator draws from.
struct RulerResources {
  Strings essay_words;   // the essay haystack, whitespace-split
  Strings words;         // lower-case word list (keys, cwe words)
  struct QaItem {
    std::string question;
    Strings answers;
    Strings gold_docs;        // first in the document list
    Strings same_topic_docs;  // SQuAD: the other paragraphs of the article
  };
  std::vector<QaItem> squad, hotpotqa;
  Strings squad_docs, hotpotqa_docs;  // sorted unique document pools
};

// Reads SQuAD v2.0 dev (answerable questions) / HotpotQA dev distractor JSON.
void LoadSquad(const std::string& path, RulerResources& resources);
void LoadHotpotQa(const std::string& path, RulerResources& resources);

// One generated task input before the chat wrapper.
struct RulerDraft {
  std::string user_text;      // few-shot block + task template filled in
  std::string answer_prefix;  // filled in; appended after the wrapper
  Strings outputs;            // references
};

// Builds a draft at haystack size `size` (noise sentences, essay words, words, docs,
// ...) for target `length`. `sample_index` picks the qa question.
RulerDraft GenerateRulerDraft(const RulerTaskConfig& task, const RulerTemplateSet& templates,
                              const RulerResources& resources, std::int64_t size, TokenCount length,
                              std::size_t sample_index, Rng& rng);

// RULER's search step for the haystack size (`incremental`, spec §2.2).
std::int64_t RulerIncrement(const RulerTaskConfig& task, TokenCount length);

}  // namespace kvb
