#pragma once
// Element types the IR and runtime know. Compute happens in f32; f16 is a storage type for
// weights (kernels widen it); i64/i32 carry ids and indices; b8 is a byte-per-element bool.
// q8 and cq1..cq4 are packed weight formats (groups along the last dims, scales per group):
// they have no per-element size; core/packed.hpp gives their byte layout.
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "cactus/core/error.hpp"

namespace cactus {

enum class dtype : std::uint8_t { f32, f16, i64, i32, i8, u8, b8, q8, cq1, cq2, cq3, cq4 };

constexpr bool is_packed(dtype t) { return t >= dtype::q8; }

// Bits per weight code of a packed format (0 for plain dtypes).
constexpr int packed_bits(dtype t) {
  switch (t) {
    case dtype::q8: return 8;
    case dtype::cq1: return 1;
    case dtype::cq2: return 2;
    case dtype::cq3: return 3;
    case dtype::cq4: return 4;
    default: return 0;
  }
}

constexpr std::size_t size_of(dtype t) {
  switch (t) {
    case dtype::f32: case dtype::i32: return 4;
    case dtype::f16: return 2;
    case dtype::i64: return 8;
    default: return 1;
  }
}

constexpr std::string_view name_of(dtype t) {
  switch (t) {
    case dtype::f32: return "f32";
    case dtype::f16: return "f16";
    case dtype::i64: return "i64";
    case dtype::i32: return "i32";
    case dtype::i8: return "i8";
    case dtype::u8: return "u8";
    case dtype::b8: return "bool";
    case dtype::q8: return "q8";
    case dtype::cq1: return "cq1";
    case dtype::cq2: return "cq2";
    case dtype::cq3: return "cq3";
    case dtype::cq4: return "cq4";
  }
  return "?";
}

inline dtype dtype_from_name(std::string_view s) {
  for (auto t : {dtype::f32, dtype::f16, dtype::i64, dtype::i32, dtype::i8, dtype::u8, dtype::b8, dtype::q8, dtype::cq1, dtype::cq2,
                 dtype::cq3, dtype::cq4})
    if (name_of(t) == s) return t;
  fail("unknown dtype '", s, "' (expected f32, f16, i64, i32, i8, u8, bool, q8 or cq1..cq4)");
}

constexpr bool is_floating(dtype t) { return t == dtype::f32 || t == dtype::f16; }

// IEEE half <-> float, bit exact, round-to-nearest-even. Scalar code for conversion at convert
// time and in reference paths; the kernels use Highway's vector conversions.
inline float f16_to_f32(std::uint16_t h) {
  std::uint32_t sign = (h & 0x8000u) << 16, exp = (h >> 10) & 0x1f, man = h & 0x3ffu, bits;
  if (exp == 0) {
    if (man == 0) {
      bits = sign;
    } else {
      int e = -1;
      do { ++e; man <<= 1; } while (!(man & 0x400u));
      bits = sign | ((127 - 15 - e) << 23) | ((man & 0x3ffu) << 13);
    }
  } else if (exp == 0x1f) {
    bits = sign | 0x7f800000u | (man << 13);
  } else {
    bits = sign | ((exp + 127 - 15) << 23) | (man << 13);
  }
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

inline std::uint16_t f32_to_f16(float f) {
  std::uint32_t x;
  std::memcpy(&x, &f, 4);
  std::uint32_t sign = (x >> 16) & 0x8000u;
  std::uint32_t exp = (x >> 23) & 0xff, man = x & 0x7fffffu;
  if (exp == 0xff) return static_cast<std::uint16_t>(sign | 0x7c00u | (man ? 0x200u : 0));
  int e = static_cast<int>(exp) - 127 + 15;
  if (e >= 0x1f) return static_cast<std::uint16_t>(sign | 0x7c00u);
  if (e <= 0) {
    if (e < -10) return static_cast<std::uint16_t>(sign);
    man |= 0x800000u;
    std::uint32_t shift = static_cast<std::uint32_t>(14 - e);
    std::uint32_t half = man >> shift, rem = man & ((1u << shift) - 1), mid = 1u << (shift - 1);
    if (rem > mid || (rem == mid && (half & 1))) ++half;
    return static_cast<std::uint16_t>(sign | half);
  }
  std::uint32_t half = (static_cast<std::uint32_t>(e) << 10) | (man >> 13);
  std::uint32_t rem = man & 0x1fffu;
  if (rem > 0x1000u || (rem == 0x1000u && (half & 1))) ++half;
  return static_cast<std::uint16_t>(sign | half);
}

// Storage formats we read but do not compute in (checkpoints): widened to f32 on load.
inline float bf16_to_f32(const unsigned char* p) {
  std::uint32_t b = (std::uint32_t(p[0]) | std::uint32_t(p[1]) << 8) << 16;
  float v;
  std::memcpy(&v, &b, 4);
  return v;
}
inline float f64_to_f32(const unsigned char* p) {
  double d;
  std::memcpy(&d, p, 8);
  return static_cast<float>(d);
}

}  // namespace cactus
