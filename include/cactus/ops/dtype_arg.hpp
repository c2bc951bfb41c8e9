#pragma once
// A dtype argument of an op: an IR dtype code (ir/dtype_code.hpp), or None for the op's default.
#include "cactus/ir/dtype_code.hpp"
#include "cactus/ops/op.hpp"

namespace cactus::ops {

namespace detail {
inline dtype dtype_from_code(const context& c, std::int64_t code) {
  const auto t = ir::dtype_of_code(code);
  if (!t) c.fail("unsupported dtype code ", code, " (bfloat16, complex and int16 tensors are not supported)");
  return *t;
}
inline dtype dtype_arg(const context& c, std::size_t i, dtype fallback) {
  return c.is_none(i) ? fallback : dtype_from_code(c, c.int_at(i));
}
}  // namespace detail

}  // namespace cactus::ops
