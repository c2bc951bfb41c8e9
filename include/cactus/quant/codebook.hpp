#pragma once
// CQ's fixed ingredients: the Lloyd-Max codebooks and the randomized Hadamard rotation.
//
// A group of 128 weights is divided by its L2 norm, so it becomes a unit vector u; rotated by
// R = H diag(s) / sqrt(128) (H the Sylvester Hadamard matrix, s seeded random signs) its
// coordinates are distributed like a coordinate of a uniformly random unit vector in R^128,
// density ~ (1 - x^2)^(125/2), whatever the weights looked like. The codebook for b bits is the
// Lloyd-Max quantizer of that density (tools/lloyd_max.py derives it), stored as odd int8
// levels times one scale so the kernels can multiply integers: level_i = codebook_i8[i] * step.
// Odd, so that (level + 127) / 2 is an integer in [0, 127], the unsigned operand x86's
// pmaddubsw takes. Expected relative MSE of a group, from the same script: 0.3609, 0.1160,
// 0.03400, 0.00940 for 1, 2, 3, 4 bits (Lloyd-Max's float levels: 0.3609, 0.1160, 0.03397,
// 0.00931; the odd int8 levels cost 1% at 4 bits, less below).
//
// These tables are part of the file format: weight files record the seed and the levels and
// the loader checks them, so a bundle never decodes with a codebook it was not written with.
#include <array>
#include <cmath>
#include <cstdint>

#include "cactus/core/error.hpp"

namespace cactus::quant {

inline constexpr std::uint32_t rotation_seed = 0x43414354u;  // "CACT"

struct codebook {
  std::array<std::int8_t, 16> levels{};  // 2^bits used
  float step = 0;                        // value of one int8 unit, in unit-vector coordinates
  double expected_mse = 0;               // Lloyd-Max distortion x 128 (relative MSE of a group)
  std::array<std::int8_t, 16> levels_u7{};  // (level + 127) / 2, the x86 kernels' unsigned operand
};

inline const codebook& cq_codebook(int bits) {
  static codebook books[4] = {
      {{-127, 127}, 0.0005564028192978833f, 0.3609},
      {{-127, -39, 39, 127}, 0.0010476080845837393f, 0.11605},
      {{-127, -79, -45, -15, 15, 45, 79, 127}, 0.0014835374525635123f, 0.03400},
      {{-127, -97, -75, -59, -45, -31, -19, -7, 7, 19, 31, 45, 59, 75, 97, 127}, 0.001870928076289102f, 0.00940},
  };
  static const bool offsets = [] {
    for (auto& b : books)
      for (std::size_t i = 0; i < 16; ++i) b.levels_u7[i] = static_cast<std::int8_t>((b.levels[i] + 127) / 2);
    return true;
  }();
  (void)offsets;
  check(bits >= 1 && bits <= 4, "CQ codebooks exist for 1 to 4 bits, not ", bits);
  return books[bits - 1];
}

// The 128 signs of the rotation, +1 or -1, from splitmix64(seed).
inline const std::array<float, 128>& rotation_signs() {
  static const std::array<float, 128> s = [] {
    std::array<float, 128> r{};
    std::uint64_t x = rotation_seed;
    for (std::size_t i = 0; i < r.size(); i += 64) {
      x += 0x9e3779b97f4a7c15ull;
      std::uint64_t z = x;
      z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
      z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
      z ^= z >> 31;
      for (std::size_t b = 0; b < 64; ++b) r[i + b] = (z >> b) & 1 ? -1.0f : 1.0f;
    }
    return r;
  }();
  return s;
}

// In-place fast Walsh-Hadamard transform of 128 values, scaled by 1/sqrt(128) (orthonormal,
// its own inverse).
inline void hadamard128(float* v) {
  for (int h = 1; h < 128; h *= 2)
    for (int i = 0; i < 128; i += 2 * h)
      for (int j = i; j < i + h; ++j) {
        const float a = v[j], b = v[j + h];
        v[j] = a + b;
        v[j + h] = a - b;
      }
  const float s = 1.0f / std::sqrt(128.0f);
  for (int i = 0; i < 128; ++i) v[i] *= s;
}

// y = R x and its inverse x = R^T y for one group.
inline void rotate_group(float* v) {
  const auto& s = rotation_signs();
  for (int i = 0; i < 128; ++i) v[i] *= s[static_cast<std::size_t>(i)];
  hadamard128(v);
}
inline void unrotate_group(float* v) {
  const auto& s = rotation_signs();
  hadamard128(v);
  for (int i = 0; i < 128; ++i) v[i] *= s[static_cast<std::size_t>(i)];
}

}  // namespace cactus::quant
