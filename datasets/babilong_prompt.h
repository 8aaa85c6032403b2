// BABILong qa1-qa5 prompt assembly (spec §4.2) shared by the file-based dataset
// (`babilong`) and the generated one (`babilong_generated`).
#pragma once

#include <map>
#include <string>

#include "datasets/dataset.h"

namespace kvb {

struct BabilongTaskPrompt {
  std::string instruction, examples, post_prompt;
};

struct BabilongPromptSet {
  std::string version;   // "kvbench-babilong-1" or "babilong-prompts:<hash>"
  std::string template_text;  // {instruction} {examples} {post_prompt} {context} {question}
  std::map<std::string, BabilongTaskPrompt, std::less<>> tasks;  // qa1..qa5
  std::map<std::string, Strings, std::less<>> labels;            // the scorer's label sets
};

// kvbench's own prompts (written for kvbench) with the bAbI world's label sets.
BabilongPromptSet OwnBabilongPrompts();
// The layout of the spec's babilong-prompts.json: `prompts.{qaN}.{instruction,
// examples,post_prompt}`, `task_labels.{qaN}`, `_meta.template`.
BabilongPromptSet LoadBabilongPrompts(const std::string& path);

struct BabilongBuildOptions {
  TokenCount max_length = 0;      // middle truncation limit; 0 = context - max_new_tokens
  TokenCount max_new_tokens = 15; // HeadKV (upstream BABILong: 20)
};

// HeadKV's assembly: template filled (context = input.strip()), stripped, sent as one
// user turn through the chat template and encoded without special tokens (with
// them when the model has no chat template); over-long prompts are middle-truncated
// decoding without skipping special tokens. Fills prompt, ids, scoring, generation.
void BuildBabilongSample(const BabilongPromptSet& prompts, const std::string& task, const std::string& input,
                         const std::string& question, const std::string& target,
                         const BabilongBuildOptions& options, const PromptContext& context, Sample& sample);

// Python str.strip() on ASCII whitespace (what the BABILong texts contain).
std::string StripAscii(const std::string& text);

}  // namespace kvb
