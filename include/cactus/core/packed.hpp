#pragma once
// Byte layout of the packed weight formats (dtype q8, cq1..cq4). A tensor of shape [R, ...] is
// R rows of K = numel / R weights (a conv kernel [O, C, kh, kw] is O rows of C*kh*kw), padded
// with zeros to Kp = K rounded up to 128 and cut into groups of 128 along K.
//
//   codes:  R * Kp/128 groups, each group_code_bytes(bits) bytes, row-major; then zero padding
//           to a multiple of 64 bytes so the scales start aligned
//   scales: R * Kp/128 IEEE halves: for q8 the group's step (absmax / 127), for CQ the group's
//           L2 norm
//
// Inside a group of 128 codes c[0..127] (CQ codes index a codebook, q8 codes are int8 values):
//   q8   byte j = c[j]
//   cq4  byte j (0..63): low nibble c[j], high nibble c[j + 64]
//   cq2  byte j (0..31): bits 2i..2i+1 hold c[j + 32 i], i = 0..3
//   cq1  byte j (0..15): bit i holds c[j + 16 i], i = 0..7
//   cq3  the low two bits of every code in cq2 layout (32 bytes), then the high bit in cq1
//        layout (16 bytes)
// Splitting codes across bit planes this way lets a SIMD decoder produce consecutive codes from
// consecutive bytes with shifts and masks only.
#include <cstddef>
#include <cstdint>

#include "cactus/core/dtype.hpp"
#include "cactus/core/shape.hpp"

namespace cactus {

inline constexpr std::int64_t packed_group = 128;

constexpr std::size_t group_code_bytes(int bits) { return static_cast<std::size_t>(packed_group) * static_cast<std::size_t>(bits) / 8; }

struct packed_layout {
  int bits = 0;
  std::int64_t rows = 0, k = 0, kp = 0, groups = 0;  // groups per row
  std::size_t code_bytes = 0;                          // per group
  std::size_t scales_offset = 0, scales_bytes = 0, total = 0;

  const unsigned char* codes(const void* base, std::int64_t row) const {
    return static_cast<const unsigned char*>(base) + static_cast<std::size_t>(row * groups) * code_bytes;
  }
  const std::uint16_t* scales(const void* base, std::int64_t row) const {
    return reinterpret_cast<const std::uint16_t*>(static_cast<const unsigned char*>(base) + scales_offset) + row * groups;
  }
};

inline packed_layout packed_layout_of(dtype t, const shape_t& s) {
  check(is_packed(t), "packed_layout_of: ", name_of(t), " is not a packed format");
  packed_layout l;
  l.bits = packed_bits(t);
  const std::int64_t n = numel(s);
  l.rows = s.size() >= 2 ? s[0] : 1;
  l.k = l.rows ? n / l.rows : 0;
  l.kp = (l.k + packed_group - 1) / packed_group * packed_group;
  l.groups = l.kp / packed_group;
  l.code_bytes = group_code_bytes(l.bits);
  const std::size_t codes = static_cast<std::size_t>(l.rows * l.groups) * l.code_bytes;
  l.scales_offset = (codes + 63) / 64 * 64;
  l.scales_bytes = static_cast<std::size_t>(l.rows * l.groups) * 2;
  l.total = l.scales_offset + l.scales_bytes;
  return l;
}

// Bytes a tensor of this dtype and shape occupies (packed formats included).
inline std::size_t storage_bytes(dtype t, const shape_t& s) {
  return is_packed(t) ? packed_layout_of(t, s).total : static_cast<std::size_t>(numel(s)) * size_of(t);
}

}  // namespace cactus
