#pragma once
// Every fusion rule, in the order the fusion pass tries them. A rule is one file under rules/
// (pattern and replacement side by side) and one entry here; its name gives the CLI its
// --no-fuse-<name> flag.
#include "cactus/patterns/rules/rms_norm.hpp"

namespace cactus::patterns {

inline constexpr auto all_rules = hana::tuple_t<rules::rms_norm>;

// "rms_norm" -> "rms-norm", as in --no-fuse-rms-norm
inline std::string flag_name(std::string_view rule) {
  std::string s(rule);
  for (char& c : s)
    if (c == '_') c = '-';
  return s;
}

}  // namespace cactus::patterns
