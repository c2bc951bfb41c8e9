#pragma once
// Jinja2's grammar, as far as chat templates use it, parsed into an AST. Expressions follow
// Jinja's precedence: `x if c else y` < or < and < not < comparisons and `in` < + - < ~ <
// * / // % < ** < unary - + < postfix (. [] () | filters, `is` tests). Statements: if / elif /
// else, for (with `if` filter, else, loop.*, tuple targets), set (names, tuples, ns.attr, and
// set blocks), macro, break, continue, and transformers' generation tag. Anything else is an
// error naming the template line, at parse time, before anything renders.
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "cactus/jinja/lexer.hpp"
#include "cactus/jinja/value.hpp"

namespace cactus::jinja {

struct expr;
using expr_ptr = std::shared_ptr<const expr>;

struct expr {
  enum class kind { literal, name, attr, item, slice, call, filter, test, unary, binary, compare, cond, list, dict, tuple };
  kind k;
  int line = 0;
  value lit;                                         // literal
  std::string name;                                  // name, attr, filter / test name, unary / binary operator
  std::vector<expr_ptr> args;                        // operands; call / filter / test arguments after the subject
  std::vector<std::pair<std::string, expr_ptr>> kwargs;
  std::vector<std::string> ops;                      // compare: one operator per operand after the first
  bool negated = false;                              // `is not`
};

struct stmt;
using body = std::vector<std::shared_ptr<const stmt>>;

struct stmt {
  enum class kind { text, output, if_, for_, set, set_block, macro, break_, continue_, generation };
  kind k;
  int line = 0;
  std::string text;                                   // text; macro name
  expr_ptr e;                                         // output; for iterable; set value
  expr_ptr cond;                                      // for: the `if` filter
  std::vector<std::pair<expr_ptr, body>> branches;    // if / elif
  body then, otherwise;                               // for body / else; else of if; set block, macro, generation
  std::vector<std::string> targets;                   // for / set names (a namespace attribute is "ns.attr")
  std::vector<std::pair<std::string, expr_ptr>> params;  // macro parameters and defaults
};

class parser {
 public:
  parser(std::vector<token> toks, std::string where) : t_(std::move(toks)), where_(std::move(where)) {}

  body parse_template() {
    std::string end;
    body b = parse_body({}, end);
    return b;
  }

 private:
  std::vector<token> t_;
  std::size_t i_ = 0;
  std::string where_;
  int depth_ = 0, block_depth_ = 0;
  // nesting is bounded so that a hostile template cannot exhaust the stack
  struct depth_guard {
    int& d;
    depth_guard(int& x, int line, const parser& p, const char* what) : d(x) {
      if (++d > 200) p.err(line, what, " nest deeper than 200 levels");
    }
    ~depth_guard() { --d; }
  };

  template <class... A>
  [[noreturn]] void err(int line, A&&... a) const {
    fail(where_, ": template line ", line, ": ", std::forward<A>(a)...);
  }
  const token& peek(std::size_t k = 0) const { return t_[std::min(i_ + k, t_.size() - 1)]; }
  const token& next() { const token& x = t_[i_]; if (i_ + 1 < t_.size()) ++i_; return x; }
  bool at_op(const char* o) const { return peek().type == tok::op && peek().text == o; }
  bool at_name(const char* n) const { return peek().type == tok::name && peek().text == n; }
  void expect_op(const char* o) {
    if (!at_op(o)) err(peek().line, "expected '", o, "', got ", describe(peek()));
    next();
  }
  std::string expect_name() {
    if (peek().type != tok::name) err(peek().line, "expected a name, got ", describe(peek()));
    return next().text;
  }
  void expect_block_end() {
    if (peek().type != tok::block_end) err(peek().line, "expected the end of the statement ('%}'), got ", describe(peek()));
    next();
  }
  static std::string describe(const token& x) {
    switch (x.type) {
      case tok::eof: return "the end of the template";
      case tok::block_end: return "'%}'";
      case tok::var_end: return "'}}'";
      case tok::string: return "a string";
      case tok::integer: case tok::floating: return "the number " + x.text;
      default: return "'" + x.text + "'";
    }
  }

  // Statements up to one of `ends` (its keyword consumed, returned in `end`).
  body parse_body(const std::vector<std::string>& ends, std::string& end) {
    body b;
    while (true) {
      const token& x = peek();
      if (x.type == tok::eof) {
        if (!ends.empty()) err(x.line, "the template ends inside a block: expected '{% ", ends.back(), " %}'");
        end.clear();
        return b;
      }
      if (x.type == tok::data) {
        auto s = std::make_shared<stmt>();
        s->k = stmt::kind::text;
        s->line = x.line;
        s->text = x.text;
        b.push_back(s);
        next();
        continue;
      }
      if (x.type == tok::var_begin) {
        next();
        auto s = std::make_shared<stmt>();
        s->k = stmt::kind::output;
        s->line = x.line;
        s->e = parse_expression();
        if (peek().type != tok::var_end) err(peek().line, "expected '}}', got ", describe(peek()));
        next();
        b.push_back(s);
        continue;
      }
      // a block tag
      next();
      const token& kw = peek();
      if (kw.type != tok::name) err(kw.line, "expected a statement name after '{%', got ", describe(kw));
      for (auto& e : ends)
        if (kw.text == e) { end = e; next(); return b; }
      b.push_back(parse_statement());
    }
  }

  std::shared_ptr<const stmt> parse_statement() {
    const token kw = next();
    depth_guard g(block_depth_, kw.line, *this, "blocks");
    const int line = kw.line;
    auto s = std::make_shared<stmt>();
    s->line = line;
    const std::string& w = kw.text;
    if (w == "if") {
      s->k = stmt::kind::if_;
      expr_ptr c = parse_expression();
      expect_block_end();
      while (true) {
        std::string end;
        body b = parse_body({"elif", "else", "endif"}, end);
        s->branches.emplace_back(c, std::move(b));
        if (end == "elif") { c = parse_expression(); expect_block_end(); continue; }
        if (end == "else") {
          expect_block_end();
          s->otherwise = parse_body({"endif"}, end);
        }
        expect_block_end();
        break;
      }
      return s;
    }
    if (w == "for") {
      s->k = stmt::kind::for_;
      s->targets.push_back(expect_name());
      while (at_op(",")) { next(); s->targets.push_back(expect_name()); }
      if (!at_name("in")) err(peek().line, "expected 'in' in the for statement, got ", describe(peek()));
      next();
      s->e = parse_or_expression();  // `if` after it filters, it is not a conditional expression
      if (at_name("if")) { next(); s->cond = parse_expression(); }
      if (at_name("recursive")) err(peek().line, "recursive for loops are not supported");
      expect_block_end();
      std::string end;
      s->then = parse_body({"else", "endfor"}, end);
      if (end == "else") { expect_block_end(); s->otherwise = parse_body({"endfor"}, end); }
      expect_block_end();
      return s;
    }
    if (w == "set") {
      std::string first = expect_name();
      if (at_op(".")) { next(); first += "." + expect_name(); }
      s->targets.push_back(first);
      while (at_op(",")) { next(); s->targets.push_back(expect_name()); }
      if (at_op("=")) {
        next();
        s->k = stmt::kind::set;
        s->e = parse_tuple_or_expression();
        expect_block_end();
        return s;
      }
      if (s->targets.size() != 1) err(line, "a set block takes one name");
      if (at_op("|")) err(peek().line, "filters on set blocks are not supported");
      expect_block_end();
      s->k = stmt::kind::set_block;
      std::string end;
      s->then = parse_body({"endset"}, end);
      expect_block_end();
      return s;
    }
    if (w == "macro") {
      s->k = stmt::kind::macro;
      s->text = expect_name();
      expect_op("(");
      while (!at_op(")")) {
        std::string p = expect_name();
        expr_ptr d;
        if (at_op("=")) { next(); d = parse_expression(); }
        s->params.emplace_back(p, d);
        if (!at_op(")")) expect_op(",");
      }
      next();
      expect_block_end();
      std::string end;
      s->then = parse_body({"endmacro"}, end);
      if (peek().type == tok::name) next();  // {% endmacro name %}
      expect_block_end();
      return s;
    }
    if (w == "break" || w == "continue") {
      s->k = w == "break" ? stmt::kind::break_ : stmt::kind::continue_;
      expect_block_end();
      return s;
    }
    if (w == "generation") {  // transformers' assistant-mask tag: renders its body
      s->k = stmt::kind::generation;
      expect_block_end();
      std::string end;
      s->then = parse_body({"endgeneration"}, end);
      expect_block_end();
      return s;
    }
    if (w == "elif" || w == "else" || w.rfind("end", 0) == 0) err(line, "'{% ", w, " %}' without a block it closes");
    err(line, "the '{% ", w, " %}' statement is not supported");
  }

  // ---- expressions ----
  std::shared_ptr<expr> make(expr::kind k, int line) {
    auto e = std::make_shared<expr>();
    e->k = k;
    e->line = line;
    return e;
  }

  expr_ptr parse_tuple_or_expression() {
    const int line = peek().line;
    expr_ptr first = parse_expression();
    if (!at_op(",")) return first;
    auto t = make(expr::kind::tuple, line);
    t->args.push_back(first);
    while (at_op(",")) {
      next();
      if (peek().type == tok::block_end) break;
      t->args.push_back(parse_expression());
    }
    return t;
  }

 public:
  expr_ptr parse_expression() {
    depth_guard g(depth_, peek().line, *this, "expressions");
    expr_ptr e = parse_or_expression();
    if (at_name("if")) {
      const int line = next().line;
      auto c = make(expr::kind::cond, line);
      c->args.push_back(parse_or_expression());  // condition
      c->args.push_back(e);                      // then
      if (at_name("else")) { next(); c->args.push_back(parse_expression()); }
      return c;
    }
    return e;
  }

 private:
  expr_ptr binary(const std::string& op, expr_ptr a, expr_ptr b, int line) {
    auto e = make(expr::kind::binary, line);
    e->name = op;
    e->args = {std::move(a), std::move(b)};
    return e;
  }

  expr_ptr parse_or_expression() {
    expr_ptr e = parse_and();
    while (at_name("or")) { const int l = next().line; e = binary("or", e, parse_and(), l); }
    return e;
  }
  expr_ptr parse_and() {
    expr_ptr e = parse_not();
    while (at_name("and")) { const int l = next().line; e = binary("and", e, parse_not(), l); }
    return e;
  }
  expr_ptr parse_not() {
    depth_guard g(depth_, peek().line, *this, "expressions");
    if (at_name("not")) {
      const int l = next().line;
      auto e = make(expr::kind::unary, l);
      e->name = "not";
      e->args.push_back(parse_not());
      return e;
    }
    return parse_compare();
  }
  expr_ptr parse_compare() {
    const int line = peek().line;
    expr_ptr first = parse_math1();
    std::shared_ptr<expr> c;
    while (true) {
      std::string op;
      if (peek().type == tok::op && (peek().text == "==" || peek().text == "!=" || peek().text == "<" || peek().text == ">" ||
                                     peek().text == "<=" || peek().text == ">=")) op = next().text;
      else if (at_name("in")) { next(); op = "in"; }
      else if (at_name("not") && peek(1).type == tok::name && peek(1).text == "in") { next(); next(); op = "not in"; }
      else break;
      if (!c) { c = make(expr::kind::compare, line); c->args.push_back(first); }
      c->ops.push_back(op);
      c->args.push_back(parse_math1());
    }
    return c ? expr_ptr(c) : first;
  }
  expr_ptr parse_math1() {
    expr_ptr e = parse_concat();
    while (at_op("+") || at_op("-")) { const token& o = next(); e = binary(o.text, e, parse_concat(), o.line); }
    return e;
  }
  expr_ptr parse_concat() {
    expr_ptr e = parse_math2();
    while (at_op("~")) { const int l = next().line; e = binary("~", e, parse_math2(), l); }
    return e;
  }
  expr_ptr parse_math2() {
    expr_ptr e = parse_pow();
    while (at_op("*") || at_op("/") || at_op("//") || at_op("%")) { const token& o = next(); e = binary(o.text, e, parse_pow(), o.line); }
    return e;
  }
  expr_ptr parse_pow() {
    expr_ptr e = parse_unary(true);
    while (at_op("**")) { const int l = next().line; e = binary("**", e, parse_unary(true), l); }
    return e;
  }
  expr_ptr parse_unary(bool with_filter) {
    depth_guard g(depth_, peek().line, *this, "expressions");
    expr_ptr e;
    if (at_op("-") || at_op("+")) {
      const token& o = next();
      auto u = make(expr::kind::unary, o.line);
      u->name = o.text;
      u->args.push_back(parse_unary(false));
      e = u;
    } else {
      e = parse_postfix(parse_primary());
    }
    return with_filter ? parse_filters(e) : e;
  }

  expr_ptr parse_primary() {
    const token x = next();
    switch (x.type) {
      case tok::string: {
        std::string s = x.text;
        while (peek().type == tok::string) s += next().text;  // adjacent literals concatenate
        auto e = make(expr::kind::literal, x.line);
        e->lit = value(s);
        return e;
      }
      case tok::integer: {
        auto e = make(expr::kind::literal, x.line);
        try { e->lit = value(static_cast<std::int64_t>(std::stoll(x.text))); } catch (...) { err(x.line, "the integer ", x.text, " is out of range"); }
        return e;
      }
      case tok::floating: {
        auto e = make(expr::kind::literal, x.line);
        e->lit = value(std::strtod(x.text.c_str(), nullptr));  // as Python: 1e400 is inf, 1e-400 is 0.0
        return e;
      }
      case tok::name: {
        auto e = make(expr::kind::literal, x.line);
        if (x.text == "true" || x.text == "True") e->lit = value(true);
        else if (x.text == "false" || x.text == "False") e->lit = value(false);
        else if (x.text == "none" || x.text == "None") e->lit = value(nullptr);
        else { e->k = expr::kind::name; e->name = x.text; }
        return e;
      }
      case tok::op:
        if (x.text == "(") {
          if (at_op(")")) { next(); return make(expr::kind::tuple, x.line); }
          expr_ptr first = parse_expression();
          if (at_op(")")) { next(); return first; }
          auto t = make(expr::kind::tuple, x.line);
          t->args.push_back(first);
          while (at_op(",")) { next(); if (at_op(")")) break; t->args.push_back(parse_expression()); }
          expect_op(")");
          return t;
        }
        if (x.text == "[") {
          auto l = make(expr::kind::list, x.line);
          while (!at_op("]")) { l->args.push_back(parse_expression()); if (!at_op("]")) expect_op(","); }
          next();
          return l;
        }
        if (x.text == "{") {
          auto d = make(expr::kind::dict, x.line);
          while (!at_op("}")) {
            d->args.push_back(parse_expression());
            expect_op(":");
            d->args.push_back(parse_expression());
            if (!at_op("}")) expect_op(",");
          }
          next();
          return d;
        }
        [[fallthrough]];
      default: err(x.line, "unexpected ", describe(x), " in an expression");
    }
  }

  void parse_call_args(expr& c) {
    expect_op("(");
    while (!at_op(")")) {
      if (at_op("*") || at_op("**")) err(peek().line, "*args and **kwargs in calls are not supported");
      if (peek().type == tok::name && peek(1).type == tok::op && peek(1).text == "=") {
        std::string k = next().text;
        next();
        c.kwargs.emplace_back(k, parse_expression());
      } else {
        if (!c.kwargs.empty()) err(peek().line, "a positional argument after a keyword argument");
        c.args.push_back(parse_expression());
      }
      if (!at_op(")")) expect_op(",");
    }
    next();
  }

  expr_ptr parse_postfix(expr_ptr e) {
    while (true) {
      if (at_op(".")) {
        const int l = next().line;
        auto a = make(expr::kind::attr, l);
        if (peek().type == tok::integer) a->name = next().text;  // foo.0 is foo[0]
        else a->name = expect_name();
        a->args.push_back(e);
        e = a;
      } else if (at_op("[")) {
        const int l = next().line;
        // a slice [a:b:c] or a subscript
        expr_ptr parts[3];
        int colons = 0;
        while (!at_op("]")) {
          if (at_op(":")) { next(); if (++colons > 2) err(l, "a slice takes at most two ':'"); continue; }
          if (parts[colons]) err(peek().line, "expected ']' or ':' in a subscript");
          parts[colons] = parse_expression();
        }
        next();
        if (colons == 0) {
          if (!parts[0]) err(l, "an empty subscript []");
          auto it = make(expr::kind::item, l);
          it->args = {e, parts[0]};
          e = it;
        } else {
          auto s = make(expr::kind::slice, l);
          s->args = {e, parts[0], parts[1], parts[2]};
          e = s;
        }
      } else if (at_op("(")) {
        auto c = make(expr::kind::call, peek().line);
        c->args.push_back(e);
        parse_call_args(*c);
        e = c;
      } else {
        return e;
      }
    }
  }

  expr_ptr parse_filters(expr_ptr e) {
    while (true) {
      if (at_op("|")) {
        const int l = next().line;
        auto f = make(expr::kind::filter, l);
        f->name = expect_name();
        f->args.push_back(e);
        if (at_op("(")) parse_call_args(*f);
        e = f;
      } else if (at_name("is")) {
        const int l = next().line;
        auto t = make(expr::kind::test, l);
        if (at_name("not")) { next(); t->negated = true; }
        t->name = expect_name();
        t->args.push_back(e);
        if (at_op("(")) parse_call_args(*t);
        else if (peek().type == tok::string || peek().type == tok::integer || peek().type == tok::floating ||
                 (peek().type == tok::name && peek().text != "and" && peek().text != "or" && peek().text != "else" &&
                  peek().text != "if" && peek().text != "not" && peek().text != "in" && peek().text != "is"))
          t->args.push_back(parse_primary());  // `x is divisibleby 3`, `x is sameas none`
        e = t;
      } else if (at_op("(")) {
        auto c = make(expr::kind::call, peek().line);
        c->args.push_back(e);
        parse_call_args(*c);
        e = c;
      } else {
        return e;
      }
    }
  }
};

inline body parse(std::string_view source, const std::string& where) {
  parser p(lex(source, where), where);
  return p.parse_template();
}

}  // namespace cactus::jinja
