#pragma once
// What a template can call: Jinja2's filters and tests, the methods of str / dict / list that
// chat templates use (the immutable sandbox's set: nothing that mutates), Python's operators
// on values, and the attribute / subscript rules (a.b tries the attribute, then the item; a
// missing key is Undefined, not an error). Each raises a cactus::error naming the template
// line, as Jinja raises TemplateError.
#include <algorithm>
#include <cmath>
#include <ctime>
#include <map>

#include <utf8proc.h>

#include "cactus/jinja/value.hpp"

namespace cactus::jinja {

struct call_args {
  std::vector<value> pos;
  std::vector<std::pair<std::string, value>> kw;
  int line = 0;
  std::string where;

  template <class... A>
  [[noreturn]] void error(A&&... a) const {
    fail(where, ": template line ", line, ": ", std::forward<A>(a)...);
  }
  // the argument at position i or named `name`, or nullptr
  const value* get(std::size_t i, std::string_view name) const {
    for (auto& [k, v] : kw)
      if (k == name) return &v;
    return i < pos.size() ? &pos[i] : nullptr;
  }
  value get_or(std::size_t i, std::string_view name, value d) const {
    const value* v = get(i, name);
    return v ? *v : d;
  }
};

// ---- truth, equality, order (Python's) ----------------------------------------------------------
inline bool truthy(const value& v) {
  return std::visit([](auto& x) -> bool {
    using T = std::decay_t<decltype(x)>;
    if constexpr (std::is_same_v<T, undefined> || std::is_same_v<T, std::nullptr_t>) return false;
    else if constexpr (std::is_same_v<T, bool>) return x;
    else if constexpr (std::is_same_v<T, std::int64_t> || std::is_same_v<T, double>) return x != 0;
    else if constexpr (std::is_same_v<T, std::string>) return !x.empty();
    else if constexpr (std::is_same_v<T, std::shared_ptr<array>>) return !x->empty();
    else if constexpr (std::is_same_v<T, std::shared_ptr<object>>) return !x->items.empty();
    else return true;
  }, v.v);
}

inline bool equal(const value& a, const value& b) {
  if (a.is_number() && b.is_number()) {
    if (a.is_float() || b.is_float()) return a.number() == b.number();
    return a.integer() == b.integer();
  }
  if (a.v.index() != b.v.index()) return false;
  if (a.is_undefined() || a.is_none()) return true;
  if (a.is_string()) return a.str() == b.str();
  if (a.is_array()) {
    if (a.arr().size() != b.arr().size()) return false;
    for (std::size_t i = 0; i < a.arr().size(); ++i) if (!equal(a.arr()[i], b.arr()[i])) return false;
    return true;
  }
  if (a.is_object()) {
    if (a.obj().items.size() != b.obj().items.size()) return false;
    for (auto& [k, x] : a.obj().items) {
      const value* y = b.obj().find(k);
      if (!y || !equal(x, *y)) return false;
    }
    return true;
  }
  if (a.is_namespace()) return &a.ns() == &b.ns();
  if (a.is_function()) return &a.fn() == &b.fn();
  return false;
}

// <0, 0, >0; a TypeError as Python raises it for unorderable types
inline int compare(const value& a, const value& b, const call_args& at) {
  if (a.is_number() && b.is_number()) {
    const double x = a.number(), y = b.number();
    if (!a.is_float() && !b.is_float()) return a.integer() < b.integer() ? -1 : a.integer() > b.integer();
    return x < y ? -1 : x > y;
  }
  if (a.is_string() && b.is_string()) return a.str() < b.str() ? -1 : a.str() > b.str();
  if (a.is_array() && b.is_array()) {
    for (std::size_t i = 0; i < std::min(a.arr().size(), b.arr().size()); ++i) {
      if (equal(a.arr()[i], b.arr()[i])) continue;
      return compare(a.arr()[i], b.arr()[i], at);
    }
    return a.arr().size() < b.arr().size() ? -1 : a.arr().size() > b.arr().size();
  }
  at.error("'<' not supported between instances of '", a.type_name(), "' and '", b.type_name(), "'");
}

// ---- strings --------------------------------------------------------------------------------------
namespace str {
inline std::string strip(const std::string& s, const value* chars, bool left, bool right) {
  const std::u32string u = utf8::decode(s);
  std::u32string set;
  const bool ws = !chars || chars->is_none();
  if (!ws) set = utf8::decode(chars->str());
  auto drop = [&](char32_t c) { return ws ? utf8::is_space(c) : set.find(c) != std::u32string::npos; };
  std::size_t b = 0, e = u.size();
  if (left) while (b < e && drop(u[b])) ++b;
  if (right) while (e > b && drop(u[e - 1])) --e;
  return utf8::encode(std::u32string_view(u).substr(b, e - b));
}
inline array split(const std::string& s, const value* sep, std::int64_t maxsplit, const call_args& at) {
  array r;
  if (!sep || sep->is_none()) {  // runs of whitespace, no empty pieces
    const std::u32string u = utf8::decode(s);
    std::size_t i = 0;
    while (true) {
      while (i < u.size() && utf8::is_space(u[i])) ++i;
      if (i >= u.size()) break;
      if (maxsplit >= 0 && static_cast<std::int64_t>(r.size()) == maxsplit) {
        std::size_t e = u.size();
        while (e > i && utf8::is_space(u[e - 1])) --e;
        r.emplace_back(utf8::encode(std::u32string_view(u).substr(i, e - i)));
        break;
      }
      std::size_t j = i;
      while (j < u.size() && !utf8::is_space(u[j])) ++j;
      r.emplace_back(utf8::encode(std::u32string_view(u).substr(i, j - i)));
      i = j;
    }
    return r;
  }
  if (!sep->is_string()) at.error("split: the separator must be a string, got ", sep->type_name());
  const std::string& d = sep->str();
  if (d.empty()) at.error("split: empty separator");
  std::size_t i = 0;
  while (true) {
    const std::size_t j = s.find(d, i);
    if (j == std::string::npos || (maxsplit >= 0 && static_cast<std::int64_t>(r.size()) == maxsplit)) { r.emplace_back(s.substr(i)); break; }
    r.emplace_back(s.substr(i, j - i));
    i = j + d.size();
  }
  return r;
}
inline std::string map_case(const std::string& s, int mode) {  // 0 lower, 1 upper, 2 title, 3 capitalize
  std::string r;
  bool prev_cased = false;
  std::size_t k = 0;
  for (char32_t c : utf8::decode(s)) {
    const auto cp = static_cast<utf8proc_int32_t>(c);
    char32_t o = c;
    // the one-to-many casings Python applies (SpecialCasing.txt) that chat text meets: ß, ﬀ-ﬆ
    const bool title_here = (mode == 2 && !prev_cased) || (mode == 3 && k == 0);
    if ((mode == 1 || title_here) && (c == 0xDF || (c >= 0xFB00 && c <= 0xFB06))) {
      static const char* upper[] = {"FF", "FI", "FL", "FFI", "FFL", "ST", "ST"};
      static const char* title[] = {"Ff", "Fi", "Fl", "Ffi", "Ffl", "St", "St"};
      r += c == 0xDF ? (mode == 1 ? "SS" : "Ss") : (mode == 1 ? upper : title)[c - 0xFB00];
      prev_cased = true;
      ++k;
      continue;
    }
    if (mode == 0) o = static_cast<char32_t>(utf8proc_tolower(cp));
    else if (mode == 1) o = static_cast<char32_t>(utf8proc_toupper(cp));
    else if (mode == 2) o = static_cast<char32_t>(prev_cased ? utf8proc_tolower(cp) : utf8proc_totitle(cp));
    else o = static_cast<char32_t>(k == 0 ? utf8proc_totitle(cp) : utf8proc_tolower(cp));
    const auto cat = utf8proc_category(cp);
    prev_cased = cat == UTF8PROC_CATEGORY_LU || cat == UTF8PROC_CATEGORY_LL || cat == UTF8PROC_CATEGORY_LT;
    utf8::append(r, o);
    ++k;
  }
  return r;
}
inline std::string replace(const std::string& s, const std::string& a, const std::string& b, std::int64_t count) {
  std::string r;
  if (a.empty()) {  // Python inserts b between every code point
    const std::u32string u = utf8::decode(s);
    std::int64_t n = 0;
    for (std::size_t i = 0; i <= u.size(); ++i) {
      if (count < 0 || n < count) { r += b; ++n; }
      if (i < u.size()) utf8::append(r, u[i]);
    }
    return r;
  }
  std::size_t i = 0;
  std::int64_t n = 0;
  while (true) {
    const std::size_t j = s.find(a, i);
    if (j == std::string::npos || (count >= 0 && n >= count)) { r += s.substr(i); break; }
    r += s.substr(i, j - i) + b;
    i = j + a.size();
    ++n;
  }
  return r;
}
}  // namespace str

// ---- attributes, items, iteration ---------------------------------------------------------------
inline value make_function(std::string name, std::function<value(call_args&)> fn) {
  return value(std::make_shared<function>(function{std::move(name), std::move(fn)}));
}

inline std::int64_t as_int(const value& v, const call_args& at, const char* what) {
  if (!v.is_int() && !v.is_bool()) at.error(what, " must be an integer, got ", v.type_name());
  return v.integer();
}

// list(x): what a for loop walks over
inline array iterate(const value& v, const call_args& at) {
  if (v.is_undefined()) return {};
  if (v.is_array()) return v.arr();
  if (v.is_object()) {
    array r;
    for (auto& [k, x] : v.obj().items) r.emplace_back(k);
    return r;
  }
  if (v.is_string()) {
    array r;
    for (char32_t c : utf8::decode(v.str())) { std::string s; utf8::append(s, c); r.emplace_back(std::move(s)); }
    return r;
  }
  at.error("'", v.type_name(), "' object is not iterable");
}

inline std::size_t length(const value& v, const call_args& at) {
  if (v.is_undefined()) return 0;
  if (v.is_string()) return utf8::length(v.str());
  if (v.is_array()) return v.arr().size();
  if (v.is_object()) return v.obj().items.size();
  at.error("object of type '", v.type_name(), "' has no len()");
}

inline value method(const value& self, const std::string& name);

// obj[key] then getattr (subscript syntax), or getattr then obj[key] (dot syntax)
inline value get_item(const value& o, const value& key, const call_args& at) {
  if (o.is_undefined()) at.error(o.undefined_reason(), " (subscripted with ", repr(key), ")");
  if (o.is_object() && key.is_string()) {
    if (const value* v = o.obj().find(key.str())) return *v;
    return method(o, key.str());
  }
  if (o.is_namespace() && key.is_string()) {
    if (const value* v = o.ns().attrs.find(key.str())) return *v;
    return value(undefined{key.str()});
  }
  if ((o.is_array() || o.is_string()) && (key.is_int() || key.is_bool())) {
    const std::int64_t n = static_cast<std::int64_t>(length(o, at));
    std::int64_t i = key.integer();
    if (i < 0) i += n;
    if (i < 0 || i >= n) return value(undefined{repr(key)});
    if (o.is_array()) return o.arr()[static_cast<std::size_t>(i)];
    if (utf8::is_ascii(o.str())) return value(o.str().substr(static_cast<std::size_t>(i), 1));
    std::string s;
    utf8::append(s, utf8::decode(o.str())[static_cast<std::size_t>(i)]);
    return value(s);
  }
  if (key.is_string()) return method(o, key.str());
  return value(undefined{repr(key)});
}

inline value get_attr(const value& o, const std::string& name, const call_args& at) {
  if (o.is_undefined()) at.error(o.undefined_reason(), " (its attribute '", name, "' was read)");
  if (o.is_namespace()) {
    if (const value* v = o.ns().attrs.find(name)) return *v;
    return value(undefined{name});
  }
  value m = method(o, name);
  if (!m.is_undefined()) return m;
  if (o.is_object()) {
    if (const value* v = o.obj().find(name)) return *v;
    return value(undefined{name, ""});
  }
  if (o.is_array() && !name.empty() && name.size() < 18 && std::all_of(name.begin(), name.end(), ::isdigit))
    return get_item(o, value(static_cast<std::int64_t>(std::stoll(name))), at);
  return value(undefined{name, o.type_name()});
}

inline value slice(const value& o, const value& a, const value& b, const value& c, const call_args& at) {
  if (o.is_undefined()) at.error(o.undefined_reason(), " (sliced)");
  if (!o.is_array() && !o.is_string()) at.error("'", o.type_name(), "' object is not subscriptable");
  const std::int64_t n = static_cast<std::int64_t>(length(o, at));
  const std::int64_t step = c.is_undefined() || c.is_none() ? 1 : as_int(c, at, "a slice step");
  if (step == 0) at.error("slice step cannot be zero");
  auto norm = [&](const value& v, std::int64_t dflt) {
    if (v.is_undefined() || v.is_none()) return dflt;
    std::int64_t i = as_int(v, at, "a slice index");
    if (i < 0) i += n;
    if (step > 0) return std::clamp<std::int64_t>(i, 0, n);
    return std::clamp<std::int64_t>(i, -1, n - 1);
  };
  const std::int64_t lo = norm(a, step > 0 ? 0 : n - 1), hi = norm(b, step > 0 ? n : -1);
  std::vector<std::int64_t> idx;
  for (std::int64_t i = lo; step > 0 ? i < hi : i > hi; i += step) idx.push_back(i);
  if (o.is_array()) {
    array r;
    for (auto i : idx) r.push_back(o.arr()[static_cast<std::size_t>(i)]);
    return value(std::move(r));
  }
  const std::u32string u = utf8::decode(o.str());
  std::u32string r;
  for (auto i : idx) r.push_back(u[static_cast<std::size_t>(i)]);
  return value(utf8::encode(r));
}

// the characters argument of strip() / trim: a string or None
inline const value* chars_arg(const call_args& a, const std::string& fn) {
  const value* c = a.get(0, "chars");
  if (c && c->is_undefined()) a.error(fn, "(): ", c->undefined_reason());
  if (c && !c->is_none() && !c->is_string()) a.error(fn, "() arg must be None or str, not ", c->type_name());
  return c;
}

// ---- the methods of str and dict ------------------------------------------------------------------
inline value method(const value& self, const std::string& name) {
  auto bound = [&](auto fn) { return make_function(name, [self, fn](call_args& a) -> value { return fn(self, a); }); };
  if (self.is_string()) {
    static const char* names[] = {"startswith", "endswith", "split", "rsplit", "strip", "lstrip", "rstrip", "replace", "upper", "lower",
                                  "title", "capitalize", "find", "rfind", "count", "join", "splitlines", "isdigit", "isalpha", "isspace",
                                  "isalnum", "isupper", "islower", "removeprefix", "removesuffix"};
    if (std::find(std::begin(names), std::end(names), name) == std::end(names)) return value(undefined{name});
    return bound([name](const value& s, call_args& a) -> value {
      const std::string& x = s.str();
      auto arg_str = [&](std::size_t i, const char* n) -> const std::string& {
        const value* v = a.get(i, n);
        if (!v || !v->is_string()) a.error("str.", name, "() takes a string argument");
        return v->str();
      };
      if (name == "startswith" || name == "endswith") {
        const value* p = a.get(0, "prefix");
        if (!p) a.error("str.", name, "() takes one argument");
        auto test = [&](const std::string& q) {
          return name == "startswith" ? x.compare(0, q.size(), q) == 0 : x.size() >= q.size() && x.compare(x.size() - q.size(), q.size(), q) == 0;
        };
        if (p->is_string()) return value(test(p->str()));
        if (p->is_array()) { for (auto& q : p->arr()) if (q.is_string() && test(q.str())) return value(true); return value(false); }
        a.error("str.", name, "() takes a string or a tuple of strings");
      }
      if (name == "split" || name == "rsplit") {
        const value* sep = a.get(0, "sep");
        const std::int64_t maxsplit = a.get(1, "maxsplit") ? as_int(*a.get(1, "maxsplit"), a, "maxsplit") : -1;
        if (name == "rsplit" && maxsplit >= 0) {
          // split from the right: reverse, split with the reversed separator, reverse back
          if (!sep || sep->is_none()) a.error("str.rsplit(None, maxsplit) is not supported");
          if (!sep->is_string() || sep->str().empty()) a.error("str.rsplit: the separator must be a non-empty string");
          auto rev = [](const std::string& q) { auto u = utf8::decode(q); std::reverse(u.begin(), u.end()); return utf8::encode(u); };
          const value rs(rev(sep->str()));
          array parts = str::split(rev(x), &rs, maxsplit, a);
          std::reverse(parts.begin(), parts.end());
          for (auto& p : parts) p = value(rev(p.str()));
          return value(std::move(parts));
        }
        return value(str::split(x, sep, maxsplit, a));
      }
      if (name == "strip" || name == "lstrip" || name == "rstrip") return value(str::strip(x, chars_arg(a, name), name != "rstrip", name != "lstrip"));
      if (name == "replace") {
        const std::int64_t count = a.get(2, "count") ? as_int(*a.get(2, "count"), a, "count") : -1;
        return value(str::replace(x, arg_str(0, "old"), arg_str(1, "new"), count));
      }
      if (name == "upper") return value(str::map_case(x, 1));
      if (name == "lower") return value(str::map_case(x, 0));
      if (name == "title") return value(str::map_case(x, 2));
      if (name == "capitalize") return value(str::map_case(x, 3));
      if (name == "find" || name == "rfind") {
        const std::string& q = arg_str(0, "sub");
        const std::size_t p = name == "find" ? x.find(q) : x.rfind(q);
        return value(p == std::string::npos ? std::int64_t{-1} : static_cast<std::int64_t>(utf8::length(std::string_view(x).substr(0, p))));
      }
      if (name == "count") {
        const std::string& q = arg_str(0, "sub");
        if (q.empty()) return value(static_cast<std::int64_t>(utf8::length(x) + 1));
        std::int64_t n = 0;
        for (std::size_t p = x.find(q); p != std::string::npos; p = x.find(q, p + q.size())) ++n;
        return value(n);
      }
      if (name == "join") {
        const value* it = a.get(0, "iterable");
        if (!it) a.error("str.join() takes one argument");
        std::string r;
        bool first = true;
        for (auto& p : iterate(*it, a)) {
          if (!p.is_string()) a.error("str.join(): expected str instance, ", p.type_name(), " found");
          r += (first ? "" : x) + p.str();
          first = false;
        }
        return value(r);
      }
      if (name == "splitlines") {
        array r;
        std::size_t i = 0;
        while (i < x.size()) {
          std::size_t j = x.find_first_of("\n\r", i);
          if (j == std::string::npos) { r.emplace_back(x.substr(i)); break; }
          r.emplace_back(x.substr(i, j - i));
          i = j + (x[j] == '\r' && j + 1 < x.size() && x[j + 1] == '\n' ? 2 : 1);
        }
        return value(std::move(r));
      }
      if (name == "removeprefix") { const std::string& q = arg_str(0, "prefix"); return value(x.compare(0, q.size(), q) == 0 ? x.substr(q.size()) : x); }
      if (name == "removesuffix") {
        const std::string& q = arg_str(0, "suffix");
        return value(x.size() >= q.size() && x.compare(x.size() - q.size(), q.size(), q) == 0 ? x.substr(0, x.size() - q.size()) : x);
      }
      // the is*() predicates
      const std::u32string u = utf8::decode(x);
      if (u.empty()) return value(false);
      bool cased = false, all = true;
      for (char32_t c : u) {
        const auto cat = utf8proc_category(static_cast<utf8proc_int32_t>(c));
        const bool letter = cat >= UTF8PROC_CATEGORY_LU && cat <= UTF8PROC_CATEGORY_LO;
        const bool digit = cat == UTF8PROC_CATEGORY_ND;
        if (name == "isdigit") all = all && digit;
        else if (name == "isalpha") all = all && letter;
        else if (name == "isalnum") all = all && (letter || digit || cat == UTF8PROC_CATEGORY_NL || cat == UTF8PROC_CATEGORY_NO);
        else if (name == "isspace") all = all && utf8::is_space(c);
        else if (name == "isupper") { if (cat == UTF8PROC_CATEGORY_LL) all = false; cased = cased || cat == UTF8PROC_CATEGORY_LU; }
        else if (name == "islower") { if (cat == UTF8PROC_CATEGORY_LU || cat == UTF8PROC_CATEGORY_LT) all = false; cased = cased || cat == UTF8PROC_CATEGORY_LL; }
      }
      if (name == "isupper" || name == "islower") return value(all && cased);
      return value(all);
    });
  }
  if (self.is_object()) {
    if (name == "items") return bound([](const value& d, call_args&) -> value {
      array r;
      for (auto& [k, x] : d.obj().items) { value p(array{value(k), x}); p.tuple = true; r.push_back(std::move(p)); }
      return value(std::move(r));
    });
    if (name == "keys") return bound([](const value& d, call_args&) -> value {
      array r;
      for (auto& [k, x] : d.obj().items) r.emplace_back(k);
      return value(std::move(r));
    });
    if (name == "values") return bound([](const value& d, call_args&) -> value {
      array r;
      for (auto& [k, x] : d.obj().items) r.push_back(x);
      return value(std::move(r));
    });
    if (name == "get") return bound([](const value& d, call_args& a) -> value {
      const value* k = a.get(0, "key");
      if (!k) a.error("dict.get() takes a key");
      if (k->is_string()) if (const value* v = d.obj().find(k->str())) return *v;
      return a.get_or(1, "default", value(nullptr));
    });
  }
  return value(undefined{name});
}

// ---- operators ------------------------------------------------------------------------------------
inline value arith(const std::string& op, const value& a, const value& b, const call_args& at) {
  auto bad = [&]() -> value {
    if (a.is_undefined() || b.is_undefined())
      at.error(a.is_undefined() ? a.undefined_reason() : b.undefined_reason(), " (used with '", op, "')");
    at.error("unsupported operand type(s) for ", op, ": '", a.type_name(), "' and '", b.type_name(), "'");
  };
  if (op == "~") return value(to_string(a) + to_string(b));
  if (op == "+") {
    if (a.is_string() && b.is_string()) return value(a.str() + b.str());
    if (a.is_array() && b.is_array()) { array r = a.arr(); r.insert(r.end(), b.arr().begin(), b.arr().end()); return value(std::move(r)); }
  }
  if (op == "*" && ((a.is_string() || a.is_array()) && (b.is_int() || b.is_bool()))) {
    const std::int64_t n = std::max<std::int64_t>(0, b.integer());
    if (static_cast<double>(n) * static_cast<double>(length(a, at)) > 1e8) at.error("a repetition of more than 10^8 items");
    if (a.is_string()) { std::string r; for (std::int64_t i = 0; i < n; ++i) r += a.str(); return value(r); }
    array r;
    for (std::int64_t i = 0; i < n; ++i) r.insert(r.end(), a.arr().begin(), a.arr().end());
    return value(std::move(r));
  }
  if (!a.is_number() || !b.is_number()) return bad();
  const bool fl = a.is_float() || b.is_float();
  if (op == "/") {
    if (b.number() == 0) at.error("division by zero");
    return value(a.number() / b.number());
  }
  if (op == "**") {
    if (!fl && b.integer() >= 0) {
      std::int64_t r = 1;
      for (std::int64_t i = 0; i < b.integer(); ++i) {
        if (__builtin_mul_overflow(r, a.integer(), &r)) at.error("integer overflow in **");
      }
      return value(r);
    }
    return value(std::pow(a.number(), b.number()));
  }
  if (fl) {
    const double x = a.number(), y = b.number();
    if (op == "+") return value(x + y);
    if (op == "-") return value(x - y);
    if (op == "*") return value(x * y);
    if (y == 0) at.error("float division by zero");
    if (op == "//") return value(std::floor(x / y));
    if (op == "%") { double m = std::fmod(x, y); if (m != 0 && ((m < 0) != (y < 0))) m += y; return value(m); }
  } else {
    const std::int64_t x = a.integer(), y = b.integer();
    std::int64_t r = 0;
    if (op == "+") { if (__builtin_add_overflow(x, y, &r)) at.error("integer overflow in +"); return value(r); }
    if (op == "-") { if (__builtin_sub_overflow(x, y, &r)) at.error("integer overflow in -"); return value(r); }
    if (op == "*") { if (__builtin_mul_overflow(x, y, &r)) at.error("integer overflow in *"); return value(r); }
    if (y == 0) at.error("integer division or modulo by zero");
    if (y == -1 && x == INT64_MIN) at.error("integer overflow in ", op);
    std::int64_t q = x / y, m = x % y;
    if (m != 0 && ((m < 0) != (y < 0))) { --q; m += y; }
    if (op == "//") return value(q);
    if (op == "%") return value(m);
  }
  return bad();
}

inline bool contains(const value& container, const value& x, const call_args& at) {
  if (container.is_undefined()) return false;
  if (container.is_string()) {
    if (!x.is_string()) at.error("'in <string>' requires string as left operand, not ", x.type_name());
    return container.str().find(x.str()) != std::string::npos;
  }
  if (container.is_array()) {
    for (auto& y : container.arr()) if (equal(x, y)) return true;
    return false;
  }
  if (container.is_object()) return x.is_string() && container.obj().find(x.str()) != nullptr;
  at.error("argument of type '", container.type_name(), "' is not iterable");
}

// ---- tests ----------------------------------------------------------------------------------------
inline bool apply_test(const std::string& name, const value& v, call_args& a) {
  auto arg = [&]() -> const value& {
    if (a.pos.empty()) a.error("the test '", name, "' takes an argument");
    return a.pos[0];
  };
  if (name == "defined") return !v.is_undefined();
  if (name == "undefined") return v.is_undefined();
  if (name == "none") return v.is_none();
  if (name == "string") return v.is_string();
  if (name == "number") return v.is_number();
  if (name == "integer") return v.is_int();
  if (name == "float") return v.is_float();
  if (name == "boolean") return v.is_bool();
  if (name == "true") return v.is_bool() && v.boolean();
  if (name == "false") return v.is_bool() && !v.boolean();
  if (name == "mapping") return v.is_object();
  if (name == "iterable") return v.is_string() || v.is_array() || v.is_object() || v.is_undefined();
  if (name == "sequence") return v.is_string() || v.is_array() || v.is_object() || v.is_undefined();
  if (name == "callable") return v.is_function();
  if (name == "odd") return as_int(v, a, "the value tested") % 2 != 0;
  if (name == "even") return as_int(v, a, "the value tested") % 2 == 0;
  if (name == "divisibleby") { const auto d = as_int(arg(), a, "divisibleby's argument"); if (d == 0) a.error("divisibleby 0"); return as_int(v, a, "the value tested") % d == 0; }
  if (name == "eq" || name == "equalto" || name == "==") return equal(v, arg());
  if (name == "ne" || name == "!=") return !equal(v, arg());
  if (name == "lt" || name == "lessthan" || name == "<") return compare(v, arg(), a) < 0;
  if (name == "gt" || name == "greaterthan" || name == ">") return compare(v, arg(), a) > 0;
  if (name == "le" || name == "<=") return compare(v, arg(), a) <= 0;
  if (name == "ge" || name == ">=") return compare(v, arg(), a) >= 0;
  if (name == "in") return contains(arg(), v, a);
  if (name == "sameas") {
    const value& o = arg();
    if (v.v.index() != o.v.index()) return false;
    if (v.is_array()) return &v.arr() == &o.arr();
    if (v.is_object()) return &v.obj() == &o.obj();
    return equal(v, o);
  }
  if (name == "lower") return v.is_string() && str::map_case(v.str(), 0) == v.str();
  if (name == "upper") return v.is_string() && str::map_case(v.str(), 1) == v.str();
  a.error("the test '", name, "' is not supported");
}

// ---- filters --------------------------------------------------------------------------------------
inline value apply_filter(const std::string& name, const value& v, call_args& a);

inline json_style tojson_style(call_args& a) {
  json_style st;
  if (const value* e = a.get(0, "ensure_ascii")) st.ensure_ascii = truthy(*e);
  if (const value* i = a.get(1, "indent"); i && !i->is_none()) {
    if (i->is_string()) a.error("tojson: an indent given as a string is not supported");
    st.indent = static_cast<int>(std::clamp<std::int64_t>(as_int(*i, a, "tojson's indent"), 0, 64));
    st.item_sep = ",";
  }
  if (const value* s = a.get(2, "separators"); s && !s->is_none()) {
    if (!s->is_array() || s->arr().size() != 2 || !s->arr()[0].is_string() || !s->arr()[1].is_string())
      a.error("tojson: separators must be a pair of strings");
    st.item_sep = s->arr()[0].str();
    st.key_sep = s->arr()[1].str();
  }
  if (const value* k = a.get(3, "sort_keys")) st.sort_keys = truthy(*k);
  return st;
}

// the attribute path of selectattr / map / sort / join ("a.b", or an integer index)
inline value attribute_of(const value& x, const value& path, const call_args& a) {
  if (path.is_int()) return get_item(x, path, a);
  if (!path.is_string()) a.error("attribute must be a string, got ", path.type_name());
  value cur = x;
  std::size_t i = 0;
  const std::string& p = path.str();
  while (true) {
    const std::size_t j = p.find('.', i);
    const std::string part = p.substr(i, j == std::string::npos ? std::string::npos : j - i);
    if (cur.is_undefined()) return cur;
    if (!part.empty() && part.size() < 18 && std::all_of(part.begin(), part.end(), ::isdigit)) cur = get_item(cur, value(static_cast<std::int64_t>(std::stoll(part))), a);
    else cur = get_item(cur, value(part), a);
    if (j == std::string::npos) return cur;
    i = j + 1;
  }
}

inline value apply_filter(const std::string& name, const value& v, call_args& a) {
  auto need_string = [&](const value& x) -> std::string {
    if (x.is_undefined()) return "";
    return to_string(x);
  };
  if (name == "tojson") {
    std::string out;
    if (v.is_undefined()) a.error("tojson: ", v.undefined_reason());
    dump_json(out, v, tojson_style(a), 0, a.line);
    return value(out);
  }
  if (name == "trim") return value(str::strip(need_string(v), chars_arg(a, name), true, true));
  if (name == "length" || name == "count") return value(length(v, a));
  if (name == "string") return value(need_string(v));
  if (name == "lower") return value(str::map_case(need_string(v), 0));
  if (name == "upper") return value(str::map_case(need_string(v), 1));
  if (name == "title") return value(str::map_case(need_string(v), 2));
  if (name == "capitalize") return value(str::map_case(need_string(v), 3));
  if (name == "safe" || name == "list") return name == "safe" ? v : value(iterate(v, a));
  if (name == "default" || name == "d") {
    const bool boolean = truthy(a.get_or(1, "boolean", value(false)));
    if (v.is_undefined() || (boolean && !truthy(v))) return a.get_or(0, "default_value", value(std::string()));
    return v;
  }
  if (name == "join") {
    const value sep = a.get_or(0, "d", value(std::string()));
    const value* attr = a.get(1, "attribute");
    std::string r;
    bool first = true;
    for (auto& x : iterate(v, a)) {
      r += (first ? "" : to_string(sep)) + to_string(attr ? attribute_of(x, *attr, a) : x);
      first = false;
    }
    return value(r);
  }
  if (name == "first" || name == "last") {
    array xs = iterate(v, a);
    if (xs.empty()) return value(undefined{name});
    return name == "first" ? xs.front() : xs.back();
  }
  if (name == "reverse") {
    if (v.is_string()) { auto u = utf8::decode(v.str()); std::reverse(u.begin(), u.end()); return value(utf8::encode(u)); }
    array xs = iterate(v, a);
    std::reverse(xs.begin(), xs.end());
    return value(std::move(xs));
  }
  if (name == "items") {
    if (v.is_undefined()) return value(array{});
    if (!v.is_object()) a.error("items: expected a mapping, got ", v.type_name());
    return method(v, "items").fn().fn(a);
  }
  if (name == "dictsort") {
    if (!v.is_object()) a.error("dictsort: expected a mapping, got ", v.type_name());
    const bool case_sensitive = truthy(a.get_or(0, "case_sensitive", value(false)));
    const std::string by = a.get_or(1, "by", value("key")).is_string() ? a.get_or(1, "by", value("key")).str() : "key";
    const bool rev = truthy(a.get_or(2, "reverse", value(false)));
    std::vector<std::pair<std::string, value>> items = v.obj().items;
    auto keyf = [&](const std::pair<std::string, value>& p) { value k = by == "value" ? p.second : value(p.first); return k.is_string() && !case_sensitive ? value(str::map_case(k.str(), 0)) : k; };
    std::stable_sort(items.begin(), items.end(), [&](auto& x, auto& y) { const int c = compare(keyf(x), keyf(y), a); return rev ? c > 0 : c < 0; });
    array r;
    for (auto& [k, x] : items) r.emplace_back(array{value(k), x});
    return value(std::move(r));
  }
  if (name == "sort") {
    const bool rev = truthy(a.get_or(0, "reverse", value(false)));
    const bool case_sensitive = truthy(a.get_or(1, "case_sensitive", value(false)));
    const value* attr = a.get(2, "attribute");
    array xs = iterate(v, a);
    auto keyf = [&](const value& x) { value k = attr ? attribute_of(x, *attr, a) : x; return k.is_string() && !case_sensitive ? value(str::map_case(k.str(), 0)) : k; };
    std::stable_sort(xs.begin(), xs.end(), [&](const value& x, const value& y) { const int c = compare(keyf(x), keyf(y), a); return rev ? c > 0 : c < 0; });
    return value(std::move(xs));
  }
  if (name == "unique") {
    array r;
    for (auto& x : iterate(v, a)) {
      bool seen = false;
      for (auto& y : r) seen = seen || equal(x.is_string() ? value(str::map_case(x.str(), 0)) : x, y.is_string() ? value(str::map_case(y.str(), 0)) : y);
      if (!seen) r.push_back(x);
    }
    return value(std::move(r));
  }
  if (name == "selectattr" || name == "rejectattr" || name == "select" || name == "reject") {
    const bool attr_form = name == "selectattr" || name == "rejectattr";
    const bool keep = name == "selectattr" || name == "select";
    std::size_t k = 0;
    value attr;
    if (attr_form) {
      if (a.pos.empty()) a.error(name, " takes an attribute name");
      attr = a.pos[k++];
    }
    std::string test;
    if (k < a.pos.size()) {
      if (!a.pos[k].is_string()) a.error(name, ": the test name must be a string");
      test = a.pos[k++].str();
    }
    call_args targs;
    targs.line = a.line;
    targs.where = a.where;
    targs.pos.assign(a.pos.begin() + static_cast<std::ptrdiff_t>(k), a.pos.end());
    array r;
    for (auto& x : iterate(v, a)) {
      const value subject = attr_form ? attribute_of(x, attr, a) : x;
      const bool pass = test.empty() ? truthy(subject) : apply_test(test, subject, targs);
      if (pass == keep) r.push_back(x);
    }
    return value(std::move(r));
  }
  if (name == "map") {
    array r;
    if (const value* attr = a.get(99, "attribute")) {
      const value* dflt = a.get(99, "default");
      for (auto& x : iterate(v, a)) {
        value y = attribute_of(x, *attr, a);
        r.push_back(y.is_undefined() && dflt ? *dflt : y);
      }
      return value(std::move(r));
    }
    if (a.pos.empty() || !a.pos[0].is_string()) a.error("map takes a filter name or attribute=...");
    call_args fargs;
    fargs.line = a.line;
    fargs.where = a.where;
    fargs.pos.assign(a.pos.begin() + 1, a.pos.end());
    for (auto& x : iterate(v, a)) r.push_back(apply_filter(a.pos[0].str(), x, fargs));
    return value(std::move(r));
  }
  if (name == "replace") {
    const value* o = a.get(0, "old");
    const value* n = a.get(1, "new");
    if (!o || !n) a.error("replace takes the old and the new string");
    const std::int64_t count = a.get(2, "count") && !a.get(2, "count")->is_none() ? as_int(*a.get(2, "count"), a, "count") : -1;
    return value(str::replace(need_string(v), to_string(*o), to_string(*n), count));
  }
  if (name == "int") {
    if (v.is_int() || v.is_bool()) return value(v.integer());
    if (v.is_float()) return value(static_cast<std::int64_t>(v.number()));
    if (v.is_string()) { try { std::size_t e = 0; const auto r = std::stoll(str::strip(v.str(), nullptr, true, true), &e); return value(static_cast<std::int64_t>(r)); } catch (...) {} }
    return a.get_or(0, "default", value(0));
  }
  if (name == "float") {
    if (v.is_number()) return value(v.number());
    if (v.is_string()) { try { return value(std::stod(v.str())); } catch (...) {} }
    return a.get_or(0, "default", value(0.0));
  }
  if (name == "abs") {
    if (v.is_int() || v.is_bool()) { if (v.integer() == INT64_MIN) a.error("integer overflow in abs"); return value(static_cast<std::int64_t>(std::llabs(v.integer()))); }
    if (v.is_float()) return value(std::fabs(v.number()));
    a.error("abs: bad operand type '", v.type_name(), "'");
  }
  if (name == "round") {
    const std::int64_t prec = as_int(a.get_or(0, "precision", value(0)), a, "round's precision");
    const std::string method = a.get_or(1, "method", value("common")).is_string() ? a.get_or(1, "method", value("common")).str() : "common";
    if (!v.is_number()) a.error("round: expected a number, got ", v.type_name());
    const double f = std::pow(10.0, static_cast<double>(prec)), x = v.number() * f;
    // 'common' is Python's round(): halves go to the even neighbour
    const double r = method == "ceil" ? std::ceil(x) : method == "floor" ? std::floor(x) : std::nearbyint(x);
    return value(r / f);
  }
  if (name == "sum") {
    value total = a.get_or(1, "start", value(0));
    const value* attr = a.get(0, "attribute");
    for (auto& x : iterate(v, a)) total = arith("+", total, attr ? attribute_of(x, *attr, a) : x, a);
    return total;
  }
  if (name == "min" || name == "max") {
    array xs = iterate(v, a);
    if (xs.empty()) return value(undefined{name});
    value best = xs[0];
    for (auto& x : xs) {
      const int c = compare(x, best, a);
      if (name == "min" ? c < 0 : c > 0) best = x;
    }
    return best;
  }
  if (name == "indent") {
    const value w = a.get_or(0, "width", value(4));
    const std::string pad = w.is_string() ? w.str() : std::string(static_cast<std::size_t>(std::clamp<std::int64_t>(as_int(w, a, "indent's width"), 0, 1024)), ' ');
    const bool first = truthy(a.get_or(1, "first", value(false))), blank = truthy(a.get_or(2, "blank", value(false)));
    const std::string s = need_string(v);
    std::string r;
    std::size_t i = 0;
    bool first_line = true;
    while (true) {
      const std::size_t j = s.find('\n', i);
      const std::string ln = s.substr(i, j == std::string::npos ? std::string::npos : j - i);
      const bool pad_it = first_line ? first : (blank || !str::strip(ln, nullptr, true, true).empty());
      r += (pad_it ? pad : "") + ln;
      if (j == std::string::npos) break;
      r += '\n';
      i = j + 1;
      first_line = false;
    }
    return value(r);
  }
  if (name == "wordcount") return value(str::split(need_string(v), nullptr, -1, a).size());
  if (name == "escape" || name == "e") {
    std::string r;
    for (char c : need_string(v)) {
      switch (c) {
        case '&': r += "&amp;"; break;
        case '<': r += "&lt;"; break;
        case '>': r += "&gt;"; break;
        case '"': r += "&#34;"; break;
        case '\'': r += "&#39;"; break;
        default: r += c;
      }
    }
    return value(r);
  }
  a.error("the filter '", name, "' is not supported");
}

}  // namespace cactus::jinja
