#pragma once
// Values read from JSON that others wrote. nlohmann's get<int> / get<std::int64_t> of a float
// (or of an unsigned number past the signed range) is a C++ conversion that is undefined when
// the value does not fit; these read only JSON integers, range-checked, and name the place.
// Strings and objects are checked the same way, so no nlohmann type_error reaches the user.
#include <cstdint>
#include <limits>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "cactus/core/error.hpp"

namespace cactus {

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

}  // namespace cactus
