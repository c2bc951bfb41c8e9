#pragma once
// The values a Jinja template computes with, behaving as the Python objects Jinja2 hands its
// templates behave: None, bool, int, float, str (UTF-8, indexed by code point), list, dict
// (insertion ordered), namespace, callables, and Undefined (a missing name or key: empty when
// printed, false when tested, an error when used). str(), repr() and json.dumps() follow
// CPython's spelling byte for byte, since chat templates print them into prompts.
#include <algorithm>
#include <charconv>
#include <cstdio>
#include <cmath>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

#include "cactus/core/error.hpp"

namespace cactus::jinja {

struct value;
using array = std::vector<value>;

// A dict: insertion ordered, string keys (what JSON and template literals produce).
struct object {
  std::vector<std::pair<std::string, value>> items;
  const value* find(std::string_view k) const;
  void set(const std::string& k, value v);
};

struct undefined {
  std::string name;   // what was looked up, for the error when it is used
  std::string owner;  // the type it was looked up on, if it was an attribute
  undefined(std::string n = {}, std::string o = {}) : name(std::move(n)), owner(std::move(o)) {}
};

struct call_args;
struct function {
  std::string name;
  std::function<value(call_args&)> fn;
};

// Jinja's namespace(): the one mutable object, so `set ns.x` reaches out of loop scopes.
struct name_space {
  object attrs;
};

struct value {
  bool tuple = false;  // an array that Python would hold as a tuple: repr (1, 2)
  using storage = std::variant<undefined, std::nullptr_t, bool, std::int64_t, double, std::string, std::shared_ptr<array>,
                               std::shared_ptr<object>, std::shared_ptr<name_space>, std::shared_ptr<function>>;
  storage v;

  value() : v(undefined{}) {}
  value(undefined u) : v(std::move(u)) {}
  value(std::nullptr_t) : v(nullptr) {}
  value(bool b) : v(b) {}
  value(int i) : v(static_cast<std::int64_t>(i)) {}
  value(std::int64_t i) : v(i) {}
  value(std::size_t i) : v(static_cast<std::int64_t>(i)) {}
  value(double d) : v(d) {}
  value(std::string s) : v(std::move(s)) {}
  value(const char* s) : v(std::string(s)) {}
  value(array a) : v(std::make_shared<array>(std::move(a))) {}
  value(object o) : v(std::make_shared<object>(std::move(o))) {}
  value(std::shared_ptr<name_space> n) : v(std::move(n)) {}
  value(std::shared_ptr<function> f) : v(std::move(f)) {}

  bool is_undefined() const { return std::holds_alternative<undefined>(v); }
  bool is_none() const { return std::holds_alternative<std::nullptr_t>(v); }
  bool is_bool() const { return std::holds_alternative<bool>(v); }
  bool is_int() const { return std::holds_alternative<std::int64_t>(v); }
  bool is_float() const { return std::holds_alternative<double>(v); }
  bool is_number() const { return is_int() || is_float() || is_bool(); }
  bool is_string() const { return std::holds_alternative<std::string>(v); }
  bool is_array() const { return std::holds_alternative<std::shared_ptr<array>>(v); }
  bool is_object() const { return std::holds_alternative<std::shared_ptr<object>>(v); }
  bool is_namespace() const { return std::holds_alternative<std::shared_ptr<name_space>>(v); }
  bool is_function() const { return std::holds_alternative<std::shared_ptr<function>>(v); }

  const std::string& str() const { return std::get<std::string>(v); }
  const array& arr() const { return *std::get<std::shared_ptr<array>>(v); }
  const object& obj() const { return *std::get<std::shared_ptr<object>>(v); }
  name_space& ns() const { return *std::get<std::shared_ptr<name_space>>(v); }
  const function& fn() const { return *std::get<std::shared_ptr<function>>(v); }
  const std::string& undefined_name() const { return std::get<undefined>(v).name; }
  // why it is undefined, as Jinja's UndefinedError says it
  std::string undefined_reason() const {
    const auto& u = std::get<undefined>(v);
    return u.owner.empty() ? "'" + u.name + "' is undefined" : "'" + u.owner + " object' has no attribute '" + u.name + "'";
  }
  bool boolean() const { return std::get<bool>(v); }
  std::int64_t integer() const { return is_bool() ? (boolean() ? 1 : 0) : std::get<std::int64_t>(v); }
  double number() const { return is_float() ? std::get<double>(v) : static_cast<double>(integer()); }

  // Python's type name, for error messages
  const char* type_name() const {
    static const char* names[] = {"undefined", "NoneType", "bool", "int", "float", "str", "list", "dict", "Namespace", "function"};
    return names[v.index()];
  }
};

inline const value* object::find(std::string_view k) const {
  for (auto& [key, val] : items)
    if (key == k) return &val;
  return nullptr;
}
inline void object::set(const std::string& k, value val) {
  for (auto& [key, old] : items)
    if (key == k) { old = std::move(val); return; }
  items.emplace_back(k, std::move(val));
}

// ---- UTF-8 code points (Python indexes str by code point) -------------------------------------
namespace utf8 {
inline std::u32string decode(std::string_view s) {
  std::u32string r;
  r.reserve(s.size());
  for (std::size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    const int n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 1;
    if (n == 1 || i + static_cast<std::size_t>(n) > s.size()) { r.push_back(c < 0x80 ? c : 0xFFFD); ++i; continue; }
    char32_t cp = n == 2 ? (c & 0x1F) : n == 3 ? (c & 0x0F) : (c & 0x07);
    for (int k = 1; k < n; ++k) cp = (cp << 6) | (static_cast<unsigned char>(s[i + static_cast<std::size_t>(k)]) & 0x3F);
    r.push_back(cp);
    i += static_cast<std::size_t>(n);
  }
  return r;
}
inline void append(std::string& out, char32_t cp) {
  if (cp < 0x80) out += static_cast<char>(cp);
  else if (cp < 0x800) { out += static_cast<char>(0xC0 | (cp >> 6)); out += static_cast<char>(0x80 | (cp & 0x3F)); }
  else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12)); out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F)); out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18)); out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F)); out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}
inline std::string encode(std::u32string_view s) {
  std::string r;
  for (char32_t c : s) append(r, c);
  return r;
}
inline bool is_ascii(std::string_view s) {
  for (char c : s) if (static_cast<unsigned char>(c) >= 0x80) return false;
  return true;
}
inline std::size_t length(std::string_view s) {
  std::size_t n = 0;
  for (char c : s) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  return n;
}
// str.isspace() of CPython
inline bool is_space(char32_t c) {
  return (c >= 0x09 && c <= 0x0D) || (c >= 0x1C && c <= 0x20) || c == 0x85 || c == 0xA0 || c == 0x1680 || (c >= 0x2000 && c <= 0x200A) ||
         c == 0x2028 || c == 0x2029 || c == 0x202F || c == 0x205F || c == 0x3000;
}
}  // namespace utf8

// ---- Python's spellings ---------------------------------------------------------------------------
// repr(float): the shortest digits that round-trip, fixed notation for 1e-4 <= |x| < 1e16.
inline std::string float_repr(double d) {
  if (std::isnan(d)) return "nan";
  if (std::isinf(d)) return d < 0 ? "-inf" : "inf";
  if (d == 0) return std::signbit(d) ? "-0.0" : "0.0";
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof buf, d, std::chars_format::scientific);
  std::string s(buf, res.ptr);
  const auto e = s.find('e');
  std::string mant = s.substr(0, e);
  const int exp = std::stoi(s.substr(e + 1));
  const bool neg = mant[0] == '-';
  if (neg) mant.erase(0, 1);
  std::string digits;
  for (char c : mant) if (c != '.') digits += c;
  std::string out = neg ? "-" : "";
  if (exp >= -4 && exp < 16) {
    if (exp < 0) out += "0." + std::string(static_cast<std::size_t>(-exp - 1), '0') + digits;
    else {
      const auto ip = static_cast<std::size_t>(exp) + 1;
      if (digits.size() <= ip) out += digits + std::string(ip - digits.size(), '0') + ".0";
      else out += digits.substr(0, ip) + "." + digits.substr(ip);
    }
  } else {
    out += digits.substr(0, 1);
    if (digits.size() > 1) out += "." + digits.substr(1);
    out += exp < 0 ? "e-" : "e+";
    const std::string ex = std::to_string(exp < 0 ? -exp : exp);
    out += (ex.size() < 2 ? "0" : "") + ex;
  }
  return out;
}

inline std::string repr(const value& v);

inline std::string string_repr(const std::string& s) {
  const bool sq = s.find('\'') != std::string::npos, dq = s.find('"') != std::string::npos;
  const char q = sq && !dq ? '"' : '\'';
  std::string r(1, q);
  for (char32_t c : utf8::decode(s)) {
    if (c == static_cast<char32_t>(q) || c == '\\') { r += '\\'; r += static_cast<char>(c); }
    else if (c == '\n') r += "\\n";
    else if (c == '\r') r += "\\r";
    else if (c == '\t') r += "\\t";
    else if (c < 0x20 || c == 0x7F || (c >= 0x80 && c < 0xA0)) {
      char b[16];
      std::snprintf(b, sizeof b, "\\x%02x", static_cast<unsigned>(c));
      r += b;
    } else utf8::append(r, c);
  }
  return r + q;
}

// str(x) as Jinja prints {{ x }}
inline std::string to_string(const value& v) {
  return std::visit([&](auto& x) -> std::string {
    using T = std::decay_t<decltype(x)>;
    if constexpr (std::is_same_v<T, undefined>) return "";
    else if constexpr (std::is_same_v<T, std::nullptr_t>) return "None";
    else if constexpr (std::is_same_v<T, bool>) return x ? "True" : "False";
    else if constexpr (std::is_same_v<T, std::int64_t>) return std::to_string(x);
    else if constexpr (std::is_same_v<T, double>) return float_repr(x);
    else if constexpr (std::is_same_v<T, std::string>) return x;
    else return repr(v);
  }, v.v);
}

inline std::string repr(const value& v) {
  if (v.is_string()) return string_repr(v.str());
  if (v.is_array()) {
    std::string r = v.tuple ? "(" : "[";
    for (std::size_t i = 0; i < v.arr().size(); ++i) r += (i ? ", " : "") + repr(v.arr()[i]);
    if (v.tuple) return r + (v.arr().size() == 1 ? ",)" : ")");
    return r + "]";
  }
  if (v.is_object()) {
    std::string r = "{";
    bool first = true;
    for (auto& [k, x] : v.obj().items) { r += (first ? "" : ", ") + string_repr(k) + ": " + repr(x); first = false; }
    return r + "}";
  }
  if (v.is_namespace()) return "<Namespace>";
  if (v.is_function()) return "<function " + v.fn().name + ">";
  return to_string(v);
}

// json.dumps(x, ensure_ascii, indent, separators, sort_keys) of CPython
struct json_style {
  bool ensure_ascii = false;
  int indent = -1;  // -1: None
  std::string item_sep = ", ", key_sep = ": ";
  bool sort_keys = false;
};

inline void json_string(std::string& out, const std::string& s, bool ensure_ascii) {
  out += '"';
  auto u = [&](unsigned c) { char b[16]; std::snprintf(b, sizeof b, "\\u%04x", c); out += b; };
  for (char32_t c : utf8::decode(s)) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      default:
        if (c < 0x20) u(c);
        else if (ensure_ascii && c >= 0x80) {
          if (c >= 0x10000) { const char32_t x = c - 0x10000; u(0xD800 + (x >> 10)); u(0xDC00 + (x & 0x3FF)); }
          else u(c);
        } else utf8::append(out, c);
    }
  }
  out += '"';
}

inline void dump_json(std::string& out, const value& v, const json_style& st, int depth, int line) {
  auto newline = [&](int d) { out += '\n'; out.append(static_cast<std::size_t>(st.indent * d), ' '); };
  if (v.is_none()) out += "null";
  else if (v.is_bool()) out += v.boolean() ? "true" : "false";
  else if (v.is_int()) out += std::to_string(v.integer());
  else if (v.is_float()) {
    const double d = v.number();
    out += std::isnan(d) ? "NaN" : std::isinf(d) ? (d < 0 ? "-Infinity" : "Infinity") : float_repr(d);
  } else if (v.is_string()) json_string(out, v.str(), st.ensure_ascii);
  else if (v.is_array()) {
    if (v.arr().empty()) { out += "[]"; return; }
    out += '[';
    for (std::size_t i = 0; i < v.arr().size(); ++i) {
      if (i) out += st.item_sep;
      if (st.indent >= 0) newline(depth + 1);
      dump_json(out, v.arr()[i], st, depth + 1, line);
    }
    if (st.indent >= 0) newline(depth);
    out += ']';
  } else if (v.is_object()) {
    if (v.obj().items.empty()) { out += "{}"; return; }
    std::vector<const std::pair<std::string, value>*> items;
    for (auto& kv : v.obj().items) items.push_back(&kv);
    if (st.sort_keys) std::stable_sort(items.begin(), items.end(), [](auto* a, auto* b) { return a->first < b->first; });
    out += '{';
    for (std::size_t i = 0; i < items.size(); ++i) {
      if (i) out += st.item_sep;
      if (st.indent >= 0) newline(depth + 1);
      json_string(out, items[i]->first, st.ensure_ascii);
      out += st.key_sep;
      dump_json(out, items[i]->second, st, depth + 1, line);
    }
    if (st.indent >= 0) newline(depth);
    out += '}';
  } else {
    fail("template line ", line, ": tojson: Object of type ", v.type_name(), " is not JSON serializable");
  }
}

// JSON data (the conversation, tools, extra variables) as template values, key order kept.
inline value from_json(const nlohmann::ordered_json& j) {
  switch (j.type()) {
    case nlohmann::ordered_json::value_t::null: return value(nullptr);
    case nlohmann::ordered_json::value_t::boolean: return value(j.get<bool>());
    case nlohmann::ordered_json::value_t::number_integer: return value(j.get<std::int64_t>());
    case nlohmann::ordered_json::value_t::number_unsigned: return value(static_cast<std::int64_t>(j.get<std::uint64_t>()));
    case nlohmann::ordered_json::value_t::number_float: return value(j.get<double>());
    case nlohmann::ordered_json::value_t::string: return value(j.get<std::string>());
    case nlohmann::ordered_json::value_t::array: {
      array a;
      for (auto& x : j) a.push_back(from_json(x));
      return value(std::move(a));
    }
    case nlohmann::ordered_json::value_t::object: {
      object o;
      for (auto it = j.begin(); it != j.end(); ++it) o.items.emplace_back(it.key(), from_json(it.value()));
      return value(std::move(o));
    }
    default: return value();
  }
}

}  // namespace cactus::jinja
