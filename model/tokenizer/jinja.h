// A small Jinja2 interpreter: the subset that Hugging Face chat templates use
// (for/if/elif/else/set, namespace(), loop variables, filters such as trim/length/
// tojson, tests such as `is defined`, Python string methods, raise_exception, slicing),
// with the environment transformers uses: trim_blocks and lstrip_blocks on, loop
// controls (break/continue) on. Anything outside the subset is an error at parse or
// render time, never silently dropped.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace kvb::jinja {

struct Value;
using ValueList = std::vector<Value>;
using ValueDict = std::vector<std::pair<std::string, Value>>;  // keeps insertion order

struct Value {
  enum class Kind { kUndefined, kNone, kBool, kInt, kFloat, kString, kList, kDict };
  Kind kind = Kind::kUndefined;
  bool boolean = false;
  std::int64_t integer = 0;
  double real = 0;
  std::string string;
  std::shared_ptr<ValueList> list;  // shared: Jinja lists and dicts are references
  std::shared_ptr<ValueDict> dict;

  static Value None();
  static Value Bool(bool b);
  static Value Int(std::int64_t i);
  static Value Float(double f);
  static Value String(std::string s);
  static Value List(ValueList items = {});
  static Value Dict(ValueDict items = {});

  // Dict lookup; nullptr when missing or not a dict.
  const Value* Find(const std::string& key) const;
  void Set(const std::string& key, Value value);  // dicts only
};

struct Node;

class Template {
 public:
  // `origin` names the template in error messages ("<dir>/tokenizer_config.json chat_template").
  Template(const std::string& source, std::string origin);
  ~Template();
  Template(Template&&) noexcept;
  Template& operator=(Template&&) noexcept;

  // Renders with the variables of `context` (a dict). Throws kvb::Error on
  // raise_exception() or anything the interpreter does not support.
  std::string Render(const Value& context) const;

 private:
  std::string origin_;
  std::vector<std::unique_ptr<Node>> body_;
};

}  // namespace kvb::jinja
