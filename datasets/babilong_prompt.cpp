#include "datasets/babilong_prompt.h"

#include "datasets/jsonl.h"
#include "datasets/prompt_builder.h"
#include "model/tokenizer/tokenizer.h"
#include "util/error.h"

namespace kvb {

namespace {

const Strings& LocationLabels() {
  static const Strings labels = {"bathroom", "bedroom", "garden", "hallway", "kitchen", "office"};
  return labels;
}

}  // namespace

BabilongPromptSet OwnBabilongPrompts() {
  // Written for kvbench; the label sets are the bAbI world's names (spec §4.4).
  BabilongPromptSet set;
  set.version = "kvbench-babilong-1";
  set.template_text =
      "{instruction}\n\nExamples:\n{examples}\n\n{post_prompt}\n\nStory:\n<context>\n{context}\n</context>\n\n"
      "Question: {question}";
  const std::string facts_hint =
      "A story is hidden inside unrelated text. Only the sentences about people, objects and places matter. ";
  set.tasks["qa1"] = {facts_hint + "Answer where a person is now: when a person moved several times, the last move counts.",
                      "Ann went to the porch. Tom walked to the attic. Ann went to the cellar. Where is Ann?\n"
                      "Answer: cellar",
                      "Reply with one word: the place. Write nothing else."};
  set.tasks["qa2"] = {facts_hint + "Answer where an object is: an object carried by a person is where that person is; "
                                   "a dropped object stays where it was dropped.",
                      "Ann took the cup. Ann went to the porch. Where is the cup?\nAnswer: porch",
                      "Reply with one word: the place. Write nothing else."};
  set.tasks["qa3"] = {facts_hint + "Answer where an object was just before it reached a given place.",
                      "Ann took the cup. Ann went to the porch. Ann went to the attic. Where was the cup before the "
                      "attic?\nAnswer: porch",
                      "Reply with one word: the place. Write nothing else."};
  set.tasks["qa4"] = {facts_hint + "The story says how places lie relative to each other; answer with a place.",
                      "The porch is east of the attic. The cellar is west of the attic. What is east of the attic?\n"
                      "Answer: porch",
                      "Reply with one word: the place. Write nothing else."};
  set.tasks["qa5"] = {facts_hint + "People pick up objects and hand them to each other; answer about who gave what to whom.",
                      "Ann took the cup. Ann handed the cup to Tom. Who received the cup?\nAnswer: Tom",
                      "Reply with one word: a person or an object. Write nothing else."};
  for (const char* task : {"qa1", "qa2", "qa3", "qa4"}) set.labels[task] = LocationLabels();
  set.labels["qa5"] = {"Bill", "Fred", "Jeff", "Mary", "apple", "football", "milk"};
  return set;
}

BabilongPromptSet LoadBabilongPrompts(const std::string& path) {
  const nlohmann::json root = ReadJsonFile(path);
  BabilongPromptSet set;
  set.version = TemplateSetVersion("babilong-prompts", root.dump());
  const auto meta = root.value("_meta", nlohmann::json::object());
  KVB_REQUIRE(meta.contains("template") && meta["template"].is_string(), path, ": _meta.template is missing");
  set.template_text = meta["template"].get<std::string>();
  KVB_REQUIRE(root.contains("prompts") && root["prompts"].is_object(), path, ": 'prompts' is missing");
  for (const auto& [task, prompt] : root["prompts"].items()) {
    for (const char* key : {"instruction", "examples", "post_prompt"})
      KVB_REQUIRE(prompt.contains(key) && prompt[key].is_string(), path, ": prompts.", task, ".", key,
                  " (a string) is missing");
    set.tasks[task] = {prompt["instruction"], prompt["examples"], prompt["post_prompt"]};
  }
  KVB_REQUIRE(root.contains("task_labels") && root["task_labels"].is_object(), path, ": 'task_labels' is missing");
  for (const auto& [task, labels] : root["task_labels"].items()) {
    for (const auto& label : labels) set.labels[task].push_back(label.get<std::string>());
  }
  return set;
}

std::string StripAscii(const std::string& text) {
  const char* space = " \t\n\r\f\v";
  const auto begin = text.find_first_not_of(space);
  if (begin == std::string::npos) return "";
  return text.substr(begin, text.find_last_not_of(space) - begin + 1);
}

void BuildBabilongSample(const BabilongPromptSet& prompts, const std::string& task, const std::string& input,
                         const std::string& question, const std::string& target,
                         const BabilongBuildOptions& options, const PromptContext& context, Sample& sample) {
  const auto prompt_it = prompts.tasks.find(task);
  KVB_REQUIRE(prompt_it != prompts.tasks.end(), "babilong: no prompt for task '", task, "' in ", prompts.version);
  const auto labels_it = prompts.labels.find(task);
  KVB_REQUIRE(labels_it != prompts.labels.end(), "babilong: no labels for task '", task, "' in ", prompts.version);
  const BabilongTaskPrompt& p = prompt_it->second;
  const std::string user = StripAscii(PyFormat(prompts.template_text,
                                               {{"instruction", p.instruction},
                                                {"examples", p.examples},
                                                {"post_prompt", p.post_prompt},
                                                {"context", StripAscii(input)},
                                                {"question", question}},
                                               "babilong template"));
  const bool chat = static_cast<bool>(context.chat);
  std::string prompt = WrapInChat(context, user);
  const TokenCount limit =
      options.max_length > 0 ? options.max_length : context.context_limit - options.max_new_tokens;
  prompt = MiddleTruncate(*context.tokenizer, prompt, limit, /*add_special_tokens=*/!chat,
                          /*skip_special_on_decode=*/false);
  sample.prompt_ids = context.tokenizer->Encode(prompt, /*add_special_tokens=*/!chat);
  sample.prompt = std::move(prompt);
  RequireFits(context, static_cast<TokenCount>(sample.prompt_ids.size()), options.max_new_tokens,
              StrCat("babilong ", sample.id));
  sample.scoring.metric = "babilong_qa";
  sample.scoring.references = {target};  // the scorer also reads `question` and `labels`
  sample.scoring.question = question;
  sample.scoring.labels = labels_it->second;
  sample.generation.max_new_tokens = options.max_new_tokens;
  sample.generation.min_new_tokens = 1;
  sample.metadata.template_set = prompts.version;
}

}  // namespace kvb
