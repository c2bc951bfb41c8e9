// Packed-weight matrix products, part 2 of 4: reading packed weight rows (q8, cq1..cq4; byte
// layout in core/packed.hpp): decoding a row's codes to its int8 values (codebook levels for CQ,
// the codes for q8), its per-group f32 factors, and how far ahead rows are fetched.
#if defined(CACTUS_KERNELS_QUANT_WEIGHTS_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef CACTUS_KERNELS_QUANT_WEIGHTS_INL_H_
#undef CACTUS_KERNELS_QUANT_WEIGHTS_INL_H_
#else
#define CACTUS_KERNELS_QUANT_WEIGHTS_INL_H_
#endif

#include <algorithm>
#include <type_traits>
#include <cmath>
#include <cstdint>
#include <hwy/cache_control.h>
#include <hwy/highway.h>

#include "cactus/core/dtype.hpp"
#include "cactus/core/packed.hpp"
#include "cactus/kernels/kinds.hpp"

HWY_BEFORE_NAMESPACE();
namespace cactus::kernels::HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// A read hint for the line at p into L2 (prefetcht1 on x86; Highway's Prefetch asks for L1).
HWY_INLINE void PrefetchL2(const void* p) { __builtin_prefetch(p, 0, 2); }

// ---- weight decoding ---------------------------------------------------------------------------

// 1 << (p / 16) for p in [0, 128): which bit of its byte holds code p in a one-bit plane.
HWY_INLINE const uint8_t* BitOfBlock() {
  alignas(64) static constexpr uint8_t bits[128] = {
      1,  1,  1,  1,  1,  1,  1,  1,  1,  1,  1,  1,  1,  1,  1,  1,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,
      4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  8,  8,  8,  8,  8,  8,  8,  8,  8,  8,  8,  8,  8,  8,  8,  8,
      16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 32, 32, 32, 32, 32, 32, 32, 32, 32, 32, 32, 32, 32, 32, 32, 32,
      64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 128, 128, 128, 128, 128, 128, 128, 128, 128, 128, 128, 128, 128, 128, 128, 128};
  return bits;
}

// The int8 values of `groups` consecutive groups (codes at `in`, group_code_bytes(bits) each)
// into out[groups * 128]. `levels` is the CQ codebook (unused for 8 bits, which are values).
template <int Bits>
HWY_INLINE void DecodeGroups(const unsigned char* HWY_RESTRICT in, size_t groups, const int8_t* HWY_RESTRICT levels,
                             int8_t* HWY_RESTRICT out) {
#if HWY_TARGET == HWY_SCALAR
  for (size_t gi = 0; gi < groups; ++gi, in += group_code_bytes(Bits), out += 128)
    for (int c = 0; c < 128; ++c) {
      int code = 0;
      if constexpr (Bits == 4) code = c < 64 ? in[c] & 15 : in[c - 64] >> 4;
      if constexpr (Bits == 2) code = (in[c % 32] >> (2 * (c / 32))) & 3;
      if constexpr (Bits == 1) code = (in[c % 16] >> (c / 16)) & 1;
      if constexpr (Bits == 3) code = ((in[c % 32] >> (2 * (c / 32))) & 3) | (((in[32 + c % 16] >> (c / 16)) & 1) << 2);
      out[c] = levels[code];
    }
#else
  uint8_t* o = reinterpret_cast<uint8_t*>(out);
  if constexpr (Bits == 4) {
    const hn::CappedTag<uint8_t, 64> d;
    const size_t L = hn::Lanes(d);
    const auto table = hn::LoadDup128(d, reinterpret_cast<const uint8_t*>(levels));
    const auto mask = hn::Set(d, 15);
    for (size_t gi = 0; gi < groups; ++gi, in += 64, o += 128)
      for (size_t j = 0; j < 64; j += L) {
        const auto v = hn::LoadU(d, in + j);
        hn::StoreU(hn::TableLookupBytes(table, hn::And(v, mask)), d, o + j);
        hn::StoreU(hn::TableLookupBytes(table, hn::ShiftRight<4>(v)), d, o + 64 + j);
      }
  } else if constexpr (Bits == 2) {
    const hn::CappedTag<uint8_t, 32> d;
    const size_t L = hn::Lanes(d);
    const auto table = hn::LoadDup128(d, reinterpret_cast<const uint8_t*>(levels));
    const auto mask = hn::Set(d, 3);
    for (size_t gi = 0; gi < groups; ++gi, in += 32, o += 128)
      for (size_t j = 0; j < 32; j += L) {
        const auto v = hn::LoadU(d, in + j);
        hn::StoreU(hn::TableLookupBytes(table, hn::And(v, mask)), d, o + j);
        hn::StoreU(hn::TableLookupBytes(table, hn::And(hn::ShiftRight<2>(v), mask)), d, o + 32 + j);
        hn::StoreU(hn::TableLookupBytes(table, hn::And(hn::ShiftRight<4>(v), mask)), d, o + 64 + j);
        hn::StoreU(hn::TableLookupBytes(table, hn::ShiftRight<6>(v)), d, o + 96 + j);
      }
  } else if constexpr (Bits == 1) {
    // code p is bit p / 16 of byte p % 16: every 16-byte block of a vector holding the 16 code
    // bytes (LoadDup128) is tested against its own bit
    const hn::CappedTag<uint8_t, 64> d;
    const size_t L = hn::Lanes(d);
    const auto hi = hn::Set(d, static_cast<uint8_t>(levels[1])), lo = hn::Set(d, static_cast<uint8_t>(levels[0]));
    for (size_t gi = 0; gi < groups; ++gi, in += 16, o += 128) {
      const auto dup = hn::LoadDup128(d, in);
      for (size_t p = 0; p < 128; p += L) hn::StoreU(hn::IfThenElse(hn::TestBit(dup, hn::LoadU(d, BitOfBlock() + p)), hi, lo), d, o + p);
    }
  } else if constexpr (Bits == 3) {
    // low two bits as in cq2, the third bit as in cq1 (turned into +4 on the index)
    const hn::CappedTag<uint8_t, 32> d;
    const size_t L = hn::Lanes(d);
    const auto table = hn::LoadDup128(d, reinterpret_cast<const uint8_t*>(levels));
    const auto mask = hn::Set(d, 3), four = hn::Set(d, 4);
    for (size_t gi = 0; gi < groups; ++gi, in += 48, o += 128) {
      const auto dup = hn::LoadDup128(d, in + 32);
      auto emit = [&](auto low2, size_t p) {
        const auto high = hn::IfThenElseZero(hn::TestBit(dup, hn::LoadU(d, BitOfBlock() + p)), four);
        hn::StoreU(hn::TableLookupBytes(table, hn::Or(hn::And(low2, mask), high)), d, o + p);
      };
      for (size_t j = 0; j < 32; j += L) {
        const auto v = hn::LoadU(d, in + j);
        emit(v, j);
        emit(hn::ShiftRight<2>(v), 32 + j);
        emit(hn::ShiftRight<4>(v), 64 + j);
        emit(hn::ShiftRight<6>(v), 96 + j);
      }
    }
  }
#endif
}

inline HWY_NOINLINE void DecodeRowGroups(int bits, const unsigned char* in, size_t groups, const int8_t* levels, int8_t* out) {
  switch (bits) {
    case 1: DecodeGroups<1>(in, groups, levels, out); break;
    case 2: DecodeGroups<2>(in, groups, levels, out); break;
    case 3: DecodeGroups<3>(in, groups, levels, out); break;
    case 4: DecodeGroups<4>(in, groups, levels, out); break;
    default: std::copy(in, in + groups * 128, reinterpret_cast<unsigned char*>(out)); break;
  }
}

// out[g] = f16 scale[g] * mul for one weight row, in vectors (a scalar f16 conversion per group
// would cost as much as the group's products); the tail goes through a zero-padded copy.
HWY_INLINE void GroupFactors(const uint16_t* HWY_RESTRICT scale, size_t groups, float mul, float* HWY_RESTRICT out) {
  const hn::ScalableTag<float> df;
  const hn::Rebind<hwy::float16_t, decltype(df)> dh;
  const size_t L = hn::Lanes(df);
  const auto m = hn::Set(df, mul);
  size_t g = 0;
  for (; g + L <= groups; g += L)
    hn::StoreU(hn::Mul(hn::PromoteTo(df, hn::LoadU(dh, reinterpret_cast<const hwy::float16_t*>(scale + g))), m), df, out + g);
  if (g < groups) {
    HWY_ALIGN uint16_t tail[HWY_MAX_BYTES / 4 + 1] = {};
    HWY_ALIGN float res[HWY_MAX_BYTES / 4 + 1];
    std::copy(scale + g, scale + groups, tail);
    hn::Store(hn::Mul(hn::PromoteTo(df, hn::Load(dh, reinterpret_cast<const hwy::float16_t*>(tail))), m), df, res);
    std::copy(res, res + (groups - g), out + g);
  }
}

// How far ahead matrix-vector products ask for each weight row's lines (see Gemv4Vnni).
inline constexpr size_t kStreamAhead = 16384;

// The row loop of the matrix-vector products (Gemv4Vnni, Gemv8Sdot, Gemv4Sve, ...): weight rows
// [n0, n1) of row_bytes each, four at a time. It asks for the first kStreamAhead bytes, which no
// hint inside the products covers, then calls cols(std::integral_constant<size_t, NR>(), nb) for
// each block of NR <= 4 rows from row nb. Inlined into each product, so it takes the product's
// target (VNNI, SDOT).
template <class Cols>
HWY_INLINE void GemvRowBlocks(const unsigned char* codes, size_t row_bytes, size_t n0, size_t n1, const Cols& cols) {
  const unsigned char* end = codes + n1 * row_bytes;
  for (const unsigned char* a = codes + n0 * row_bytes; a < std::min(end, codes + n0 * row_bytes + kStreamAhead); a += 64) PrefetchL2(a);
  for (size_t nb = n0; nb < n1; nb += 4) {
    switch (std::min<size_t>(4, n1 - nb)) {
      case 4: cols(std::integral_constant<size_t, 4>(), nb); break;
      case 3: cols(std::integral_constant<size_t, 3>(), nb); break;
      case 2: cols(std::integral_constant<size_t, 2>(), nb); break;
      default: cols(std::integral_constant<size_t, 1>(), nb); break;
    }
  }
}

// Batches above 4 take weight rows kRowBlock at a time (one weight row at a time would stream
// all M activation rows from L2 once per weight row).
inline constexpr size_t kRowBlock = quant_row_block;

}  // namespace cactus::kernels::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#endif  // toggle guard
