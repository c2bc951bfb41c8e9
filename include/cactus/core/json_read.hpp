#pragma once
// Values read from JSON that others wrote. nlohmann's get<int> / get<std::int64_t> of a float
// (or of an unsigned number past the signed range) is a C++ conversion that is undefined when
// the value does not fit; these read only JSON integers, range-checked, and name the place.
// Strings and objects are checked the same way, so no nlohmann type_error reaches the user.
// json_parse names the file and the line and column of a syntax error, and json_reason says in
// our words what a nlohmann exception from a reader that indexes JSON directly was about.
#include <cstdint>
#include <limits>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "cactus/core/error.hpp"
#include "cactus/core/files.hpp"

namespace cactus {

// What a nlohmann exception says, in one line of our words: no "[json.exception.*]" tag, the
// position of a syntax error, expected and found types, the missing key.
inline std::string json_reason(const nlohmann::json::exception& e) {
  std::string w = e.what();
  if (w.rfind("[json.exception.", 0) == 0)
    if (const auto close = w.find("] "); close != std::string::npos) w = w.substr(close + 2);
  if (const auto nl = w.find_first_of("\r\n"); nl != std::string::npos) w = w.substr(0, nl);
  auto after = [&](std::string_view prefix) { return w.rfind(prefix, 0) == 0 ? w.substr(prefix.size()) : std::string(); };
  auto a = [](const std::string& type) { return (type.find_first_of("aeiou") == 0 ? "an " : "a ") + type; };
  if (auto r = after("parse error at "); !r.empty()) {
    // "line L, column C: syntax error while parsing value - unexpected ..."
    std::string pos = r, what;
    if (const auto colon = r.find(": "); colon != std::string::npos) { pos = r.substr(0, colon); what = r.substr(colon + 2); }
    if (const auto dash = what.find(" - "); what.rfind("syntax error while parsing ", 0) == 0 && dash != std::string::npos)
      what = what.substr(dash + 3);
    return "not valid JSON at " + pos + (what.empty() ? "" : ": " + what);
  }
  if (auto r = after("parse error: "); !r.empty()) return "not valid JSON: " + r;
  if (auto r = after("type must be "); !r.empty()) {
    // "string, but is number"
    const auto but = r.find(", but is ");
    return but == std::string::npos ? "a value has the wrong type (" + r + ")"
                                    : "expected " + a(r.substr(0, but)) + ", found " + a(r.substr(but + 9));
  }
  if (auto r = after("cannot use value() with "); !r.empty()) return "expected an object, found " + a(r);
  if (auto r = after("cannot use operator[] with a string argument with "); !r.empty()) return "expected an object, found " + a(r);
  if (auto r = after("key '"); !r.empty() && r.size() > 12 && r.ends_with("' not found")) return "missing \"" + r.substr(0, r.size() - 11) + "\"";
  return w;
}

// `text` parsed as JSON; a syntax error is "<where>: not valid JSON at line L, column C: ...".
template <class Json = nlohmann::json>
Json json_parse(std::string_view text, const std::string& where) {
  try {
    return Json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    fail(where, ": ", json_reason(e));
  }
}

template <class T = std::int64_t, class Json>
T json_integer(const Json& j, const std::string& where) {
  check(j.is_number_integer(), where, ": expected an integer, got ", j.dump().substr(0, 40));
  if (j.is_number_unsigned()) {
    const auto u = j.template get<std::uint64_t>();
    check(u <= static_cast<std::uint64_t>(std::numeric_limits<T>::max()), where, ": ", u, " is out of range");
    return static_cast<T>(u);
  }
  const auto v = j.template get<std::int64_t>();
  check(v >= static_cast<std::int64_t>(std::numeric_limits<T>::min()) &&
            (v < 0 || static_cast<std::uint64_t>(v) <= static_cast<std::uint64_t>(std::numeric_limits<T>::max())),
        where, ": ", v, " is out of range");
  return static_cast<T>(v);
}

template <class T = std::int64_t, class Json>
std::vector<T> json_integers(const Json& j, const std::string& where) {
  check(j.is_array(), where, ": expected a list of integers, got ", j.dump().substr(0, 40));
  std::vector<T> r;
  r.reserve(j.size());
  for (auto& x : j) r.push_back(json_integer<T>(x, where));
  return r;
}

// obj[key] as an integer of type T, range-checked, or `fallback` when obj has no such key
// (nlohmann's value(key, T{}) converts a float such as 3e52 to T, which is undefined)
template <class T, class Json>
T json_integer_or(const Json& obj, const char* key, const std::string& where, T fallback) {
  const auto it = obj.find(key);
  return it == obj.end() ? fallback : json_integer<T>(*it, where + ": \"" + key + "\"");
}

// obj[key] as a string, or `fallback` when obj has no such key (obj is an object).
template <class Json>
std::string json_string(const Json& obj, const char* key, const std::string& where, const char* fallback = nullptr) {
  const auto it = obj.find(key);
  if (it == obj.end()) {
    check(fallback != nullptr, where, ": missing \"", key, "\"");
    return fallback;
  }
  check(it->is_string(), where, ": \"", key, "\" must be a string, got ", it->dump().substr(0, 40));
  return it->template get<std::string>();
}

// The JSON document in file `p`, or an error naming the file (missing, or where the syntax breaks).
inline nlohmann::json read_json(const std::filesystem::path& p) {
  check(std::filesystem::exists(p), p.string(), ": not found");
  return json_parse(read_file_text(p), p.string());
}

}  // namespace cactus
