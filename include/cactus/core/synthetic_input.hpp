#pragma once
// An example input made from a shape spec, "2x16:i64" (dims joined by x, then an optional dtype;
// f32 by default), for capturing a model without an input file. The values are fixed: seeded
// uniform values in [-1, 1) for f32, (7i + 1) mod 97 for i64 (valid token ids for any vocabulary
// of 97 or more), zeros otherwise. `what` names the spec's origin in errors (e.g. "--input-shape").
#include <cstdint>
#include <sstream>
#include <string>

#include "cactus/core/tensor.hpp"
#include "cactus/core/whole_number.hpp"

namespace cactus {

inline tensor synthetic_input(const std::string& spec, const std::string& what) {
  auto colon = spec.find(':');
  std::string dims = spec.substr(0, colon), ty = colon == std::string::npos ? "f32" : spec.substr(colon + 1);
  shape_t s;
  std::stringstream ss(dims);
  for (std::string d; std::getline(ss, d, 'x');) {
    check(!d.empty() && d.find_first_not_of("0123456789") == std::string::npos, "bad ", what, " '", spec, "' (expected e.g. 2x16:i64)");
    s.push_back(whole_number(d, what, "a dimension", std::int64_t{1} << 40));
  }
  tensor t = tensor::zeros(dtype_from_name(ty), s);
  if (t.type == dtype::f32) {
    std::uint32_t st = 12345;
    for (std::int64_t i = 0; i < t.numel(); ++i) { st = st * 1664525u + 1013904223u; t.ptr<float>()[i] = static_cast<float>((st >> 8) % 2000) / 1000.0f - 1.0f; }
  } else if (t.type == dtype::i64) {
    for (std::int64_t i = 0; i < t.numel(); ++i) t.ptr<std::int64_t>()[i] = (i * 7 + 1) % 97;
  }
  return t;
}

}  // namespace cactus
