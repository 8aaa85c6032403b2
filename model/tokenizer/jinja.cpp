#include "model/tokenizer/jinja.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <functional>
#include <map>
#include <optional>

#include "util/error.h"
#include "util/json_string.h"
#include "util/utf8.h"

namespace kvb::jinja {

Value Value::None() { Value v; v.kind = Kind::kNone; return v; }
Value Value::Bool(bool b) { Value v; v.kind = Kind::kBool; v.boolean = b; return v; }
Value Value::Int(std::int64_t i) { Value v; v.kind = Kind::kInt; v.integer = i; return v; }
Value Value::Float(double f) { Value v; v.kind = Kind::kFloat; v.real = f; return v; }
Value Value::String(std::string s) { Value v; v.kind = Kind::kString; v.string = std::move(s); return v; }
Value Value::List(ValueList items) {
  Value v; v.kind = Kind::kList; v.list = std::make_shared<ValueList>(std::move(items)); return v;
}
Value Value::Dict(ValueDict items) {
  Value v; v.kind = Kind::kDict; v.dict = std::make_shared<ValueDict>(std::move(items)); return v;
}
const Value* Value::Find(const std::string& key) const {
  if (kind != Kind::kDict) return nullptr;
  for (const auto& [k, v] : *dict)
    if (k == key) return &v;
  return nullptr;
}
void Value::Set(const std::string& key, Value value) {
  for (auto& [k, v] : *dict) {
    if (k == key) { v = std::move(value); return; }
  }
  dict->emplace_back(key, std::move(value));
}

namespace {

using Kind = Value::Kind;

// ------------------------------------------------------------------ lexing

enum class Tok { kName, kString, kInt, kFloat, kOp, kEnd };
struct Token {
  Tok type;
  std::string text;
};

struct Chunk {  // the template split into text and tags
  enum Type { kText, kOutput, kStatement } type;
  std::string text;
  int line;
};

// Splits the source into text / {{ }} / {% %} chunks and applies whitespace control
// ('-' markers, trim_blocks, lstrip_blocks), dropping comments.
std::vector<Chunk> SplitChunks(const std::string& src, const std::string& origin) {
  std::vector<Chunk> chunks;
  std::size_t pos = 0;
  bool trim_next_newline = false, strip_next = false;
  int line = 1;
  const auto line_of = [&](std::size_t p) {
    return line + static_cast<int>(std::count(src.begin() + static_cast<long>(pos), src.begin() + static_cast<long>(p), '\n'));
  };
  while (pos <= src.size()) {
    std::size_t open = src.find('{', pos);
    while (open != std::string::npos && open + 1 < src.size() && src[open + 1] != '{' &&
           src[open + 1] != '%' && src[open + 1] != '#')
      open = src.find('{', open + 1);
    if (open != std::string::npos && open + 1 >= src.size()) open = std::string::npos;
    std::string text = src.substr(pos, (open == std::string::npos ? src.size() : open) - pos);
    // Whether `text` begins a source line (Jinja's line_starting, for lstrip_blocks).
    bool line_starting = pos == 0;
    if (strip_next) {
      const std::size_t keep = text.find_first_not_of(" \t\r\n");
      line_starting = text.substr(0, keep == std::string::npos ? text.size() : keep).find('\n') != std::string::npos;
      text = keep == std::string::npos ? "" : text.substr(keep);
    } else if (trim_next_newline) {
      if (text.compare(0, 1, "\n") == 0) text.erase(0, 1), line_starting = true;
      else if (text.compare(0, 2, "\r\n") == 0) text.erase(0, 2), line_starting = true;
    }
    if (open == std::string::npos) {
      if (!text.empty()) chunks.push_back({Chunk::kText, text, line});
      break;
    }
    const char kind = src[open + 1];
    const bool minus_left = open + 2 < src.size() && src[open + 2] == '-';
    const bool plus_left = open + 2 < src.size() && src[open + 2] == '+';
    if (minus_left) {
      const std::size_t keep = text.find_last_not_of(" \t\r\n");
      text = keep == std::string::npos ? "" : text.substr(0, keep + 1);
    } else if (kind != '{' && !plus_left) {
      // lstrip_blocks: spaces and tabs between a line start and a block tag go.
      const std::size_t nl = text.find_last_of('\n');
      const std::size_t line_start = nl == std::string::npos ? 0 : nl + 1;
      if ((nl != std::string::npos || line_starting) &&
          text.find_first_not_of(" \t", line_start) == std::string::npos) {
        text.erase(line_start);
      }
    }
    if (!text.empty()) chunks.push_back({Chunk::kText, text, line});
    const char* close = kind == '{' ? "}}" : kind == '%' ? "%}" : "#}";
    const std::size_t end = src.find(close, open + 2);
    KVB_REQUIRE(end != std::string::npos, origin, ": line ", line_of(open), ": unclosed '{",
                std::string(1, kind), "'");
    const bool minus_right = end > open + 2 && src[end - 1] == '-';
    std::size_t inner_begin = open + 2 + ((minus_left || plus_left) ? 1 : 0);
    std::size_t inner_end = end - (minus_right ? 1 : 0);
    const int tag_line = line_of(open);
    if (kind != '#') {
      chunks.push_back({kind == '{' ? Chunk::kOutput : Chunk::kStatement,
                        src.substr(inner_begin, inner_end > inner_begin ? inner_end - inner_begin : 0),
                        tag_line});
    }
    strip_next = minus_right;
    trim_next_newline = kind != '{';  // trim_blocks
    line = line_of(end + 2);
    pos = end + 2;
  }
  return chunks;
}

std::vector<Token> Lex(const std::string& s, const std::string& where) {
  std::vector<Token> out;
  std::size_t i = 0;
  while (i < s.size()) {
    const char c = s[i];
    if (std::isspace(static_cast<unsigned char>(c))) { ++i; continue; }
    if (std::isalpha(static_cast<unsigned char>(c)) || c == '_') {
      std::size_t j = i;
      while (j < s.size() && (std::isalnum(static_cast<unsigned char>(s[j])) || s[j] == '_')) ++j;
      out.push_back({Tok::kName, s.substr(i, j - i)});
      i = j;
    } else if (std::isdigit(static_cast<unsigned char>(c))) {
      std::size_t j = i;
      bool real = false;
      while (j < s.size() && (std::isdigit(static_cast<unsigned char>(s[j])) || s[j] == '_' ||
                              (s[j] == '.' && !real && j + 1 < s.size() && std::isdigit(static_cast<unsigned char>(s[j + 1]))))) {
        if (s[j] == '.') real = true;
        ++j;
      }
      std::string num = s.substr(i, j - i);
      num.erase(std::remove(num.begin(), num.end(), '_'), num.end());
      out.push_back({real ? Tok::kFloat : Tok::kInt, num});
      i = j;
    } else if (c == '\'' || c == '"') {
      std::string str;
      std::size_t j = i + 1;
      for (; j < s.size() && s[j] != c; ++j) {
        if (s[j] == '\\' && j + 1 < s.size()) {
          const char e = s[++j];
          switch (e) {
            case 'n': str += '\n'; break;
            case 't': str += '\t'; break;
            case 'r': str += '\r'; break;
            case '\\': str += '\\'; break;
            case '\'': str += '\''; break;
            case '"': str += '"'; break;
            case '0': str += '\0'; break;
            case 'u': {
              KVB_REQUIRE(j + 4 < s.size(), where, ": bad \\u escape");
              AppendUtf8(static_cast<char32_t>(std::stoul(s.substr(j + 1, 4), nullptr, 16)), str);
              j += 4;
              break;
            }
            default: str += '\\'; str += e;
          }
        } else {
          str += s[j];
        }
      }
      KVB_REQUIRE(j < s.size(), where, ": unterminated string literal");
      out.push_back({Tok::kString, str});
      i = j + 1;
    } else {
      static const char* kTwo[] = {"==", "!=", "<=", ">=", "//", "**"};
      bool two = false;
      for (const char* op : kTwo) {
        if (s.compare(i, 2, op) == 0) { out.push_back({Tok::kOp, op}); i += 2; two = true; break; }
      }
      if (two) continue;
      KVB_REQUIRE(std::string("+-*/%~|.,:()[]{}=<>").find(c) != std::string::npos, where,
                  ": unexpected character '", std::string(1, c), "'");
      out.push_back({Tok::kOp, std::string(1, c)});
      ++i;
    }
  }
  out.push_back({Tok::kEnd, ""});
  return out;
}

// ------------------------------------------------------------------ AST

struct Expr;
using ExprPtr = std::unique_ptr<Expr>;
struct Expr {
  enum class Type { kLiteral, kName, kList, kDict, kAttr, kIndex, kSlice, kCall, kFilter, kTest,
                    kUnary, kBinary, kAnd, kOr, kNot, kCond } type;
  Value literal;
  std::string name;  // name / attr / op / filter / test
  std::vector<ExprPtr> args;
  std::vector<std::pair<std::string, ExprPtr>> kwargs;
  bool negated = false;  // `is not`, `not in`
};

}  // namespace

struct Node {
  enum class Type { kText, kOutput, kIf, kFor, kSet, kBreak, kContinue, kBlock } type;
  std::string text;
  ExprPtr expr;                                   // output / set value / for iterable
  std::vector<std::pair<ExprPtr, std::vector<std::unique_ptr<Node>>>> branches;  // if
  std::vector<std::unique_ptr<Node>> body, else_body;
  std::vector<std::string> targets;               // for loop vars / set target
  std::string attr;                               // set ns.attr
  ExprPtr filter;                                 // for ... if cond
  int line = 0;
};

namespace {

using NodeList = std::vector<std::unique_ptr<Node>>;

class ExprParser {
 public:
  ExprParser(std::vector<Token> tokens, std::string where)
      : t_(std::move(tokens)), where_(std::move(where)) {}

  bool AtEnd() const { return t_[i_].type == Tok::kEnd; }
  const Token& Peek(std::size_t k = 0) const { return t_[std::min(i_ + k, t_.size() - 1)]; }
  bool IsOp(const char* op, std::size_t k = 0) const { return Peek(k).type == Tok::kOp && Peek(k).text == op; }
  bool IsName(const char* n, std::size_t k = 0) const { return Peek(k).type == Tok::kName && Peek(k).text == n; }
  void Expect(const char* op) {
    KVB_REQUIRE(IsOp(op), where_, ": expected '", op, "', got '", Peek().text, "'");
    ++i_;
  }
  std::string Name() {
    KVB_REQUIRE(Peek().type == Tok::kName, where_, ": expected a name, got '", Peek().text, "'");
    return t_[i_++].text;
  }
  bool AcceptName(const char* n) { if (IsName(n)) { ++i_; return true; } return false; }
  bool AcceptOp(const char* op) { if (IsOp(op)) { ++i_; return true; } return false; }
  void ExpectEnd() { KVB_REQUIRE(AtEnd(), where_, ": unexpected '", Peek().text, "'"); }

  ExprPtr Expression() {
    ExprPtr e = Or();
    if (AcceptName("if")) {
      auto c = Make(Expr::Type::kCond);
      c->args.push_back(std::move(e));
      c->args.push_back(Or());
      if (AcceptName("else")) c->args.push_back(Expression());
      return c;
    }
    return e;
  }
  // Without the conditional (for `for x in y if cond`).
  ExprPtr OrExpression() { return Or(); }

 private:
  static ExprPtr Make(Expr::Type t) { auto e = std::make_unique<Expr>(); e->type = t; return e; }

  ExprPtr Or() {
    ExprPtr l = And();
    while (AcceptName("or")) {
      auto e = Make(Expr::Type::kOr);
      e->args.push_back(std::move(l));
      e->args.push_back(And());
      l = std::move(e);
    }
    return l;
  }
  ExprPtr And() {
    ExprPtr l = Not();
    while (AcceptName("and")) {
      auto e = Make(Expr::Type::kAnd);
      e->args.push_back(std::move(l));
      e->args.push_back(Not());
      l = std::move(e);
    }
    return l;
  }
  ExprPtr Not() {
    if (AcceptName("not")) {
      auto e = Make(Expr::Type::kNot);
      e->args.push_back(Not());
      return e;
    }
    return Compare();
  }
  ExprPtr Compare() {
    ExprPtr l = Concat();
    while (true) {
      std::string op;
      bool negated = false;
      if (Peek().type == Tok::kOp && (Peek().text == "==" || Peek().text == "!=" || Peek().text == "<" ||
                                      Peek().text == ">" || Peek().text == "<=" || Peek().text == ">=")) {
        op = t_[i_++].text;
      } else if (IsName("in")) {
        ++i_, op = "in";
      } else if (IsName("not") && IsName("in", 1)) {
        i_ += 2, op = "in", negated = true;
      } else if (IsName("is")) {
        ++i_;
        auto e = Make(Expr::Type::kTest);
        e->negated = AcceptName("not");
        e->name = Name();
        e->args.push_back(std::move(l));
        if (AcceptOp("(")) {
          while (!AcceptOp(")")) { e->args.push_back(Expression()); AcceptOp(","); }
        } else if (Peek().type == Tok::kString || Peek().type == Tok::kInt || IsName("none") ||
                   IsName("None") || IsName("true") || IsName("false")) {
          e->args.push_back(Primary());
        }
        l = std::move(e);
        continue;
      } else {
        return l;
      }
      auto e = Make(Expr::Type::kBinary);
      e->name = op;
      e->negated = negated;
      e->args.push_back(std::move(l));
      e->args.push_back(Concat());
      l = std::move(e);
    }
  }
  ExprPtr Binary(ExprPtr (ExprParser::*next)(), std::initializer_list<const char*> ops) {
    ExprPtr l = (this->*next)();
    while (true) {
      const char* found = nullptr;
      for (const char* op : ops) if (IsOp(op)) found = op;
      if (!found) return l;
      ++i_;
      auto e = Make(Expr::Type::kBinary);
      e->name = found;
      e->args.push_back(std::move(l));
      e->args.push_back((this->*next)());
      l = std::move(e);
    }
  }
  ExprPtr Concat() { return Binary(&ExprParser::Add, {"~"}); }
  ExprPtr Add() { return Binary(&ExprParser::Mul, {"+", "-"}); }
  ExprPtr Mul() { return Binary(&ExprParser::Unary, {"*", "/", "//", "%"}); }
  ExprPtr Unary() {
    if (IsOp("-") || IsOp("+")) {
      auto e = Make(Expr::Type::kUnary);
      e->name = t_[i_++].text;
      e->args.push_back(Unary());
      return Filters(std::move(e));
    }
    return Filters(Postfix(Primary()));
  }
  ExprPtr Filters(ExprPtr e) {
    while (AcceptOp("|")) {
      auto f = Make(Expr::Type::kFilter);
      f->name = Name();
      f->args.push_back(std::move(e));
      if (AcceptOp("(")) CallArgs(*f);
      e = Postfix(std::move(f));
    }
    return e;
  }
  void CallArgs(Expr& call) {
    while (!AcceptOp(")")) {
      if (Peek().type == Tok::kName && IsOp("=", 1)) {
        std::string key = Name();
        Expect("=");
        call.kwargs.emplace_back(key, Expression());
      } else {
        call.args.push_back(Expression());
      }
      if (!AcceptOp(",")) { Expect(")"); break; }
    }
  }
  ExprPtr Postfix(ExprPtr e) {
    while (true) {
      if (AcceptOp(".")) {
        auto a = Make(Expr::Type::kAttr);
        a->name = Name();
        a->args.push_back(std::move(e));
        e = std::move(a);
      } else if (AcceptOp("[")) {
        ExprPtr parts[3];
        bool slice = false;
        int k = 0;
        while (!IsOp("]")) {
          if (AcceptOp(":")) { slice = true; ++k; KVB_REQUIRE(k < 3, where_, ": bad slice"); continue; }
          parts[k] = Expression();
        }
        Expect("]");
        auto s = Make(slice ? Expr::Type::kSlice : Expr::Type::kIndex);
        s->args.push_back(std::move(e));
        for (int j = 0; j < (slice ? 3 : 1); ++j) s->args.push_back(std::move(parts[j]));
        e = std::move(s);
      } else if (AcceptOp("(")) {
        auto c = Make(Expr::Type::kCall);
        c->args.push_back(std::move(e));
        CallArgs(*c);
        e = std::move(c);
      } else {
        return e;
      }
    }
  }
  ExprPtr Primary() {
    const Token tok = Peek();
    ++i_;
    auto lit = [&](Value v) { auto e = Make(Expr::Type::kLiteral); e->literal = std::move(v); return e; };
    switch (tok.type) {
      case Tok::kString: {
        std::string s = tok.text;
        while (Peek().type == Tok::kString) s += t_[i_++].text;  // adjacent literals join
        return lit(Value::String(s));
      }
      case Tok::kInt: return lit(Value::Int(std::stoll(tok.text)));
      case Tok::kFloat: return lit(Value::Float(std::stod(tok.text)));
      case Tok::kName:
        if (tok.text == "true" || tok.text == "True") return lit(Value::Bool(true));
        if (tok.text == "false" || tok.text == "False") return lit(Value::Bool(false));
        if (tok.text == "none" || tok.text == "None") return lit(Value::None());
        {
          auto e = Make(Expr::Type::kName);
          e->name = tok.text;
          return e;
        }
      case Tok::kOp:
        if (tok.text == "(") {
          ExprPtr e = Expression();
          if (IsOp(",")) {  // a tuple: treated as a list
            auto l = Make(Expr::Type::kList);
            l->args.push_back(std::move(e));
            while (AcceptOp(",") && !IsOp(")")) l->args.push_back(Expression());
            Expect(")");
            return l;
          }
          Expect(")");
          return e;
        }
        if (tok.text == "[") {
          auto l = Make(Expr::Type::kList);
          while (!AcceptOp("]")) {
            l->args.push_back(Expression());
            if (!AcceptOp(",")) { Expect("]"); break; }
          }
          return l;
        }
        if (tok.text == "{") {
          auto d = Make(Expr::Type::kDict);
          while (!AcceptOp("}")) {
            d->args.push_back(Expression());
            Expect(":");
            d->args.push_back(Expression());
            if (!AcceptOp(",")) { Expect("}"); break; }
          }
          return d;
        }
        break;
      case Tok::kEnd: break;
    }
    throw Error(StrCat(where_, ": unexpected '", tok.text, "' in an expression"));
  }

  std::vector<Token> t_;
  std::size_t i_ = 0;
  std::string where_;
};

// Builds the node tree from the chunks.
class TemplateParser {
 public:
  TemplateParser(std::vector<Chunk> chunks, std::string origin)
      : chunks_(std::move(chunks)), origin_(std::move(origin)) {}

  NodeList ParseAll() {
    std::string end;
    NodeList body = ParseUntil({}, end);
    return body;
  }

 private:
  std::string Where(const Chunk& c) const { return StrCat(origin_, ": line ", c.line); }

  // Parses nodes until a statement whose keyword is in `stops`; returns it in `stopped`
  // with its parser positioned after the keyword.
  NodeList ParseUntil(const std::vector<std::string>& stops, std::string& stopped) {
    NodeList nodes;
    while (pos_ < chunks_.size()) {
      const Chunk& c = chunks_[pos_++];
      auto node = std::make_unique<Node>();
      node->line = c.line;
      if (c.type == Chunk::kText) {
        node->type = Node::Type::kText;
        node->text = c.text;
        nodes.push_back(std::move(node));
        continue;
      }
      ExprParser p(Lex(c.text, Where(c)), Where(c));
      if (c.type == Chunk::kOutput) {
        node->type = Node::Type::kOutput;
        node->expr = p.Expression();
        p.ExpectEnd();
        nodes.push_back(std::move(node));
        continue;
      }
      const std::string keyword = p.Name();
      if (std::find(stops.begin(), stops.end(), keyword) != stops.end()) {
        stopped = keyword;
        current_ = std::make_unique<ExprParser>(std::move(p));
        return nodes;
      }
      if (keyword == "if") {
        node->type = Node::Type::kIf;
        ExprPtr cond = p.Expression();
        p.ExpectEnd();
        while (true) {
          std::string s;
          NodeList body = ParseUntil({"elif", "else", "endif"}, s);
          KVB_REQUIRE(!s.empty(), Where(c), ": 'if' without 'endif'");
          node->branches.emplace_back(std::move(cond), std::move(body));
          if (s == "elif") {
            cond = current_->Expression();
            current_->ExpectEnd();
          } else if (s == "else") {
            std::string e;
            node->else_body = ParseUntil({"endif"}, e);
            KVB_REQUIRE(e == "endif", Where(c), ": 'if' without 'endif'");
            break;
          } else {
            break;
          }
        }
      } else if (keyword == "for") {
        node->type = Node::Type::kFor;
        node->targets.push_back(p.Name());
        while (p.AcceptOp(",")) node->targets.push_back(p.Name());
        KVB_REQUIRE(p.AcceptName("in"), Where(c), ": expected 'in' in a for loop");
        node->expr = p.OrExpression();
        if (p.AcceptName("if")) node->filter = p.OrExpression();
        p.AcceptName("recursive");
        p.ExpectEnd();
        std::string s;
        node->body = ParseUntil({"else", "endfor"}, s);
        KVB_REQUIRE(!s.empty(), Where(c), ": 'for' without 'endfor'");
        if (s == "else") {
          node->else_body = ParseUntil({"endfor"}, s);
          KVB_REQUIRE(s == "endfor", Where(c), ": 'for' without 'endfor'");
        }
      } else if (keyword == "set") {
        node->type = Node::Type::kSet;
        node->targets.push_back(p.Name());
        if (p.AcceptOp(".")) node->attr = p.Name();
        KVB_REQUIRE(p.AcceptOp("="), Where(c), ": block 'set' (without '=') is not supported");
        node->expr = p.Expression();
        p.ExpectEnd();
      } else if (keyword == "break" || keyword == "continue") {
        node->type = keyword == "break" ? Node::Type::kBreak : Node::Type::kContinue;
      } else if (keyword == "generation") {
        // transformers' {% generation %} marks assistant text; it renders its body.
        node->type = Node::Type::kBlock;
        std::string s;
        node->body = ParseUntil({"endgeneration"}, s);
        KVB_REQUIRE(!s.empty(), Where(c), ": 'generation' without 'endgeneration'");
      } else {
        throw Error(StrCat(Where(c), ": unsupported template tag '", keyword, "'"));
      }
      nodes.push_back(std::move(node));
    }
    return nodes;
  }

  std::vector<Chunk> chunks_;
  std::string origin_;
  std::size_t pos_ = 0;
  std::unique_ptr<ExprParser> current_;
};

// ------------------------------------------------------------------ evaluation

bool Truthy(const Value& v) {
  switch (v.kind) {
    case Kind::kUndefined: case Kind::kNone: return false;
    case Kind::kBool: return v.boolean;
    case Kind::kInt: return v.integer != 0;
    case Kind::kFloat: return v.real != 0;
    case Kind::kString: return !v.string.empty();
    case Kind::kList: return !v.list->empty();
    case Kind::kDict: return !v.dict->empty();
  }
  return false;
}

std::string FloatRepr(double d) {
  if (std::isinf(d)) return d > 0 ? "inf" : "-inf";
  if (std::isnan(d)) return "nan";
  char buf[32];
  for (int prec = 1; prec <= 17; ++prec) {
    std::snprintf(buf, sizeof(buf), "%.*g", prec, d);
    if (std::stod(buf) == d) break;
  }
  std::string s = buf;
  if (s.find_first_of(".en") == std::string::npos) s += ".0";
  return s;
}

std::string Repr(const Value& v);

// What {{ v }} prints (Python str()).
std::string ToString(const Value& v) {
  switch (v.kind) {
    case Kind::kUndefined: return "";
    case Kind::kNone: return "None";
    case Kind::kBool: return v.boolean ? "True" : "False";
    case Kind::kInt: return std::to_string(v.integer);
    case Kind::kFloat: return FloatRepr(v.real);
    case Kind::kString: return v.string;
    default: return Repr(v);
  }
}

std::string Repr(const Value& v) {
  switch (v.kind) {
    case Kind::kString: {
      const char q = v.string.find('\'') != std::string::npos && v.string.find('"') == std::string::npos ? '"' : '\'';
      std::string out(1, q);
      for (char c : v.string) {
        if (c == q || c == '\\') out += '\\';
        if (c == '\n') { out += "\\n"; continue; }
        out += c;
      }
      return out + q;
    }
    case Kind::kList: {
      std::string out = "[";
      for (std::size_t i = 0; i < v.list->size(); ++i) out += (i ? ", " : "") + Repr((*v.list)[i]);
      return out + "]";
    }
    case Kind::kDict: {
      std::string out = "{";
      bool first = true;
      for (const auto& [k, x] : *v.dict) {
        out += (first ? "'" : ", '") + k + "': " + Repr(x);
        first = false;
      }
      return out + "}";
    }
    default: return ToString(v);
  }
}

// json.dumps(v, ensure_ascii=False, indent=indent), as transformers' tojson filter.
void ToJson(const Value& v, std::optional<int> indent, int depth, std::string& out) {
  const auto newline = [&](int d) {
    if (indent) { out += '\n'; out.append(static_cast<std::size_t>(*indent * d), ' '); }
  };
  switch (v.kind) {
    case Kind::kUndefined: case Kind::kNone: out += "null"; return;
    case Kind::kBool: out += v.boolean ? "true" : "false"; return;
    case Kind::kInt: out += std::to_string(v.integer); return;
    case Kind::kFloat: out += FloatRepr(v.real); return;
    case Kind::kString: AppendPyJsonString(v.string, out); return;
    case Kind::kList: {
      out += '[';
      for (std::size_t i = 0; i < v.list->size(); ++i) {
        if (i) out += indent ? "," : ", ";
        newline(depth + 1);
        ToJson((*v.list)[i], indent, depth + 1, out);
      }
      if (!v.list->empty()) newline(depth);
      out += ']';
      return;
    }
    case Kind::kDict: {
      out += '{';
      bool first = true;
      for (const auto& [k, x] : *v.dict) {
        if (!first) out += indent ? "," : ", ";
        first = false;
        newline(depth + 1);
        ToJson(Value::String(k), indent, depth + 1, out);
        out += ": ";
        ToJson(x, indent, depth + 1, out);
      }
      if (!v.dict->empty()) newline(depth);
      out += '}';
      return;
    }
  }
}

bool Equal(const Value& a, const Value& b) {
  const bool an = a.kind == Kind::kInt || a.kind == Kind::kFloat || a.kind == Kind::kBool;
  const bool bn = b.kind == Kind::kInt || b.kind == Kind::kFloat || b.kind == Kind::kBool;
  if (an && bn) {
    const auto num = [](const Value& v) { return v.kind == Kind::kFloat ? v.real : v.kind == Kind::kBool ? (v.boolean ? 1.0 : 0.0) : static_cast<double>(v.integer); };
    return num(a) == num(b);
  }
  if (a.kind != b.kind) return false;
  switch (a.kind) {
    case Kind::kUndefined: case Kind::kNone: return true;
    case Kind::kString: return a.string == b.string;
    case Kind::kList:
      if (a.list->size() != b.list->size()) return false;
      for (std::size_t i = 0; i < a.list->size(); ++i) if (!Equal((*a.list)[i], (*b.list)[i])) return false;
      return true;
    case Kind::kDict:
      if (a.dict->size() != b.dict->size()) return false;
      for (const auto& [k, v] : *a.dict) { const Value* o = b.Find(k); if (!o || !Equal(v, *o)) return false; }
      return true;
    default: return false;
  }
}

std::u32string U32(const std::string& s) { return DecodeUtf8(s, "template string"); }

struct LoopControl { bool is_break; };

class Renderer {
 public:
  Renderer(const std::string& origin, const Value& context) : origin_(origin) {
    scopes_.push_back(context.kind == Kind::kDict ? *context.dict : ValueDict{});
  }

  void Run(const NodeList& nodes, std::string& out) {
    for (const auto& n : nodes) RunNode(*n, out);
  }

 private:
  [[noreturn]] void Fail(const std::string& what) const {
    throw Error(StrCat(origin_, ": line ", line_, ": ", what));
  }

  Value Lookup(const std::string& name) const {
    for (auto s = scopes_.rbegin(); s != scopes_.rend(); ++s)
      for (const auto& [k, v] : *s) if (k == name) return v;
    return Value();
  }
  void Assign(const std::string& name, Value v) {
    for (auto& [k, x] : scopes_.back()) if (k == name) { x = std::move(v); return; }
    scopes_.back().emplace_back(name, std::move(v));
  }

  void RunNode(const Node& n, std::string& out) {
    line_ = n.line;
    switch (n.type) {
      case Node::Type::kText: out += n.text; return;
      case Node::Type::kOutput: out += ToString(Eval(*n.expr)); return;
      case Node::Type::kBlock: Run(n.body, out); return;
      case Node::Type::kIf:
        for (const auto& [cond, body] : n.branches) {
          if (Truthy(Eval(*cond))) { Run(body, out); return; }
        }
        Run(n.else_body, out);
        return;
      case Node::Type::kSet: {
        Value v = Eval(*n.expr);
        if (n.attr.empty()) { Assign(n.targets[0], std::move(v)); return; }
        Value ns = Lookup(n.targets[0]);
        if (ns.kind != Kind::kDict) Fail("cannot set an attribute of '" + n.targets[0] + "': not a namespace");
        ns.Set(n.attr, std::move(v));
        return;
      }
      case Node::Type::kBreak: throw LoopControl{true};
      case Node::Type::kContinue: throw LoopControl{false};
      case Node::Type::kFor: RunFor(n, out); return;
    }
  }

  void RunFor(const Node& n, std::string& out) {
    const Value iterable = Eval(*n.expr);
    ValueList items;
    if (iterable.kind == Kind::kList) items = *iterable.list;
    else if (iterable.kind == Kind::kDict) for (const auto& [k, v] : *iterable.dict) items.push_back(Value::String(k));
    else if (iterable.kind == Kind::kString) for (char32_t c : U32(iterable.string)) { std::string s; AppendUtf8(c, s); items.push_back(Value::String(s)); }
    else if (iterable.kind != Kind::kUndefined && iterable.kind != Kind::kNone) Fail("cannot iterate over " + Repr(iterable));
    else if (iterable.kind == Kind::kNone) Fail("'NoneType' object is not iterable");
    if (n.filter) {
      ValueList kept;
      for (const Value& item : items) {
        scopes_.emplace_back();
        BindTargets(n, item);
        if (Truthy(Eval(*n.filter))) kept.push_back(item);
        scopes_.pop_back();
      }
      items.swap(kept);
    }
    const auto length = static_cast<std::int64_t>(items.size());
    for (std::int64_t i = 0; i < length; ++i) {
      scopes_.emplace_back();
      BindTargets(n, items[static_cast<std::size_t>(i)]);
      Value loop = Value::Dict({{"index", Value::Int(i + 1)}, {"index0", Value::Int(i)},
                                {"revindex", Value::Int(length - i)}, {"revindex0", Value::Int(length - i - 1)},
                                {"first", Value::Bool(i == 0)}, {"last", Value::Bool(i == length - 1)},
                                {"length", Value::Int(length)},
                                {"previtem", i > 0 ? items[static_cast<std::size_t>(i - 1)] : Value()},
                                {"nextitem", i + 1 < length ? items[static_cast<std::size_t>(i + 1)] : Value()}});
      Assign("loop", loop);
      bool stop = false;
      try {
        Run(n.body, out);
      } catch (const LoopControl& c) {
        stop = c.is_break;
      }
      scopes_.pop_back();
      if (stop) break;
    }
    if (items.empty()) Run(n.else_body, out);
  }

  void BindTargets(const Node& n, const Value& item) {
    if (n.targets.size() == 1) { Assign(n.targets[0], item); return; }
    if (item.kind != Kind::kList || item.list->size() != n.targets.size()) Fail("cannot unpack " + Repr(item));
    for (std::size_t k = 0; k < n.targets.size(); ++k) Assign(n.targets[k], (*item.list)[k]);
  }

  static std::int64_t Index(std::int64_t i, std::size_t size) {
    return i < 0 ? i + static_cast<std::int64_t>(size) : i;
  }

  Value GetItem(const Value& obj, const Value& key) {
    if (obj.kind == Kind::kDict) {
      const Value* v = obj.Find(key.kind == Kind::kString ? key.string : ToString(key));
      return v ? *v : Value();
    }
    if (key.kind != Kind::kInt) {
      if (key.kind == Kind::kString) return GetAttr(obj, key.string);
      return Value();
    }
    if (obj.kind == Kind::kList) {
      const std::int64_t i = Index(key.integer, obj.list->size());
      if (i < 0 || i >= static_cast<std::int64_t>(obj.list->size())) return Value();
      return (*obj.list)[static_cast<std::size_t>(i)];
    }
    if (obj.kind == Kind::kString) {
      const std::u32string u = U32(obj.string);
      const std::int64_t i = Index(key.integer, u.size());
      if (i < 0 || i >= static_cast<std::int64_t>(u.size())) return Value();
      std::string s;
      AppendUtf8(u[static_cast<std::size_t>(i)], s);
      return Value::String(s);
    }
    return Value();
  }

  Value GetAttr(const Value& obj, const std::string& name) {
    if (obj.kind == Kind::kDict) {
      const Value* v = obj.Find(name);
      return v ? *v : Value();
    }
    return Value();
  }

  Value Slice(const Value& obj, const Expr& e) {
    const auto opt = [&](int k) -> std::optional<std::int64_t> {
      if (!e.args[static_cast<std::size_t>(k)]) return std::nullopt;
      const Value v = Eval(*e.args[static_cast<std::size_t>(k)]);
      if (v.kind == Kind::kNone) return std::nullopt;
      if (v.kind != Kind::kInt) Fail("slice indices must be integers");
      return v.integer;
    };
    const auto start = opt(1), stop = opt(2), step_opt = opt(3);
    const std::int64_t step = step_opt.value_or(1);
    if (step == 0) Fail("slice step cannot be zero");
    std::vector<std::int64_t> picks;
    std::size_t size = 0;
    std::u32string u;
    if (obj.kind == Kind::kList) size = obj.list->size();
    else if (obj.kind == Kind::kString) { u = U32(obj.string); size = u.size(); }
    else Fail("cannot slice " + Repr(obj));
    const auto n = static_cast<std::int64_t>(size);
    const auto clamp = [&](std::optional<std::int64_t> v, std::int64_t def, std::int64_t lo, std::int64_t hi) {
      if (!v) return def;
      std::int64_t x = *v < 0 ? *v + n : *v;
      return std::max(lo, std::min(hi, x));
    };
    if (step > 0) {
      for (std::int64_t i = clamp(start, 0, 0, n), end = clamp(stop, n, 0, n); i < end; i += step) picks.push_back(i);
    } else {
      for (std::int64_t i = clamp(start, n - 1, -1, n - 1), end = clamp(stop, -1, -1, n - 1); i > end; i += step) picks.push_back(i);
    }
    if (obj.kind == Kind::kList) {
      ValueList out;
      for (auto i : picks) out.push_back((*obj.list)[static_cast<std::size_t>(i)]);
      return Value::List(std::move(out));
    }
    std::u32string out;
    for (auto i : picks) out.push_back(u[static_cast<std::size_t>(i)]);
    return Value::String(EncodeUtf8(out));
  }

  static std::string StripChars(const std::string& s, const Value* chars, bool left, bool right) {
    const std::u32string u = U32(s);
    const std::u32string set = chars && chars->kind == Kind::kString ? U32(chars->string) : U"";
    const auto strip = [&](char32_t c) {
      if (chars && chars->kind == Kind::kString) return set.find(c) != std::u32string::npos;
      return c == ' ' || (c >= 9 && c <= 13) || c == 0x85 || c == 0xA0 || c == 0x1680 ||
             (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 || c == 0x202F ||
             c == 0x205F || c == 0x3000 || (c >= 0x1C && c <= 0x1F);
    };
    std::size_t b = 0, e = u.size();
    if (left) while (b < e && strip(u[b])) ++b;
    if (right) while (e > b && strip(u[e - 1])) --e;
    return EncodeUtf8(u.substr(b, e - b));
  }

  Value CallMethod(const Value& obj, const std::string& name, const std::vector<Value>& args,
                   const std::vector<std::pair<std::string, Value>>& kwargs) {
    const Value* a0 = args.empty() ? nullptr : &args[0];
    if (obj.kind == Kind::kString) {
      const std::string& s = obj.string;
      if (name == "startswith" || name == "endswith") {
        if (!a0 || a0->kind != Kind::kString) Fail(name + "() needs a string");
        const std::string& p = a0->string;
        const bool r = name == "startswith" ? s.compare(0, p.size(), p) == 0
                                            : s.size() >= p.size() && s.compare(s.size() - p.size(), p.size(), p) == 0;
        return Value::Bool(r);
      }
      if (name == "strip") return Value::String(StripChars(s, a0, true, true));
      if (name == "lstrip") return Value::String(StripChars(s, a0, true, false));
      if (name == "rstrip") return Value::String(StripChars(s, a0, false, true));
      if (name == "upper" || name == "lower") {
        std::string r = s;
        for (char& c : r) c = static_cast<char>(name == "upper" ? std::toupper(static_cast<unsigned char>(c)) : std::tolower(static_cast<unsigned char>(c)));
        return Value::String(r);
      }
      if (name == "split") {
        ValueList parts;
        if (a0 && a0->kind == Kind::kString) {
          if (a0->string.empty()) Fail("split(): empty separator");
          std::size_t start = 0, at;
          while ((at = s.find(a0->string, start)) != std::string::npos) {
            parts.push_back(Value::String(s.substr(start, at - start)));
            start = at + a0->string.size();
          }
          parts.push_back(Value::String(s.substr(start)));
        } else {
          std::size_t i = 0;
          while (i < s.size()) {
            while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i]))) ++i;
            std::size_t j = i;
            while (j < s.size() && !std::isspace(static_cast<unsigned char>(s[j]))) ++j;
            if (j > i) parts.push_back(Value::String(s.substr(i, j - i)));
            i = j;
          }
        }
        return Value::List(std::move(parts));
      }
      if (name == "replace") {
        if (args.size() < 2 || args[0].kind != Kind::kString || args[1].kind != Kind::kString) Fail("replace() needs two strings");
        std::string r;
        const std::string& from = args[0].string;
        if (from.empty()) Fail("replace(): empty pattern is not supported");
        std::size_t start = 0, at;
        while ((at = s.find(from, start)) != std::string::npos) { r += s.substr(start, at - start) + args[1].string; start = at + from.size(); }
        return Value::String(r + s.substr(start));
      }
      if (name == "title" || name == "capitalize") return Filter(name, obj, {}, {});
    }
    if (obj.kind == Kind::kDict) {
      if (name == "items") {
        ValueList out;
        for (const auto& [k, v] : *obj.dict) out.push_back(Value::List({Value::String(k), v}));
        return Value::List(std::move(out));
      }
      if (name == "keys" || name == "values") {
        ValueList out;
        for (const auto& [k, v] : *obj.dict) out.push_back(name == "keys" ? Value::String(k) : v);
        return Value::List(std::move(out));
      }
      if (name == "get") {
        if (!a0 || a0->kind != Kind::kString) Fail("get() needs a key");
        const Value* v = obj.Find(a0->string);
        return v ? *v : (args.size() > 1 ? args[1] : Value::None());
      }
    }
    (void)kwargs;
    Fail("unsupported method '" + name + "' on " + Repr(obj).substr(0, 40));
  }

  Value Filter(const std::string& name, const Value& v, const std::vector<Value>& args,
               const std::vector<std::pair<std::string, Value>>& kwargs) {
    if (name == "trim") return Value::String(StripChars(ToString(v), args.empty() ? nullptr : &args[0], true, true));
    if (name == "length" || name == "count") {
      if (v.kind == Kind::kList) return Value::Int(static_cast<std::int64_t>(v.list->size()));
      if (v.kind == Kind::kDict) return Value::Int(static_cast<std::int64_t>(v.dict->size()));
      if (v.kind == Kind::kString) return Value::Int(static_cast<std::int64_t>(U32(v.string).size()));
      Fail("object of type " + Repr(v) + " has no length");
    }
    if (name == "tojson") {
      std::optional<int> indent;
      for (const auto& [k, x] : kwargs) if (k == "indent" && x.kind == Kind::kInt) indent = static_cast<int>(x.integer);
      if (!args.empty() && args[0].kind == Kind::kInt) indent = static_cast<int>(args[0].integer);
      std::string out;
      ToJson(v, indent, 0, out);
      return Value::String(out);
    }
    if (name == "string") return Value::String(ToString(v));
    if (name == "safe") return v;
    if (name == "upper" || name == "lower") return CallMethod(Value::String(ToString(v)), name, {}, {});
    if (name == "capitalize" || name == "title") {
      std::string s = ToString(v);
      bool start = true;
      for (char& c : s) {
        const bool alpha = std::isalpha(static_cast<unsigned char>(c));
        if (name == "capitalize") { c = static_cast<char>(start ? std::toupper(static_cast<unsigned char>(c)) : std::tolower(static_cast<unsigned char>(c))); start = false; }
        else { c = static_cast<char>(start ? std::toupper(static_cast<unsigned char>(c)) : std::tolower(static_cast<unsigned char>(c))); start = !alpha; }
      }
      return Value::String(s);
    }
    if (name == "first" || name == "last") {
      if (v.kind == Kind::kList) return v.list->empty() ? Value() : (name == "first" ? v.list->front() : v.list->back());
      if (v.kind == Kind::kString) return GetItem(v, Value::Int(name == "first" ? 0 : -1));
      Fail(name + " of " + Repr(v));
    }
    if (name == "join") {
      if (v.kind != Kind::kList) Fail("join of a non-list");
      const std::string sep = args.empty() ? "" : ToString(args[0]);
      std::string out;
      for (std::size_t i = 0; i < v.list->size(); ++i) out += (i ? sep : "") + ToString((*v.list)[i]);
      return Value::String(out);
    }
    if (name == "default" || name == "d") {
      const bool boolean = args.size() > 1 && Truthy(args[1]);
      if (v.kind == Kind::kUndefined || (boolean && !Truthy(v))) return args.empty() ? Value::String("") : args[0];
      return v;
    }
    if (name == "list") {
      if (v.kind == Kind::kList) return Value::List(*v.list);
      if (v.kind == Kind::kString) { ValueList out; for (char32_t c : U32(v.string)) { std::string s; AppendUtf8(c, s); out.push_back(Value::String(s)); } return Value::List(out); }
      if (v.kind == Kind::kDict) return CallMethod(v, "keys", {}, {});
      Fail("list of " + Repr(v));
    }
    if (name == "reverse") {
      if (v.kind == Kind::kList) { ValueList out(v.list->rbegin(), v.list->rend()); return Value::List(out); }
      if (v.kind == Kind::kString) { std::u32string u = U32(v.string); std::reverse(u.begin(), u.end()); return Value::String(EncodeUtf8(u)); }
      Fail("reverse of " + Repr(v));
    }
    if (name == "replace") return CallMethod(Value::String(ToString(v)), "replace", args, {});
    if (name == "int") {
      if (v.kind == Kind::kInt) return v;
      if (v.kind == Kind::kFloat) return Value::Int(static_cast<std::int64_t>(v.real));
      if (v.kind == Kind::kBool) return Value::Int(v.boolean);
      try { return Value::Int(std::stoll(ToString(v))); } catch (...) { return Value::Int(0); }
    }
    if (name == "float") {
      if (v.kind == Kind::kFloat) return v;
      if (v.kind == Kind::kInt) return Value::Float(static_cast<double>(v.integer));
      try { return Value::Float(std::stod(ToString(v))); } catch (...) { return Value::Float(0); }
    }
    if (name == "abs") {
      if (v.kind == Kind::kInt) return Value::Int(v.integer < 0 ? -v.integer : v.integer);
      if (v.kind == Kind::kFloat) return Value::Float(std::fabs(v.real));
      Fail("abs of " + Repr(v));
    }
    if (name == "items") return CallMethod(v, "items", {}, {});
    Fail("unsupported filter '" + name + "'");
  }

  bool Test(const std::string& name, const Value& v, const std::vector<Value>& args) {
    if (name == "defined") return v.kind != Kind::kUndefined;
    if (name == "undefined") return v.kind == Kind::kUndefined;
    if (name == "none") return v.kind == Kind::kNone;
    if (name == "string") return v.kind == Kind::kString;
    if (name == "number") return v.kind == Kind::kInt || v.kind == Kind::kFloat;
    if (name == "integer") return v.kind == Kind::kInt;
    if (name == "float") return v.kind == Kind::kFloat;
    if (name == "boolean") return v.kind == Kind::kBool;
    if (name == "true") return v.kind == Kind::kBool && v.boolean;
    if (name == "false") return v.kind == Kind::kBool && !v.boolean;
    if (name == "mapping") return v.kind == Kind::kDict;
    if (name == "sequence" || name == "iterable") return v.kind == Kind::kList || v.kind == Kind::kString || v.kind == Kind::kDict;
    if (name == "odd" || name == "even") {
      if (v.kind != Kind::kInt) Fail(name + " test on a non-integer");
      return (v.integer % 2 != 0) == (name == "odd");
    }
    if (name == "eq" || name == "equalto" || name == "sameas") return !args.empty() && Equal(v, args[0]);
    if (name == "ne") return args.empty() || !Equal(v, args[0]);
    if (name == "divisibleby") return !args.empty() && args[0].kind == Kind::kInt && args[0].integer != 0 && v.kind == Kind::kInt && v.integer % args[0].integer == 0;
    Fail("unsupported test '" + name + "'");
  }

  Value Arith(const std::string& op, const Value& a, const Value& b) {
    if (op == "~") return Value::String(ToString(a) + ToString(b));
    const bool ints = (a.kind == Kind::kInt || a.kind == Kind::kBool) && (b.kind == Kind::kInt || b.kind == Kind::kBool);
    const bool nums = (a.kind == Kind::kInt || a.kind == Kind::kFloat || a.kind == Kind::kBool) &&
                      (b.kind == Kind::kInt || b.kind == Kind::kFloat || b.kind == Kind::kBool);
    const auto ai = a.kind == Kind::kBool ? a.boolean : a.integer, bi = b.kind == Kind::kBool ? b.boolean : b.integer;
    const double af = a.kind == Kind::kFloat ? a.real : static_cast<double>(ai), bf = b.kind == Kind::kFloat ? b.real : static_cast<double>(bi);
    if (op == "+") {
      if (a.kind == Kind::kString && b.kind == Kind::kString) return Value::String(a.string + b.string);
      if (a.kind == Kind::kList && b.kind == Kind::kList) { ValueList l = *a.list; l.insert(l.end(), b.list->begin(), b.list->end()); return Value::List(l); }
      if (ints) return Value::Int(ai + bi);
      if (nums) return Value::Float(af + bf);
    } else if (op == "-") {
      if (ints) return Value::Int(ai - bi);
      if (nums) return Value::Float(af - bf);
    } else if (op == "*") {
      if (ints) return Value::Int(ai * bi);
      if (nums) return Value::Float(af * bf);
      if (a.kind == Kind::kString && b.kind == Kind::kInt) { std::string r; for (std::int64_t i = 0; i < b.integer; ++i) r += a.string; return Value::String(r); }
    } else if (op == "/") {
      if (nums) { if (bf == 0) Fail("division by zero"); return Value::Float(af / bf); }
    } else if (op == "//" || op == "%") {
      if (ints) {
        if (bi == 0) Fail("division by zero");
        std::int64_t q = ai / bi, r = ai % bi;
        if (r != 0 && ((r < 0) != (bi < 0))) { --q; r += bi; }  // Python floors
        return Value::Int(op == "//" ? q : r);
      }
      if (nums) { if (bf == 0) Fail("division by zero"); const double q = std::floor(af / bf); return Value::Float(op == "//" ? q : af - q * bf); }
    }
    Fail("unsupported operands for '" + op + "': " + Repr(a).substr(0, 40) + " and " + Repr(b).substr(0, 40));
  }

  bool Less(const Value& a, const Value& b) {
    if (a.kind == Kind::kString && b.kind == Kind::kString) return a.string < b.string;
    const auto num = [&](const Value& v) -> double {
      if (v.kind == Kind::kInt) return static_cast<double>(v.integer);
      if (v.kind == Kind::kFloat) return v.real;
      if (v.kind == Kind::kBool) return v.boolean;
      Fail("cannot compare " + Repr(a).substr(0, 40) + " and " + Repr(b).substr(0, 40));
    };
    return num(a) < num(b);
  }

  bool Contains(const Value& container, const Value& item) {
    if (container.kind == Kind::kString) {
      if (item.kind != Kind::kString) Fail("'in <string>' requires a string");
      return container.string.find(item.string) != std::string::npos;
    }
    if (container.kind == Kind::kList) {
      for (const Value& v : *container.list) if (Equal(v, item)) return true;
      return false;
    }
    if (container.kind == Kind::kDict) return item.kind == Kind::kString && container.Find(item.string);
    if (container.kind == Kind::kUndefined) Fail("'in' on an undefined value");
    Fail("'in' on " + Repr(container));
  }

  Value Eval(const Expr& e) {
    switch (e.type) {
      case Expr::Type::kLiteral: return e.literal;
      case Expr::Type::kName: return Lookup(e.name);
      case Expr::Type::kList: {
        ValueList items;
        for (const auto& a : e.args) items.push_back(Eval(*a));
        return Value::List(std::move(items));
      }
      case Expr::Type::kDict: {
        Value d = Value::Dict();
        for (std::size_t i = 0; i + 1 < e.args.size(); i += 2) d.Set(ToString(Eval(*e.args[i])), Eval(*e.args[i + 1]));
        return d;
      }
      case Expr::Type::kAttr: return GetAttr(Eval(*e.args[0]), e.name);
      case Expr::Type::kIndex: return GetItem(Eval(*e.args[0]), Eval(*e.args[1]));
      case Expr::Type::kSlice: return Slice(Eval(*e.args[0]), e);
      case Expr::Type::kCall: return Call(e);
      case Expr::Type::kFilter: {
        const Value v = Eval(*e.args[0]);
        std::vector<Value> args;
        for (std::size_t i = 1; i < e.args.size(); ++i) args.push_back(Eval(*e.args[i]));
        std::vector<std::pair<std::string, Value>> kwargs;
        for (const auto& [k, x] : e.kwargs) kwargs.emplace_back(k, Eval(*x));
        return Filter(e.name, v, args, kwargs);
      }
      case Expr::Type::kTest: {
        const Value v = Eval(*e.args[0]);
        std::vector<Value> args;
        for (std::size_t i = 1; i < e.args.size(); ++i) args.push_back(Eval(*e.args[i]));
        return Value::Bool(Test(e.name, v, args) != e.negated);
      }
      case Expr::Type::kUnary: {
        const Value v = Eval(*e.args[0]);
        if (e.name == "+") return v;
        if (v.kind == Kind::kInt) return Value::Int(-v.integer);
        if (v.kind == Kind::kFloat) return Value::Float(-v.real);
        Fail("bad operand for unary -: " + Repr(v));
      }
      case Expr::Type::kBinary: {
        const Value a = Eval(*e.args[0]);
        const Value b = Eval(*e.args[1]);
        const std::string& op = e.name;
        if (op == "==") return Value::Bool(Equal(a, b));
        if (op == "!=") return Value::Bool(!Equal(a, b));
        if (op == "<") return Value::Bool(Less(a, b));
        if (op == ">") return Value::Bool(Less(b, a));
        if (op == "<=") return Value::Bool(!Less(b, a));
        if (op == ">=") return Value::Bool(!Less(a, b));
        if (op == "in") return Value::Bool(Contains(b, a) != e.negated);
        return Arith(op, a, b);
      }
      case Expr::Type::kAnd: {
        Value a = Eval(*e.args[0]);
        return Truthy(a) ? Eval(*e.args[1]) : a;
      }
      case Expr::Type::kOr: {
        Value a = Eval(*e.args[0]);
        return Truthy(a) ? a : Eval(*e.args[1]);
      }
      case Expr::Type::kNot: return Value::Bool(!Truthy(Eval(*e.args[0])));
      case Expr::Type::kCond:
        if (Truthy(Eval(*e.args[1]))) return Eval(*e.args[0]);
        return e.args.size() > 2 ? Eval(*e.args[2]) : Value();
    }
    Fail("unsupported expression");
  }

  Value Call(const Expr& e) {
    std::vector<Value> args;
    for (std::size_t i = 1; i < e.args.size(); ++i) args.push_back(Eval(*e.args[i]));
    std::vector<std::pair<std::string, Value>> kwargs;
    for (const auto& [k, x] : e.kwargs) kwargs.emplace_back(k, Eval(*x));
    const Expr& callee = *e.args[0];
    if (callee.type == Expr::Type::kAttr) return CallMethod(Eval(*callee.args[0]), callee.name, args, kwargs);
    if (callee.type != Expr::Type::kName) Fail("unsupported call");
    const std::string& fn = callee.name;
    if (fn == "raise_exception") {
      throw Error(StrCat(origin_, ": the chat template raised an exception: ",
                         args.empty() ? std::string() : ToString(args[0])));
    }
    if (fn == "namespace" || fn == "dict") {
      Value ns = Value::Dict();
      for (auto& [k, v] : kwargs) ns.Set(k, v);
      return ns;
    }
    if (fn == "range") {
      std::int64_t start = 0, stop = 0, step = 1;
      for (const Value& a : args) if (a.kind != Kind::kInt) Fail("range() needs integers");
      if (args.size() == 1) stop = args[0].integer;
      else if (args.size() >= 2) start = args[0].integer, stop = args[1].integer;
      if (args.size() == 3) step = args[2].integer;
      if (step == 0) Fail("range() step is zero");
      ValueList out;
      for (std::int64_t i = start; step > 0 ? i < stop : i > stop; i += step) out.push_back(Value::Int(i));
      return Value::List(out);
    }
    if (fn == "strftime_now") {
      // transformers passes the current local time; rendering depends on the clock.
      if (args.empty() || args[0].kind != Kind::kString) Fail("strftime_now() needs a format");
      char buf[256];
      const std::time_t now = std::time(nullptr);
      std::tm tm{};
      localtime_r(&now, &tm);
      std::strftime(buf, sizeof(buf), args[0].string.c_str(), &tm);
      return Value::String(buf);
    }
    Fail("unsupported function '" + fn + "'");
  }

  std::string origin_;
  std::vector<ValueDict> scopes_;
  int line_ = 0;
};

}  // namespace

Template::Template(const std::string& source, std::string origin) : origin_(std::move(origin)) {
  TemplateParser parser(SplitChunks(source, origin_), origin_);
  body_ = parser.ParseAll();
}
Template::~Template() = default;
Template::Template(Template&&) noexcept = default;
Template& Template::operator=(Template&&) noexcept = default;

std::string Template::Render(const Value& context) const {
  Renderer renderer(origin_, context);
  std::string out;
  try {
    renderer.Run(body_, out);
  } catch (const LoopControl&) {
    throw Error(StrCat(origin_, ": 'break' or 'continue' outside a loop"));
  }
  return out;
}

}  // namespace kvb::jinja
