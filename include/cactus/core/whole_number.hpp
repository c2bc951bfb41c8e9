#pragma once
// Whole numbers typed by a user (token ids, counts, dimensions): digits only, at most `max`,
// or an error that quotes the text and names what it was for.
#include <cstdint>
#include <string>

#include "cactus/core/error.hpp"

namespace cactus {

// text as a whole number in [0, max], or "<what>: '<text>' is not <kind> (0 to max)"
inline std::int64_t whole_number(const std::string& text, const std::string& what, const char* kind, std::int64_t max) {
  const bool digits = !text.empty() && text.size() <= 18 && text.find_first_not_of("0123456789") == std::string::npos;
  const std::int64_t v = digits ? std::stoll(text) : -1;
  check(digits && v <= max, what, ": '", text, "' is not ", kind, " (0 to ", max, ")");
  return v;
}

}  // namespace cactus
