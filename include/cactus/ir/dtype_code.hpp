#pragma once
// How the IR spells a dtype argument (cast's target, the dtype of ones / full / arange): an int
// constant holding a dtype code. The codes are c10::ScalarType's numbers, so IR JSON and bundles
// written before this header existed stay valid, but only front ends know where they come from:
// each maps its own spelling to a code (frontends/torchscript, frontends/torch_export), and ops
// and passes read and write codes only through this header.
#include <cstdint>
#include <optional>

#include "cactus/core/dtype.hpp"
#include "cactus/ir/value.hpp"

namespace cactus::ir {

enum class dtype_code : std::int64_t {
  u8 = 0, i8 = 1, i16 = 2, i32 = 3, i64 = 4, f16 = 5, f32 = 6, f64 = 7,
  complex32 = 8, complex64 = 9, complex128 = 10, b8 = 11, bf16 = 15,
};

// The dtype a code computes as, or nothing for a dtype we have no kernels for (int16, bfloat16
// and complex). float64 computes as f32.
constexpr std::optional<dtype> dtype_of_code(std::int64_t code) {
  switch (static_cast<dtype_code>(code)) {
    case dtype_code::u8: return dtype::u8;
    case dtype_code::i8: return dtype::i8;
    case dtype_code::i32: return dtype::i32;
    case dtype_code::i64: return dtype::i64;
    case dtype_code::f16: return dtype::f16;
    case dtype_code::f32: case dtype_code::f64: return dtype::f32;
    case dtype_code::b8: return dtype::b8;
    default: return std::nullopt;
  }
}

// The code of a plain dtype (a packed weight format has none: casts of packed weights name f32).
constexpr dtype_code code_of(dtype t) {
  switch (t) {
    case dtype::u8: return dtype_code::u8;
    case dtype::i8: return dtype_code::i8;
    case dtype::i32: return dtype_code::i32;
    case dtype::i64: return dtype_code::i64;
    case dtype::f16: return dtype_code::f16;
    case dtype::b8: return dtype_code::b8;
    default: return dtype_code::f32;
  }
}

// The constant a pass adds for a dtype argument, e.g. cast(v, dtype_constant(dtype::f32)).
inline meta dtype_constant(dtype t) { return meta::of_int(static_cast<std::int64_t>(code_of(t))); }

}  // namespace cactus::ir
