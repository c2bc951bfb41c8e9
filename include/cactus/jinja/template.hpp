#pragma once
// A parsed Jinja template and its renderer. Scoping is Jinja2's: a for loop's body is a new
// scope each iteration (a `set` inside it does not leak out; namespace() objects carry state
// out), `if` adds no scope, macros see the scope they were defined in. The globals are those
// transformers gives chat templates: range, dict, namespace, raise_exception, strftime_now.
// Rendering is bounded (call depth, output size, loop iterations), so hostile templates end
// with an error, not a hang or a crash.
#include <ctime>
#include <memory>
#include <string>
#include <unordered_map>

#include "cactus/jinja/builtins.hpp"
#include "cactus/jinja/parser.hpp"

namespace cactus::jinja {

struct scope {
  std::unordered_map<std::string, value> vars;
  std::shared_ptr<scope> parent;

  const value* find(const std::string& n) const {
    for (const scope* s = this; s; s = s->parent.get()) {
      auto it = s->vars.find(n);
      if (it != s->vars.end()) return &it->second;
    }
    return nullptr;
  }
};
using scope_ptr = std::shared_ptr<scope>;

struct limits {
  std::size_t max_output = 64u << 20;      // bytes rendered
  std::size_t max_iterations = 10000000;   // loop bodies run, in all
  int max_call_depth = 64;                 // nested macro calls
};

class compiled_template {
 public:
  // `where` names the template's source in errors ("tokenizer_config.json", "chat_template.jinja")
  compiled_template(std::string_view source, std::string where) : where_(std::move(where)), body_(parse(source, where_)) {}

  std::string render(const object& variables, limits lim = {}) const {
    renderer r(*this, lim);
    auto globals = std::make_shared<scope>();
    r.install_globals(*globals);
    for (auto& [k, v] : variables.items) globals->vars[k] = v;
    auto top = std::make_shared<scope>();
    top->parent = globals;
    // namespaces can be made to hold themselves (`set ns.x = ns`): their attributes are dropped
    // when the render ends, however it ends, so that no reference cycle outlives it
    struct release {
      renderer& r;
      ~release() { for (auto& n : r.namespaces) n->attrs.items.clear(); }
    } rel{r};
    std::string out;
    r.exec(body_, top, out);
    return out;
  }

 private:
  std::string where_;
  body body_;

  enum class flow { normal, brk, cont };

  struct renderer {
    const compiled_template& t;
    limits lim;
    std::size_t iterations = 0;
    int depth = 0;
    std::vector<std::shared_ptr<name_space>> namespaces;  // made by this render

    renderer(const compiled_template& tt, limits l) : t(tt), lim(l) {}

    call_args args_at(int line) const {
      call_args a;
      a.line = line;
      a.where = t.where_;
      return a;
    }
    template <class... A>
    [[noreturn]] void err(int line, A&&... a) const {
      fail(t.where_, ": template line ", line, ": ", std::forward<A>(a)...);
    }

    void install_globals(scope& g) {
      const std::string where = t.where_;
      g.vars["range"] = make_function("range", [](call_args& a) -> value {
        std::int64_t start = 0, stop = 0, step = 1;
        if (a.pos.size() == 1) stop = as_int(a.pos[0], a, "range's argument");
        else if (a.pos.size() == 2 || a.pos.size() == 3) {
          start = as_int(a.pos[0], a, "range's start");
          stop = as_int(a.pos[1], a, "range's stop");
          if (a.pos.size() == 3) step = as_int(a.pos[2], a, "range's step");
        } else a.error("range takes 1 to 3 arguments");
        if (step == 0) a.error("range() arg 3 must not be zero");
        const double n = std::ceil((static_cast<double>(stop) - static_cast<double>(start)) / static_cast<double>(step));
        if (n > 1e6) a.error("range() of more than 10^6 items");
        array r;
        for (std::int64_t i = start; step > 0 ? i < stop : i > stop; i += step) r.emplace_back(i);
        return value(std::move(r));
      });
      g.vars["dict"] = make_function("dict", [](call_args& a) -> value {
        object o;
        if (!a.pos.empty()) {
          if (a.pos.size() > 1) a.error("dict takes at most one positional argument");
          if (a.pos[0].is_object()) o = a.pos[0].obj();
          else for (auto& kv : iterate(a.pos[0], a)) {
            if (!kv.is_array() || kv.arr().size() != 2 || !kv.arr()[0].is_string()) a.error("dict(): expected (key, value) pairs with string keys");
            o.set(kv.arr()[0].str(), kv.arr()[1]);
          }
        }
        for (auto& [k, v] : a.kw) o.set(k, v);
        return value(std::move(o));
      });
      g.vars["namespace"] = make_function("namespace", [this](call_args& a) -> value {
        auto n = std::make_shared<name_space>();
        namespaces.push_back(n);
        for (auto& p : a.pos) {
          if (!p.is_object()) a.error("namespace() takes a dict or keyword arguments");
          for (auto& [k, v] : p.obj().items) n->attrs.set(k, v);
        }
        for (auto& [k, v] : a.kw) {
          if (!k.empty() && k[0] == '_') a.error("namespace attributes cannot start with '_' (", k, ")");
          n->attrs.set(k, v);
        }
        return value(n);
      });
      g.vars["raise_exception"] = make_function("raise_exception", [where](call_args& a) -> value {
        fail(where, ": template line ", a.line, ": the template raised an error: ", a.pos.empty() ? std::string() : to_string(a.pos[0]));
      });
      g.vars["strftime_now"] = make_function("strftime_now", [](call_args& a) -> value {
        if (a.pos.empty() || !a.pos[0].is_string()) a.error("strftime_now takes a format string");
        const std::time_t now = std::time(nullptr);
        std::tm tm{};
        localtime_r(&now, &tm);
        char buf[512];
        const std::size_t n = std::strftime(buf, sizeof buf, a.pos[0].str().c_str(), &tm);
        return value(std::string(buf, n));
      });
    }

    // ---- expressions ----
    value eval(const expr& e, const scope_ptr& s) {
      switch (e.k) {
        case expr::kind::literal: return e.lit;
        case expr::kind::name: {
          const value* v = s->find(e.name);
          return v ? *v : value(undefined{e.name});
        }
        case expr::kind::attr: return get_attr(eval(*e.args[0], s), e.name, args_at(e.line));
        case expr::kind::item: return get_item(eval(*e.args[0], s), eval(*e.args[1], s), args_at(e.line));
        case expr::kind::slice: {
          value o = eval(*e.args[0], s);
          auto part = [&](int i) { return e.args[static_cast<std::size_t>(i)] ? eval(*e.args[static_cast<std::size_t>(i)], s) : value(nullptr); };
          return slice(o, part(1), part(2), part(3), args_at(e.line));
        }
        case expr::kind::list: {
          array a;
          for (auto& x : e.args) a.push_back(eval(*x, s));
          return value(std::move(a));
        }
        case expr::kind::tuple: {
          array a;
          for (auto& x : e.args) a.push_back(eval(*x, s));
          value t(std::move(a));
          t.tuple = true;
          return t;
        }
        case expr::kind::dict: {
          object o;
          for (std::size_t i = 0; i + 1 < e.args.size(); i += 2) {
            value k = eval(*e.args[i], s);
            if (!k.is_string()) err(e.line, "dict keys must be strings here, got ", k.type_name());
            o.set(k.str(), eval(*e.args[i + 1], s));
          }
          return value(std::move(o));
        }
        case expr::kind::unary: {
          value x = eval(*e.args[0], s);
          if (e.name == "not") return value(!truthy(x));
          if (!x.is_number()) err(e.line, "bad operand type for unary ", e.name, ": '", x.type_name(), "'");
          if (e.name == "+") return x.is_bool() ? value(x.integer()) : x;
          if (x.is_float()) return value(-x.number());
          if (x.integer() == INT64_MIN) err(e.line, "integer overflow in unary -");
          return value(-x.integer());
        }
        case expr::kind::binary: {
          if (e.name == "and") { value a = eval(*e.args[0], s); return truthy(a) ? eval(*e.args[1], s) : a; }
          if (e.name == "or") { value a = eval(*e.args[0], s); return truthy(a) ? a : eval(*e.args[1], s); }
          value a = eval(*e.args[0], s), b = eval(*e.args[1], s);
          return arith(e.name, a, b, args_at(e.line));
        }
        case expr::kind::compare: {
          value left = eval(*e.args[0], s);
          const call_args at = args_at(e.line);
          for (std::size_t i = 0; i < e.ops.size(); ++i) {
            value right = eval(*e.args[i + 1], s);
            const std::string& op = e.ops[i];
            bool r;
            if (op == "==") r = equal(left, right);
            else if (op == "!=") r = !equal(left, right);
            else if (op == "in") r = contains(right, left, at);
            else if (op == "not in") r = !contains(right, left, at);
            else {
              if (left.is_undefined() || right.is_undefined()) err(e.line, left.is_undefined() ? left.undefined_reason() : right.undefined_reason(), " (compared with ", op, ")");
              const int c = compare(left, right, at);
              r = op == "<" ? c < 0 : op == ">" ? c > 0 : op == "<=" ? c <= 0 : c >= 0;
            }
            if (!r) return value(false);
            left = std::move(right);
          }
          return value(true);
        }
        case expr::kind::cond:
          if (truthy(eval(*e.args[0], s))) return eval(*e.args[1], s);
          return e.args.size() > 2 ? eval(*e.args[2], s) : value(undefined{"the else branch"});
        case expr::kind::filter: {
          value subject = eval(*e.args[0], s);
          call_args a = collect(e, s, 1);
          return apply_filter(e.name, subject, a);
        }
        case expr::kind::test: {
          value subject = eval(*e.args[0], s);
          call_args a = collect(e, s, 1);
          const bool r = apply_test(e.name, subject, a);
          return value(e.negated ? !r : r);
        }
        case expr::kind::call: {
          value f = eval(*e.args[0], s);
          call_args a = collect(e, s, 1);
          if (f.is_undefined()) err(e.line, f.undefined_reason(), " (called as a function)");
          if (!f.is_function()) err(e.line, "'", f.type_name(), "' object is not callable");
          if (++depth > lim.max_call_depth) err(e.line, "calls nest deeper than ", lim.max_call_depth, " levels");
          value r = f.fn().fn(a);
          --depth;
          return r;
        }
      }
      err(e.line, "an unknown expression");
    }

    call_args collect(const expr& e, const scope_ptr& s, std::size_t from) {
      call_args a = args_at(e.line);
      for (std::size_t i = from; i < e.args.size(); ++i) a.pos.push_back(eval(*e.args[i], s));
      for (auto& [k, x] : e.kwargs) a.kw.emplace_back(k, eval(*x, s));
      return a;
    }

    // ---- statements ----
    void emit(std::string& out, const std::string& s, int line) {
      out += s;
      if (out.size() > lim.max_output) err(line, "the output exceeds ", lim.max_output, " bytes");
    }

    void assign(const stmt& st, const std::string& target, value v, const scope_ptr& s) {
      const auto dot = target.find('.');
      if (dot == std::string::npos) { s->vars[target] = std::move(v); return; }
      const std::string ns = target.substr(0, dot), attr = target.substr(dot + 1);
      const value* n = s->find(ns);
      if (!n || !n->is_namespace()) err(st.line, "'set ", target, "': '", ns, "' is not a namespace()");
      if (!attr.empty() && attr[0] == '_') err(st.line, "namespace attributes cannot start with '_' (", attr, ")");
      n->ns().attrs.set(attr, std::move(v));
    }

    flow exec(const body& b, const scope_ptr& s, std::string& out) {
      for (auto& p : b) {
        const stmt& st = *p;
        switch (st.k) {
          case stmt::kind::text: emit(out, st.text, st.line); break;
          case stmt::kind::output: emit(out, to_string(eval(*st.e, s)), st.line); break;
          case stmt::kind::if_: {
            bool taken = false;
            for (auto& [c, body] : st.branches) {
              if (truthy(eval(*c, s))) {
                taken = true;
                if (flow f = exec(body, s, out); f != flow::normal) return f;
                break;
              }
            }
            if (!taken) if (flow f = exec(st.otherwise, s, out); f != flow::normal) return f;
            break;
          }
          case stmt::kind::for_: run_for(st, s, out); break;
          case stmt::kind::set: {
            value v = eval(*st.e, s);
            if (st.targets.size() == 1) { assign(st, st.targets[0], std::move(v), s); break; }
            array xs = iterate(v, args_at(st.line));
            if (xs.size() != st.targets.size()) err(st.line, "cannot unpack ", xs.size(), " values into ", st.targets.size(), " names");
            for (std::size_t i = 0; i < xs.size(); ++i) assign(st, st.targets[i], xs[i], s);
            break;
          }
          case stmt::kind::set_block: {
            std::string captured;
            exec(st.then, s, captured);
            assign(st, st.targets[0], value(captured), s);
            break;
          }
          case stmt::kind::macro: define_macro(st, s); break;
          case stmt::kind::break_: return flow::brk;
          case stmt::kind::continue_: return flow::cont;
          case stmt::kind::generation:
            if (flow f = exec(st.then, s, out); f != flow::normal) return f;
            break;
        }
      }
      return flow::normal;
    }

    void run_for(const stmt& st, const scope_ptr& s, std::string& out) {
      const call_args at = args_at(st.line);
      array items = iterate(eval(*st.e, s), at);
      auto bind = [&](const scope_ptr& sc, const value& item) {
        if (st.targets.size() == 1) { sc->vars[st.targets[0]] = item; return; }
        array xs = iterate(item, at);
        if (xs.size() != st.targets.size()) err(st.line, "cannot unpack ", xs.size(), " values into ", st.targets.size(), " loop variables");
        for (std::size_t i = 0; i < xs.size(); ++i) sc->vars[st.targets[i]] = xs[i];
      };
      if (st.cond) {  // the `if` filter runs first; loop.* counts what it kept
        array kept;
        for (auto& item : items) {
          auto sc = std::make_shared<scope>();
          sc->parent = s;
          bind(sc, item);
          if (truthy(eval(*st.cond, sc))) kept.push_back(item);
        }
        items = std::move(kept);
      }
      if (items.empty()) { exec(st.otherwise, s, out); return; }
      const std::size_t n = items.size();
      for (std::size_t i = 0; i < n; ++i) {
        if (++iterations > lim.max_iterations) err(st.line, "more than ", lim.max_iterations, " loop iterations");
        auto sc = std::make_shared<scope>();
        sc->parent = s;
        object loop;
        loop.items = {{"index", value(i + 1)}, {"index0", value(i)}, {"revindex", value(n - i)}, {"revindex0", value(n - i - 1)},
                      {"first", value(i == 0)}, {"last", value(i + 1 == n)}, {"length", value(n)}, {"depth", value(1)}, {"depth0", value(0)},
                      {"previtem", i > 0 ? items[i - 1] : value(undefined{"loop.previtem"})},
                      {"nextitem", i + 1 < n ? items[i + 1] : value(undefined{"loop.nextitem"})}};
        loop.items.emplace_back("cycle", make_function("cycle", [i](call_args& a) -> value {
          if (a.pos.empty()) a.error("loop.cycle takes at least one value");
          return a.pos[i % a.pos.size()];
        }));
        sc->vars["loop"] = value(std::move(loop));
        bind(sc, items[i]);
        if (exec(st.then, sc, out) == flow::brk) break;
      }
    }

    void define_macro(const stmt& st, const scope_ptr& s) {
      const stmt* m = &st;
      std::weak_ptr<scope> defining = s;
      renderer* self = this;
      s->vars[st.text] = make_function(st.text, [m, defining, self](call_args& a) -> value {
        auto sc = std::make_shared<scope>();
        sc->parent = defining.lock();
        if (a.pos.size() > m->params.size()) a.error("macro '", m->text, "' takes ", m->params.size(), " arguments, got ", a.pos.size());
        for (std::size_t i = 0; i < m->params.size(); ++i) {
          const auto& [pname, dflt] = m->params[i];
          const value* v = nullptr;
          for (auto& [k, x] : a.kw) if (k == pname) v = &x;
          if (!v && i < a.pos.size()) v = &a.pos[i];
          sc->vars[pname] = v ? *v : dflt ? self->eval(*dflt, sc) : value(undefined{pname});
        }
        for (auto& [k, x] : a.kw) {
          bool known = false;
          for (auto& [pname, d] : m->params) known = known || pname == k;
          if (!known) a.error("macro '", m->text, "' has no parameter '", k, "'");
        }
        std::string out;
        self->exec(m->then, sc, out);
        return value(out);
      });
    }
  };
};



}  // namespace cactus::jinja
