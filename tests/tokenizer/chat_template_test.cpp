// Chat templates render exactly as transformers' apply_chat_template(tokenize=False).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "model/tokenizer/chat_template.h"
#include "tests/common/test_env.h"
#include "util/error.h"
#include "util/file.h"

namespace kvb {
namespace {

using nlohmann::json;

struct Case {
  std::optional<std::string> template_source;  // nullopt: the directory's own template
  ChatMessages messages;
  bool add_generation_prompt = true;
};

std::vector<ChatMessages> Conversations() {
  return {
      {{"user", "Hello!"}},
      {{"system", "You are a helpful assistant."}, {"user", "What is 2+2?"}},
      {{"system", "Be brief."}, {"user", "Hi"}, {"assistant", "Hello, how can I help?"},
       {"user", "Tell me a joke.\n"}},
      {{"user", "  padded question  "}, {"assistant", "<think>\nreasoning here\n</think>\n\nThe answer."},
       {"user", "And then?"}},
      {{"user", "unicode: 日本語 😀 \"quotes\" and 'apostrophes'"}},
  };
}

// A Llama-2-style template (written for this test) exercising slicing, raise_exception,
// loop.index0 arithmetic, string methods and namespace().
const char kLlama2StyleTemplate[] =
    "{% if messages[0]['role'] == 'system' %}{% set loop_messages = messages[1:] %}"
    "{% set system_message = messages[0]['content'] %}{% else %}{% set loop_messages = messages %}"
    "{% set system_message = false %}{% endif %}"
    "{% set ns = namespace(turns=0) %}"
    "{% for message in loop_messages %}"
    "{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}"
    "{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}"
    "{% endif %}"
    "{% if loop.index0 == 0 and system_message != false %}"
    "{% set content = '<<SYS>>\\n' + system_message + '\\n<</SYS>>\\n\\n' + message['content'] %}"
    "{% else %}{% set content = message['content'] %}{% endif %}"
    "{% if message['role'] == 'user' %}{% set ns.turns = ns.turns + 1 %}"
    "{{ bos_token + '[INST] ' + content.strip() + ' [/INST]' }}"
    "{% elif message['role'] == 'assistant' %}{{ ' ' + content.strip() + ' ' + eos_token }}{% endif %}"
    "{% endfor %}";

// Whitespace control, trim_blocks/lstrip_blocks, filters, tests and loop variables.
const char kFeatureTemplate[] =
    "{#- a comment -#}\n"
    "{%- for m in messages if m.role != 'system' %}\n"
    "  {% if loop.first %}[first of {{ loop.length }}]{% endif %}\n"
    "    {{- m.role | upper }}: {{ m.content | trim | length }} {{ m['content'][:5] | tojson }}\n"
    "  {%- if m.missing is not defined and m.content is string %} ok{% endif %}\n"
    "{% else %}empty\n"
    "{% endfor -%}\n"
    "{{ messages | length - 1 }} {{ (messages|map_is_not_used if false else messages)|length }}"
    "{{ ' ' ~ messages[-1].content.split(' ')[0] ~ '|' ~ 'a,b,,c'.split(',') | join('+') }}"
    "{% if add_generation_prompt %}\n<gen>{% endif %}";

void CheckAgainstTransformers(const std::string& relative, const std::vector<Case>& cases) {
  auto dir_opt = testing::SharedPath(relative);
  if (!dir_opt) GTEST_SKIP() << "needs ../shared/" << relative << "; not found, skipping";
  const auto dir = *dir_opt;
  json input = json::array();
  for (const Case& c : cases) {
    json messages = json::array();
    for (const auto& m : c.messages) messages.push_back({{"role", m.role}, {"content", m.content}});
    input.push_back({{"template", c.template_source ? json(*c.template_source) : json()},
                     {"messages", messages},
                     {"add_generation_prompt", c.add_generation_prompt}});
  }
  const auto tmp = testing::TempDir("chat_template_" + dir.filename().string());
  WriteFileAtomically(tmp / "cases.json", input.dump());
  const std::string script =
      (testing::SourceDir() / "tests/tokenizer/python/chat_template_reference.py").string();
  const auto result = testing::RunCommand(
      testing::ShellQuote(testing::PythonExe()) + " " + testing::ShellQuote(script) + " " +
      testing::ShellQuote(dir.string()) + " " + testing::ShellQuote((tmp / "cases.json").string()) +
      " " + testing::ShellQuote((tmp / "out.json").string()) + " 2>&1");
  ASSERT_EQ(result.exit_code, 0) << result.output;
  const json reference = json::parse(ReadFile(tmp / "out.json"));
  ASSERT_EQ(reference.size(), cases.size());

  const auto own = ChatTemplate::FromDirectory(dir);
  const json config = json::parse(ReadFile(dir / "tokenizer_config.json"));
  const auto token = [&](const char* key) {
    return config.contains(key) && config[key].is_string() ? config[key].get<std::string>() : "";
  };
  for (std::size_t i = 0; i < cases.size(); ++i) {
    SCOPED_TRACE("case " + std::to_string(i) + " of " + relative);
    const Case& c = cases[i];
    std::optional<ChatTemplate> custom;
    if (c.template_source) custom.emplace(*c.template_source, "test template", token("bos_token"), token("eos_token"));
    const ChatTemplate* t = c.template_source ? &*custom : own ? &*own : nullptr;
    ASSERT_NE(t, nullptr);
    if (reference[i]["ok"].get<bool>()) {
      EXPECT_EQ(t->Render(c.messages, c.add_generation_prompt), reference[i]["text"].get<std::string>());
    } else {
      EXPECT_THROW(t->Render(c.messages, c.add_generation_prompt), Error)
          << "transformers raised: " << reference[i]["error"];
    }
  }
}

std::vector<Case> OwnTemplateCases() {
  std::vector<Case> cases;
  for (const auto& conv : Conversations()) {
    cases.push_back({std::nullopt, conv, true});
    cases.push_back({std::nullopt, conv, false});
  }
  return cases;
}

TEST(ChatTemplateParity, Llama3) { CheckAgainstTransformers("tokenizers/llama3", OwnTemplateCases()); }
TEST(ChatTemplateParity, Qwen3) { CheckAgainstTransformers("tokenizers/qwen3", OwnTemplateCases()); }

TEST(ChatTemplateParity, WrittenTemplatesOnLlama2Tokens) {
  std::vector<Case> cases;
  for (const auto& conv : Conversations()) {
    cases.push_back({std::string(kLlama2StyleTemplate), conv, true});
    cases.push_back({std::string(kFeatureTemplate), conv, true});
    cases.push_back({std::string(kFeatureTemplate), conv, false});
  }
  // Roles that do not alternate: the template raises, in both implementations.
  cases.push_back({std::string(kLlama2StyleTemplate), {{"user", "a"}, {"user", "b"}}, true});
  CheckAgainstTransformers("tokenizers/llama2", cases);
}

TEST(ChatTemplate, Llama2DirectoryHasNoTemplate) {
  KVB_REQUIRE_SHARED(dir, "tokenizers/llama2");
  EXPECT_FALSE(ChatTemplate::FromDirectory(dir).has_value());
}

TEST(ChatTemplate, UnsupportedConstructsAreErrors) {
  EXPECT_THROW(ChatTemplate("{% macro f() %}x{% endmacro %}", "t", "", ""), Error);
  EXPECT_THROW(ChatTemplate("{{ messages | frobnicate }}", "t", "", "").Render({{"user", "x"}}), Error);
  EXPECT_THROW(ChatTemplate("{% if x %}never closed", "t", "", ""), Error);
  try {
    ChatTemplate("line one\n{{ raise_exception('no system role') }}", "my.json chat_template", "", "")
        .Render({{"user", "x"}});
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("no system role"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("my.json chat_template"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace kvb
