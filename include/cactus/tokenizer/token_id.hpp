#pragma once
// Token ids read from tokenizer.json.
#include <nlohmann/json.hpp>
#include <string>

#include "cactus/core/json_read.hpp"

namespace cactus::tokenizer {

// A token id read from tokenizer.json: an integer in [0, 2^24) (nlohmann's get<int> of a float
// or of a huge number is undefined behaviour, so it is never called on unchecked input).
inline int token_id(const nlohmann::json& j, const std::string& where, const char* what) {
  const auto v = json_integer(j, where + ": " + what);
  check(v >= 0 && v < (1 << 24), where, ": ", what, " ", v, " is out of range");
  return static_cast<int>(v);
}

}  // namespace cactus::tokenizer
