#pragma once
// A dtype argument of an op: TorchScript passes dtypes as c10::ScalarType codes.
#include "cactus/ops/op.hpp"

namespace cactus::ops {

namespace detail {
// c10::ScalarType code -> our dtype (float64 computes as f32: we have no f64 kernels).
inline dtype dtype_from_code(const context& c, std::int64_t code) {
  switch (code) {
    case 0: return dtype::u8;
    case 1: return dtype::i8;
    case 3: return dtype::i32;
    case 4: return dtype::i64;
    case 5: return dtype::f16;
    case 6: case 7: return dtype::f32;
    case 11: return dtype::b8;
    default: c.fail("unsupported dtype code ", code, " (bfloat16, complex and int16 tensors are not supported)");
  }
}
inline dtype dtype_arg(const context& c, std::size_t i, dtype fallback) {
  return c.is_none(i) ? fallback : dtype_from_code(c, c.int_at(i));
}
}  // namespace detail

}  // namespace cactus::ops
