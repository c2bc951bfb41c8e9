// Matrix products with packed weights (q8, cq1..cq4; byte layout in core/packed.hpp):
//   C[m, n] = sum_k x[m, k] W[n, k] (+ bias[n])
// in integers. Each activation row is cut into groups of 128 (rotated like the weights for CQ)
// and quantized to int16 with one f32 step per group; each weight row is decoded to its int8
// values (codebook levels for CQ, the codes for q8) and multiplied with the int16 activations
// by widening multiply-add into int32 (pmaddwd on x86, smlal on NEON, SVE's widening MLA).
// Per group the int32 sum is scaled by (weight factor x activation step) into an f32
// accumulator. int16 activations keep the activation rounding error near 2^-16 of the group's
// absmax, and 128 products of |int8| <= 127 by |int16| <= 32767 cannot overflow int32.
#if defined(CACTUS_KERNELS_QUANT_MATMUL_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef CACTUS_KERNELS_QUANT_MATMUL_INL_H_
#undef CACTUS_KERNELS_QUANT_MATMUL_INL_H_
#else
#define CACTUS_KERNELS_QUANT_MATMUL_INL_H_
#endif

#include <algorithm>
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

// ---- activations ------------------------------------------------------------------------------

// The dot products read B int8 weights as one vector and split it into the even and the odd
// lanes as int16 (two shifts; no shuffle, which x86 can issue on one port only). The
// activations are therefore stored permuted to match: in each block of B, the even positions
// first, then the odd ones. B is this target's vector of int8 capped at 64 (1 on HWY_SCALAR,
// where nothing is permuted).
HWY_INLINE size_t ActivationBlock() {
#if HWY_TARGET == HWY_SCALAR
  return 1;
#else
  return hn::Lanes(hn::CappedTag<int8_t, 64>());
#endif
}

// One row x[0, K) -> xq[0, Kp) int16 and step[Kp / 128]; with `signs`, each group is first
// rotated by diag(signs) then the orthonormal Walsh-Hadamard transform (as the CQ weights were).
// Group k0 of row x (zero-padded past K) into g[128], rotated when `signs`; returns its absmax.
HWY_INLINE float PrepareActivationGroup(const float* HWY_RESTRICT x, size_t K, size_t k0, const float* HWY_RESTRICT signs,
                                        float* HWY_RESTRICT g) {
  const hn::ScalableTag<float> df;
  const size_t L = hn::Lanes(df);
  const size_t kn = k0 < K ? std::min<size_t>(128, K - k0) : 0;
  std::copy(x + k0, x + k0 + kn, g);
  std::fill(g + kn, g + 128, 0.0f);
  if (signs) {
    for (size_t i = 0; i < 128; ++i) g[i] *= signs[i];
    // butterflies wider than a vector run on whole vectors, the narrow ones lane by lane
    size_t h = 1;
    for (; h < 128 && h < L; h *= 2)
      for (size_t i = 0; i < 128; i += 2 * h)
        for (size_t j = i; j < i + h; ++j) {
          const float a = g[j], b = g[j + h];
          g[j] = a + b;
          g[j + h] = a - b;
        }
    for (; h < 128; h *= 2)
      for (size_t i = 0; i < 128; i += 2 * h)
        for (size_t j = i; j < i + h; j += L) {
          const auto a = hn::Load(df, g + j), b = hn::Load(df, g + j + h);
          hn::Store(hn::Add(a, b), df, g + j);
          hn::Store(hn::Sub(a, b), df, g + j + h);
        }
    const auto s = hn::Set(df, 1.0f / std::sqrt(128.0f));
    for (size_t i = 0; i < 128; i += L) hn::Store(hn::Mul(hn::Load(df, g + i), s), df, g + i);
  }
  auto vmax = hn::Zero(df);
  for (size_t i = 0; i < 128; i += L) vmax = hn::Max(vmax, hn::Abs(hn::Load(df, g + i)));
  return hn::GetLane(hn::MaxOfLanes(df, vmax));
}

// One row x[0, K) -> xq[0, Kp) int16 and step[Kp / 128] (layout: see ActivationBlock).
HWY_INLINE void QuantizeActivationRow(const float* HWY_RESTRICT x, size_t K, size_t Kp, const float* HWY_RESTRICT signs,
                                      int16_t* HWY_RESTRICT xq, float* HWY_RESTRICT step) {
  const hn::ScalableTag<float> df;
  const hn::Rebind<int16_t, decltype(df)> d16;
  const size_t L = hn::Lanes(df);
  HWY_ALIGN float g[128];
  for (size_t k0 = 0; k0 < Kp; k0 += 128) {
    const float amax = PrepareActivationGroup(x, K, k0, signs, g);
    const float st = amax / 32767.0f;
    step[k0 / 128] = st;
    const auto inv = hn::Set(df, st > 0 ? 1.0f / st : 0.0f);
    const size_t B = ActivationBlock();
    if (B > 1) {
      HWY_ALIGN int16_t q[128];
      for (size_t i = 0; i < 128; i += L) hn::StoreU(hn::DemoteTo(d16, hn::NearestInt(hn::Mul(hn::Load(df, g + i), inv))), d16, q + i);
      for (size_t b0 = 0; b0 < 128; b0 += B)
        for (size_t i = 0; i < B / 2; ++i) {
          xq[k0 + b0 + i] = q[b0 + 2 * i];
          xq[k0 + b0 + B / 2 + i] = q[b0 + 2 * i + 1];
        }
    } else {
      for (size_t i = 0; i < 128; i += L)
        hn::StoreU(hn::DemoteTo(d16, hn::NearestInt(hn::Mul(hn::Load(df, g + i), inv))), d16, xq + k0 + i);
    }
  }
}

// The int8 variant (see Int8DotPath): xq int8 in natural order, step = absmax / 127 and the
// group's sum of int8 values (for the weight offset) per group.
inline HWY_NOINLINE void QuantizeActivationRows8(const float* x, size_t rows, size_t K, size_t Kp, const float* signs, int8_t* xq, float* steps,
                                          int32_t* sums) {
  const hn::ScalableTag<float> df;
  const hn::Rebind<int32_t, decltype(df)> di;
  const size_t L = hn::Lanes(df);
  HWY_ALIGN float g[128];
  HWY_ALIGN int32_t q[128];
  for (size_t r = 0; r < rows; ++r)
    for (size_t k0 = 0; k0 < Kp; k0 += 128) {
      const float amax = PrepareActivationGroup(x + r * K, K, k0, signs, g);
      const float st = amax / 127.0f;
      const size_t gi = r * (Kp / 128) + k0 / 128;
      steps[gi] = st;
      const auto inv = hn::Set(df, st > 0 ? 1.0f / st : 0.0f);
      for (size_t i = 0; i < 128; i += L) hn::Store(hn::NearestInt(hn::Mul(hn::Load(df, g + i), inv)), di, q + i);
      int32_t sum = 0;
      int8_t* out = xq + r * Kp + k0;
      for (size_t i = 0; i < 128; ++i) {
        out[i] = static_cast<int8_t>(std::clamp(q[i], -127, 127));
        sum += out[i];
      }
      sums[gi] = sum;
    }
}

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

// ---- dot products ------------------------------------------------------------------------------

// MR activation rows (xq + r * ldx, steps + r * lds) against one decoded weight row w[Kp] with
// per-group factors f[groups]; writes C[r * ldc] (+ bias).
template <size_t MR>
HWY_INLINE void DotRows(const int8_t* HWY_RESTRICT w, const float* HWY_RESTRICT f, size_t groups, const int16_t* HWY_RESTRICT xq,
                        size_t ldx, const float* HWY_RESTRICT steps, size_t lds, float* HWY_RESTRICT C, size_t ldc, float bias,
                        const int8_t* stream = nullptr) {
#if HWY_TARGET == HWY_SCALAR
  const hn::ScalableTag<int16_t> d16;
  const hn::Rebind<int8_t, decltype(d16)> d8;
  const hn::RepartitionToWide<decltype(d16)> d32;
#else
  const hn::CappedTag<int8_t, 64> d8;
  const hn::Repartition<int16_t, decltype(d8)> d16;
  const hn::Repartition<int32_t, decltype(d8)> d32;
#endif
  const hn::Rebind<float, decltype(d32)> df;
  const size_t B = ActivationBlock(), H = B / 2;
  auto f0 = hn::Zero(df), f1 = f0, f2 = f0, f3 = f0;
  for (size_t g = 0; g < groups; ++g) {
    auto a0 = hn::Zero(d32), b0 = a0, a1 = a0, b1 = a0, a2 = a0, b2 = a0, a3 = a0, b3 = a0;
    const size_t k0 = g * 128;
    if (stream) PrefetchL2(stream + k0), PrefetchL2(stream + k0 + 64);
#if HWY_TARGET == HWY_SCALAR
    for (size_t j = 0; j < 128; ++j) {
      const auto wv = hn::PromoteTo(d16, hn::LoadU(d8, w + k0 + j));
      a0 = hn::ReorderWidenMulAccumulate(d32, wv, hn::LoadU(d16, xq + k0 + j), a0, b0);
      if constexpr (MR > 1) a1 = hn::ReorderWidenMulAccumulate(d32, wv, hn::LoadU(d16, xq + ldx + k0 + j), a1, b1);
      if constexpr (MR > 2) a2 = hn::ReorderWidenMulAccumulate(d32, wv, hn::LoadU(d16, xq + 2 * ldx + k0 + j), a2, b2);
      if constexpr (MR > 3) a3 = hn::ReorderWidenMulAccumulate(d32, wv, hn::LoadU(d16, xq + 3 * ldx + k0 + j), a3, b3);
    }
    (void)H;
#else
    for (size_t j = 0; j < 128; j += B) {
      const auto v = hn::BitCast(d16, hn::LoadU(d8, w + k0 + j));
      const auto we = hn::ShiftRight<8>(hn::ShiftLeft<8>(v)), wo = hn::ShiftRight<8>(v);
      const int16_t* x = xq + k0 + j;
      a0 = hn::ReorderWidenMulAccumulate(d32, we, hn::LoadU(d16, x), a0, b0);
      a0 = hn::ReorderWidenMulAccumulate(d32, wo, hn::LoadU(d16, x + H), a0, b0);
      if constexpr (MR > 1) {
        a1 = hn::ReorderWidenMulAccumulate(d32, we, hn::LoadU(d16, x + ldx), a1, b1);
        a1 = hn::ReorderWidenMulAccumulate(d32, wo, hn::LoadU(d16, x + ldx + H), a1, b1);
      }
      if constexpr (MR > 2) {
        a2 = hn::ReorderWidenMulAccumulate(d32, we, hn::LoadU(d16, x + 2 * ldx), a2, b2);
        a2 = hn::ReorderWidenMulAccumulate(d32, wo, hn::LoadU(d16, x + 2 * ldx + H), a2, b2);
      }
      if constexpr (MR > 3) {
        a3 = hn::ReorderWidenMulAccumulate(d32, we, hn::LoadU(d16, x + 3 * ldx), a3, b3);
        a3 = hn::ReorderWidenMulAccumulate(d32, wo, hn::LoadU(d16, x + 3 * ldx + H), a3, b3);
      }
    }
#endif
    f0 = hn::MulAdd(hn::ConvertTo(df, hn::Add(a0, b0)), hn::Set(df, f[g] * steps[g]), f0);
    if constexpr (MR > 1) f1 = hn::MulAdd(hn::ConvertTo(df, hn::Add(a1, b1)), hn::Set(df, f[g] * steps[lds + g]), f1);
    if constexpr (MR > 2) f2 = hn::MulAdd(hn::ConvertTo(df, hn::Add(a2, b2)), hn::Set(df, f[g] * steps[2 * lds + g]), f2);
    if constexpr (MR > 3) f3 = hn::MulAdd(hn::ConvertTo(df, hn::Add(a3, b3)), hn::Set(df, f[g] * steps[3 * lds + g]), f3);
  }
  C[0] = hn::GetLane(hn::SumOfLanes(df, f0)) + bias;
  if constexpr (MR > 1) C[ldc] = hn::GetLane(hn::SumOfLanes(df, f1)) + bias;
  if constexpr (MR > 2) C[2 * ldc] = hn::GetLane(hn::SumOfLanes(df, f2)) + bias;
  if constexpr (MR > 3) C[3 * ldc] = hn::GetLane(hn::SumOfLanes(df, f3)) + bias;
}

// How far ahead matrix-vector products ask for each weight row's lines (see Gemv4Vnni).
inline constexpr size_t kStreamAhead = 16384;

// Batches above 4 take weight rows kRowBlock at a time (one weight row at a time would stream
// all M activation rows from L2 once per weight row).
inline constexpr size_t kRowBlock = quant_row_block;

// Weight rows [n0, n1) of a packed matrix against M quantized activation rows. `base` is the
// packed tensor, `level_step` the codebook step (1 for q8), `wbuf` scratch of kRowBlock * Kp
// bytes, `factors` of kRowBlock * groups floats.
inline HWY_NOINLINE void QuantMatmulRows(int bits, const void* base, size_t groups, size_t scales_offset, const int8_t* levels, float level_step,
                                  size_t M, size_t n0, size_t n1, const int16_t* xq, const float* steps, float* C, size_t ldc,
                                  const float* bias, int8_t* wbuf, float* factors) {
  const size_t Kp = groups * 128, code_bytes = group_code_bytes(bits);
  const auto* codes = static_cast<const unsigned char*>(base);
  const auto* scales = reinterpret_cast<const uint16_t*>(codes + scales_offset);
  const size_t row_bytes = groups * code_bytes;
  const size_t ahead = std::max<size_t>(1, 2048 / row_bytes);
  auto load_factors = [&](size_t n, float* f) { GroupFactors(scales + n * groups, groups, level_step, f); };
  // Ask for the row ~2 KiB ahead, into L2: decoding alone would not keep enough reads in flight
  // (q8 1024x1024 matrix-vector: 67% of read bandwidth hinting into L1, 77% into L2).
  auto prefetch_ahead = [&](size_t n) {
    if (n + ahead < n1)
      for (size_t b = 0; b < row_bytes; b += 64) PrefetchL2(codes + (n + ahead) * row_bytes + b);
  };
  const size_t block = M > 4 ? kRowBlock : 1;
  const int8_t* w[kRowBlock];
  for (size_t nb = n0; nb < n1; nb += block) {
    const size_t rows = std::min(block, n1 - nb);
    // q8 matrix-vector: each row's hints go out spread through its products, for the row
    // kStreamAhead bytes further (as Gemv4Vnni does); otherwise one burst per row
    const bool streamed = M == 1 && bits == 8;
    const int8_t* stream = nullptr;
    if (streamed) {
      const size_t n = nb + std::max<size_t>(1, kStreamAhead / row_bytes);
      if (n < n1) stream = reinterpret_cast<const int8_t*>(codes + n * row_bytes);
    }
    for (size_t i = 0; i < rows; ++i) {
      const size_t n = nb + i;
      if (!streamed) prefetch_ahead(n);
      const unsigned char* row = codes + n * row_bytes;
      w[i] = reinterpret_cast<const int8_t*>(row);
      if (bits != 8) {
        DecodeRowGroups(bits, row, groups, levels, wbuf + i * Kp);
        w[i] = wbuf + i * Kp;
      }
      load_factors(n, factors + i * groups);
    }
    size_t m = 0;
    for (; m + 4 <= M; m += 4)
      for (size_t i = 0; i < rows; ++i)
        DotRows<4>(w[i], factors + i * groups, groups, xq + m * Kp, Kp, steps + m * groups, groups, C + m * ldc + nb + i, ldc,
                   bias ? bias[nb + i] : 0.0f);
    for (size_t i = 0; i < rows && m < M; ++i) {
      const float* f = factors + i * groups;
      float* c = C + m * ldc + nb + i;
      const float b = bias ? bias[nb + i] : 0.0f;
      switch (M - m) {
        case 3: DotRows<3>(w[i], f, groups, xq + m * Kp, Kp, steps + m * groups, groups, c, ldc, b); break;
        case 2: DotRows<2>(w[i], f, groups, xq + m * Kp, Kp, steps + m * groups, groups, c, ldc, b); break;
        default: DotRows<1>(w[i], f, groups, xq + m * Kp, Kp, steps + m * groups, groups, c, ldc, b, stream); break;
      }
    }
  }
}

// ---- x86: int8 activations x unsigned 7-bit CQ weights ---------------------------------------
//
// On x86 the int16 path's widening multiply-add is the bottleneck of CQ matrix-vector products
// (the codes are 4 bits or fewer: decoding and multiplying cost more than reading them). There
// pmaddubsw multiplies unsigned by signed bytes and adds pairs into int16, so CQ weights are
// decoded to u = (level + 127) / 2 in [0, 127] (the levels are odd: quant/codebook.hpp) and the
// activations quantized to int8: 2 u x <= 2 * 127 * 127 cannot saturate, pmaddwd with ones
// widens to int32, and sum(level x) = 2 sum(u x) - 127 sum(x) per group. Highway 1.0.3 has no
// op for this, hence the raw intrinsics; other targets keep the int16 path (the portable code
// below is the oracle-checked equivalent, used by tests everywhere).
#ifdef CACTUS_QUANT_INT8_DOT
#undef CACTUS_QUANT_INT8_DOT
#endif
#if HWY_TARGET == HWY_AVX3 || HWY_TARGET == HWY_AVX3_DL || HWY_TARGET == HWY_AVX2 || HWY_TARGET == HWY_SSE4 || HWY_TARGET == HWY_SSSE3
#define CACTUS_QUANT_INT8_DOT 1
#else
#define CACTUS_QUANT_INT8_DOT 0
#endif

inline HWY_NOINLINE bool Int8DotPath() { return CACTUS_QUANT_INT8_DOT; }

#if HWY_TARGET == HWY_AVX3
inline bool HasVnni() {
  static const bool has = __builtin_cpu_supports("avx512vnni");
  return has;
}
#endif
// Tests run the AVX3 target with and without its VNNI variants (see DotRows8Vnni).
inline bool& ForceNoVnni() {
  static bool off = false;
  return off;
}
inline HWY_NOINLINE void SetVnniAllowed(bool allowed) { ForceNoVnni() = !allowed; }
inline HWY_NOINLINE bool VnniActive() {
#if HWY_TARGET == HWY_AVX3
  return HasVnni() && !ForceNoVnni();
#else
  return false;
#endif
}

#if CACTUS_QUANT_INT8_DOT
// sum over pairs of u8 w times i8 x, as int32 lanes (4 products each)
template <class V>
HWY_INLINE auto MulAddPairsU8I8(V w, V x) {
#if HWY_TARGET == HWY_AVX3 || HWY_TARGET == HWY_AVX3_DL
  return hn::Vec512<int32_t>{_mm512_madd_epi16(_mm512_maddubs_epi16(w.raw, x.raw), _mm512_set1_epi16(1))};
#elif HWY_TARGET == HWY_AVX2
  return hn::Vec256<int32_t>{_mm256_madd_epi16(_mm256_maddubs_epi16(w.raw, x.raw), _mm256_set1_epi16(1))};
#else
  return hn::Vec128<int32_t>{_mm_madd_epi16(_mm_maddubs_epi16(w.raw, x.raw), _mm_set1_epi16(1))};
#endif
}
#endif

#if HWY_TARGET == HWY_AVX3
// AVX-512 VNNI (Cascade Lake, Ice Lake and later): vpdpbusd multiplies unsigned by signed bytes
// and accumulates groups of four into int32 in one instruction, where pmaddubsw + pmaddwd +
// add take three. Highway 1.0.3 compiles its AVX3_DL target only on request and has no op for
// it, so the AVX3 target carries VNNI variants of DotCols8 (matrix-vector) and DotRows8
// (matrix-matrix) with their own target attribute, chosen at run time when the CPU has VNNI.
// The attribute is the AVX3 target's own feature string plus VNNI: clang inlines Highway's
// AVX3 functions (PrefetchL2) only into functions with every feature those carry.
template <size_t MR>
__attribute__((target(HWY_TARGET_STR_AVX3 ",avx512vnni"))) HWY_NOINLINE void DotRows8Vnni(
    const uint8_t* HWY_RESTRICT u, const float* HWY_RESTRICT f, size_t groups, const int8_t* HWY_RESTRICT xq, size_t ldx,
    const float* HWY_RESTRICT steps, const int32_t* HWY_RESTRICT sums, size_t lds, float* HWY_RESTRICT C, size_t ldc, float bias) {
  float corr[4] = {0, 0, 0, 0};
  __m512 f0 = _mm512_setzero_ps(), f1 = f0, f2 = f0, f3 = f0;
  for (size_t g = 0; g < groups; ++g) {
    __m512i a0 = _mm512_setzero_si512(), a1 = a0, a2 = a0, a3 = a0;
    const size_t k0 = g * 128;
    for (size_t j = 0; j < 128; j += 64) {
      const __m512i w = _mm512_loadu_si512(u + k0 + j);
      const int8_t* x = xq + k0 + j;
      a0 = _mm512_dpbusd_epi32(a0, w, _mm512_loadu_si512(x));
      if constexpr (MR > 1) a1 = _mm512_dpbusd_epi32(a1, w, _mm512_loadu_si512(x + ldx));
      if constexpr (MR > 2) a2 = _mm512_dpbusd_epi32(a2, w, _mm512_loadu_si512(x + 2 * ldx));
      if constexpr (MR > 3) a3 = _mm512_dpbusd_epi32(a3, w, _mm512_loadu_si512(x + 3 * ldx));
    }
    f0 = _mm512_fmadd_ps(_mm512_cvtepi32_ps(a0), _mm512_set1_ps(2.0f * f[g] * steps[g]), f0);
    corr[0] += f[g] * steps[g] * static_cast<float>(sums[g]);
    if constexpr (MR > 1) {
      f1 = _mm512_fmadd_ps(_mm512_cvtepi32_ps(a1), _mm512_set1_ps(2.0f * f[g] * steps[lds + g]), f1);
      corr[1] += f[g] * steps[lds + g] * static_cast<float>(sums[lds + g]);
    }
    if constexpr (MR > 2) {
      f2 = _mm512_fmadd_ps(_mm512_cvtepi32_ps(a2), _mm512_set1_ps(2.0f * f[g] * steps[2 * lds + g]), f2);
      corr[2] += f[g] * steps[2 * lds + g] * static_cast<float>(sums[2 * lds + g]);
    }
    if constexpr (MR > 3) {
      f3 = _mm512_fmadd_ps(_mm512_cvtepi32_ps(a3), _mm512_set1_ps(2.0f * f[g] * steps[3 * lds + g]), f3);
      corr[3] += f[g] * steps[3 * lds + g] * static_cast<float>(sums[3 * lds + g]);
    }
  }
  const float dot[4] = {_mm512_reduce_add_ps(f0), _mm512_reduce_add_ps(f1), _mm512_reduce_add_ps(f2), _mm512_reduce_add_ps(f3)};
  for (size_t r = 0; r < MR; ++r) C[r * ldc] = dot[r] - 127.0f * corr[r] + bias;
}
#endif

// MR int8 activation rows against one weight row decoded to u[Kp] (u = (level + 127) / 2).
template <size_t MR>
HWY_INLINE void DotRows8(const uint8_t* HWY_RESTRICT u, const float* HWY_RESTRICT f, size_t groups, const int8_t* HWY_RESTRICT xq,
                         size_t ldx, const float* HWY_RESTRICT steps, const int32_t* HWY_RESTRICT sums, size_t lds, float* HWY_RESTRICT C,
                         size_t ldc, float bias) {
#if HWY_TARGET == HWY_AVX3
  if (HasVnni() && !ForceNoVnni()) return DotRows8Vnni<MR>(u, f, groups, xq, ldx, steps, sums, lds, C, ldc, bias);
#endif
  float corr[4] = {0, 0, 0, 0};
#if CACTUS_QUANT_INT8_DOT
  const hn::ScalableTag<uint8_t> d8;
  const hn::Repartition<int32_t, decltype(d8)> d32;
  const hn::Rebind<float, decltype(d32)> df;
  const size_t L = hn::Lanes(d8);
  auto f0 = hn::Zero(df), f1 = f0, f2 = f0, f3 = f0;
  for (size_t g = 0; g < groups; ++g) {
    auto a0 = hn::Zero(d32), a1 = a0, a2 = a0, a3 = a0;
    const size_t k0 = g * 128;
    for (size_t j = 0; j < 128; j += L) {
      const auto w = hn::LoadU(d8, u + k0 + j);
      const uint8_t* x = reinterpret_cast<const uint8_t*>(xq) + k0 + j;
      a0 = hn::Add(a0, MulAddPairsU8I8(w, hn::LoadU(d8, x)));
      if constexpr (MR > 1) a1 = hn::Add(a1, MulAddPairsU8I8(w, hn::LoadU(d8, x + ldx)));
      if constexpr (MR > 2) a2 = hn::Add(a2, MulAddPairsU8I8(w, hn::LoadU(d8, x + 2 * ldx)));
      if constexpr (MR > 3) a3 = hn::Add(a3, MulAddPairsU8I8(w, hn::LoadU(d8, x + 3 * ldx)));
    }
    f0 = hn::MulAdd(hn::ConvertTo(df, a0), hn::Set(df, 2.0f * f[g] * steps[g]), f0);
    corr[0] += f[g] * steps[g] * static_cast<float>(sums[g]);
    if constexpr (MR > 1) {
      f1 = hn::MulAdd(hn::ConvertTo(df, a1), hn::Set(df, 2.0f * f[g] * steps[lds + g]), f1);
      corr[1] += f[g] * steps[lds + g] * static_cast<float>(sums[lds + g]);
    }
    if constexpr (MR > 2) {
      f2 = hn::MulAdd(hn::ConvertTo(df, a2), hn::Set(df, 2.0f * f[g] * steps[2 * lds + g]), f2);
      corr[2] += f[g] * steps[2 * lds + g] * static_cast<float>(sums[2 * lds + g]);
    }
    if constexpr (MR > 3) {
      f3 = hn::MulAdd(hn::ConvertTo(df, a3), hn::Set(df, 2.0f * f[g] * steps[3 * lds + g]), f3);
      corr[3] += f[g] * steps[3 * lds + g] * static_cast<float>(sums[3 * lds + g]);
    }
  }
  const float dot[4] = {hn::GetLane(hn::SumOfLanes(df, f0)), MR > 1 ? hn::GetLane(hn::SumOfLanes(df, f1)) : 0.0f,
                        MR > 2 ? hn::GetLane(hn::SumOfLanes(df, f2)) : 0.0f, MR > 3 ? hn::GetLane(hn::SumOfLanes(df, f3)) : 0.0f};
#else
  float dot[4] = {0, 0, 0, 0};
  for (size_t r = 0; r < MR; ++r)
    for (size_t g = 0; g < groups; ++g) {
      int32_t isum = 0;
      for (size_t j = 0; j < 128; ++j) isum += int32_t(u[g * 128 + j]) * xq[r * ldx + g * 128 + j];
      dot[r] += 2.0f * f[g] * steps[r * lds + g] * static_cast<float>(isum);
      corr[r] += f[g] * steps[r * lds + g] * static_cast<float>(sums[r * lds + g]);
    }
#endif
  for (size_t r = 0; r < MR; ++r) C[r * ldc] = dot[r] - 127.0f * corr[r] + bias;
}

#if HWY_TARGET == HWY_AVX3
// DotCols8 (below) with vpdpbusd: see DotRows8Vnni.
template <size_t NR>
__attribute__((target(HWY_TARGET_STR_AVX3 ",avx512vnni"))) HWY_NOINLINE void DotCols8Vnni(
    const uint8_t* HWY_RESTRICT u, size_t Kp, const float* HWY_RESTRICT f, size_t groups, const int8_t* HWY_RESTRICT xq,
    const float* HWY_RESTRICT steps, const int32_t* HWY_RESTRICT sums, float* HWY_RESTRICT C, const float* bias) {
  float corr[4] = {0, 0, 0, 0};
  __m512 f0 = _mm512_setzero_ps(), f1 = f0, f2 = f0, f3 = f0;
  for (size_t g = 0; g < groups; ++g) {
    __m512i a0 = _mm512_setzero_si512(), a1 = a0, a2 = a0, a3 = a0;
    const size_t k0 = g * 128;
    for (size_t j = 0; j < 128; j += 64) {
      const __m512i x = _mm512_loadu_si512(xq + k0 + j);
      a0 = _mm512_dpbusd_epi32(a0, _mm512_loadu_si512(u + k0 + j), x);
      if constexpr (NR > 1) a1 = _mm512_dpbusd_epi32(a1, _mm512_loadu_si512(u + Kp + k0 + j), x);
      if constexpr (NR > 2) a2 = _mm512_dpbusd_epi32(a2, _mm512_loadu_si512(u + 2 * Kp + k0 + j), x);
      if constexpr (NR > 3) a3 = _mm512_dpbusd_epi32(a3, _mm512_loadu_si512(u + 3 * Kp + k0 + j), x);
    }
    const float s = steps[g], sx = s * static_cast<float>(sums[g]);
    f0 = _mm512_fmadd_ps(_mm512_cvtepi32_ps(a0), _mm512_set1_ps(2.0f * f[g] * s), f0);
    corr[0] += f[g] * sx;
    if constexpr (NR > 1) {
      f1 = _mm512_fmadd_ps(_mm512_cvtepi32_ps(a1), _mm512_set1_ps(2.0f * f[groups + g] * s), f1);
      corr[1] += f[groups + g] * sx;
    }
    if constexpr (NR > 2) {
      f2 = _mm512_fmadd_ps(_mm512_cvtepi32_ps(a2), _mm512_set1_ps(2.0f * f[2 * groups + g] * s), f2);
      corr[2] += f[2 * groups + g] * sx;
    }
    if constexpr (NR > 3) {
      f3 = _mm512_fmadd_ps(_mm512_cvtepi32_ps(a3), _mm512_set1_ps(2.0f * f[3 * groups + g] * s), f3);
      corr[3] += f[3 * groups + g] * sx;
    }
  }
  const float dot[4] = {_mm512_reduce_add_ps(f0), _mm512_reduce_add_ps(f1), _mm512_reduce_add_ps(f2), _mm512_reduce_add_ps(f3)};
  for (size_t r = 0; r < NR; ++r) C[r] = dot[r] - 127.0f * corr[r] + (bias ? bias[r] : 0.0f);
}

// CQ4 matrix-vector products with vpdpbusd, decoding in registers: a code is the index of its
// level, so one byte shuffle per 64 codes gives u, and the products read the codes straight
// from the weights (a decoded copy in memory costs as many instructions as the products, and
// with one activation row nothing amortizes it). NR weight rows at w, w + row_bytes, ...
template <size_t NR>
__attribute__((target(HWY_TARGET_STR_AVX3 ",avx512vnni"))) HWY_INLINE void Cols4Vnni(
    const unsigned char* HWY_RESTRICT w, const unsigned char* end, size_t row_bytes, const uint16_t* HWY_RESTRICT scales, size_t groups, __m512i table,
    float level_step, const int8_t* HWY_RESTRICT xq, const float* HWY_RESTRICT steps, const int32_t* HWY_RESTRICT sums,
    float* HWY_RESTRICT C, const float* bias) {
  const __m512i low = _mm512_set1_epi8(15);
  __m512 acc[NR];
  float corr[NR];
  for (size_t r = 0; r < NR; ++r) acc[r] = _mm512_setzero_ps(), corr[r] = 0.0f;
  for (size_t g = 0; g < groups; ++g) {
    const __m512i x0 = _mm512_loadu_si512(xq + g * 128), x1 = _mm512_loadu_si512(xq + g * 128 + 64);
    const float xs = 2.0f * level_step * steps[g], cs = level_step * steps[g] * static_cast<float>(sums[g]);
    for (size_t r = 0; r < NR; ++r) {
      const __m512i v = _mm512_loadu_si512(w + r * row_bytes + g * 64);
      // Each row is a stream: ask for its line 16 KiB ahead, into L2. Hints spread through the
      // products keep reads in flight without bursts that stall loads; nearer, the hints came too
      // late (4096x4096 at 63% of read bandwidth with 2 KiB, 83% with 16 KiB); into L1 they hold
      // line-fill buffers longer. Never past the rows this call reads (another thread's, or none).
      if (const unsigned char* a = w + r * row_bytes + g * 64 + kStreamAhead; a < end) PrefetchL2(a);
      __m512i a = _mm512_dpbusd_epi32(_mm512_setzero_si512(), _mm512_shuffle_epi8(table, _mm512_and_si512(v, low)), x0);
      a = _mm512_dpbusd_epi32(a, _mm512_shuffle_epi8(table, _mm512_and_si512(_mm512_srli_epi16(v, 4), low)), x1);
      const float fw = _cvtsh_ss(scales[r * groups + g]);
      acc[r] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(a), _mm512_set1_ps(fw * xs), acc[r]);
      corr[r] += fw * cs;
    }
  }
  for (size_t r = 0; r < NR; ++r) C[r] = _mm512_reduce_add_ps(acc[r]) - 127.0f * corr[r] + (bias ? bias[r] : 0.0f);
}

// Weight rows [n0, n1) of a CQ4 matrix against one int8 activation row (see QuantMatmulRows8).
inline __attribute__((target(HWY_TARGET_STR_AVX3 ",avx512vnni"))) HWY_NOINLINE void Gemv4Vnni(
    const unsigned char* codes, const uint16_t* scales, size_t groups, const int8_t* levels_u, float level_step, size_t n0, size_t n1,
    const int8_t* xq, const float* steps, const int32_t* sums, float* C, const float* bias) {
  const size_t row_bytes = groups * 64;
  const unsigned char* end = codes + n1 * row_bytes;
  // the first kStreamAhead bytes, which no hint inside the products covers
  for (const unsigned char* a = codes + n0 * row_bytes; a < std::min(end, codes + n0 * row_bytes + kStreamAhead); a += 64) PrefetchL2(a);
  const __m512i table = _mm512_broadcast_i32x4(_mm_loadu_si128(reinterpret_cast<const __m128i*>(levels_u)));
  for (size_t nb = n0; nb < n1; nb += 4) {
    const unsigned char* w = codes + nb * row_bytes;
    const uint16_t* s = scales + nb * groups;
    const float* bb = bias ? bias + nb : nullptr;
    switch (std::min<size_t>(4, n1 - nb)) {
      case 4: Cols4Vnni<4>(w, end, row_bytes, s, groups, table, level_step, xq, steps, sums, C + nb, bb); break;
      case 3: Cols4Vnni<3>(w, end, row_bytes, s, groups, table, level_step, xq, steps, sums, C + nb, bb); break;
      case 2: Cols4Vnni<2>(w, end, row_bytes, s, groups, table, level_step, xq, steps, sums, C + nb, bb); break;
      default: Cols4Vnni<1>(w, end, row_bytes, s, groups, table, level_step, xq, steps, sums, C + nb, bb); break;
    }
  }
}
#endif

// One int8 activation row against NR weight rows decoded to u (row r at u + r * Kp, factors at
// f + r * groups), writing C[r] (+ bias[r]): the matrix-vector case, where sharing the
// activation loads and the per-row bookkeeping across rows matters.
template <size_t NR>
HWY_INLINE void DotCols8(const uint8_t* HWY_RESTRICT u, size_t Kp, const float* HWY_RESTRICT f, size_t groups, const int8_t* HWY_RESTRICT xq,
                         const float* HWY_RESTRICT steps, const int32_t* HWY_RESTRICT sums, float* HWY_RESTRICT C, const float* bias) {
#if HWY_TARGET == HWY_AVX3
  if (HasVnni() && !ForceNoVnni()) return DotCols8Vnni<NR>(u, Kp, f, groups, xq, steps, sums, C, bias);
#endif
  float corr[4] = {0, 0, 0, 0}, dot[4] = {0, 0, 0, 0};
#if CACTUS_QUANT_INT8_DOT
  const hn::ScalableTag<uint8_t> d8;
  const hn::Repartition<int32_t, decltype(d8)> d32;
  const hn::Rebind<float, decltype(d32)> df;
  const size_t L = hn::Lanes(d8);
  auto f0 = hn::Zero(df), f1 = f0, f2 = f0, f3 = f0;
  for (size_t g = 0; g < groups; ++g) {
    auto a0 = hn::Zero(d32), a1 = a0, a2 = a0, a3 = a0;
    const size_t k0 = g * 128;
    for (size_t j = 0; j < 128; j += L) {
      const auto x = hn::LoadU(d8, reinterpret_cast<const uint8_t*>(xq) + k0 + j);
      a0 = hn::Add(a0, MulAddPairsU8I8(hn::LoadU(d8, u + k0 + j), x));
      if constexpr (NR > 1) a1 = hn::Add(a1, MulAddPairsU8I8(hn::LoadU(d8, u + Kp + k0 + j), x));
      if constexpr (NR > 2) a2 = hn::Add(a2, MulAddPairsU8I8(hn::LoadU(d8, u + 2 * Kp + k0 + j), x));
      if constexpr (NR > 3) a3 = hn::Add(a3, MulAddPairsU8I8(hn::LoadU(d8, u + 3 * Kp + k0 + j), x));
    }
    const float s = steps[g], sx = s * static_cast<float>(sums[g]);
    f0 = hn::MulAdd(hn::ConvertTo(df, a0), hn::Set(df, 2.0f * f[g] * s), f0);
    corr[0] += f[g] * sx;
    if constexpr (NR > 1) {
      f1 = hn::MulAdd(hn::ConvertTo(df, a1), hn::Set(df, 2.0f * f[groups + g] * s), f1);
      corr[1] += f[groups + g] * sx;
    }
    if constexpr (NR > 2) {
      f2 = hn::MulAdd(hn::ConvertTo(df, a2), hn::Set(df, 2.0f * f[2 * groups + g] * s), f2);
      corr[2] += f[2 * groups + g] * sx;
    }
    if constexpr (NR > 3) {
      f3 = hn::MulAdd(hn::ConvertTo(df, a3), hn::Set(df, 2.0f * f[3 * groups + g] * s), f3);
      corr[3] += f[3 * groups + g] * sx;
    }
  }
  dot[0] = hn::GetLane(hn::SumOfLanes(df, f0));
  if constexpr (NR > 1) dot[1] = hn::GetLane(hn::SumOfLanes(df, f1));
  if constexpr (NR > 2) dot[2] = hn::GetLane(hn::SumOfLanes(df, f2));
  if constexpr (NR > 3) dot[3] = hn::GetLane(hn::SumOfLanes(df, f3));
#else
  for (size_t r = 0; r < NR; ++r)
    for (size_t g = 0; g < groups; ++g) {
      int32_t isum = 0;
      for (size_t j = 0; j < 128; ++j) isum += int32_t(u[r * Kp + g * 128 + j]) * xq[g * 128 + j];
      dot[r] += 2.0f * f[r * groups + g] * steps[g] * static_cast<float>(isum);
      corr[r] += f[r * groups + g] * steps[g] * static_cast<float>(sums[g]);
    }
#endif
  for (size_t r = 0; r < NR; ++r) C[r] = dot[r] - 127.0f * corr[r] + (bias ? bias[r] : 0.0f);
}

// Weight rows [n0, n1) of a CQ matrix (bits 1..4) against M int8 activation rows from
// QuantizeActivationRows8. `levels_u` holds (level + 127) / 2 per code; `wbuf` is scratch of
// kRowBlock * Kp bytes, `factors` of kRowBlock * groups floats.
inline HWY_NOINLINE void QuantMatmulRows8(int bits, const void* base, size_t groups, size_t scales_offset, const int8_t* levels_u, float level_step,
                                   size_t M, size_t n0, size_t n1, const int8_t* xq, const float* steps, const int32_t* sums, float* C,
                                   size_t ldc, const float* bias, int8_t* wbuf, float* factors) {
  const size_t Kp = groups * 128, code_bytes = group_code_bytes(bits), row_bytes = groups * code_bytes;
  const auto* codes = static_cast<const unsigned char*>(base);
  const auto* scales = reinterpret_cast<const uint16_t*>(codes + scales_offset);
#if HWY_TARGET == HWY_AVX3
  if (M == 1 && bits == 4 && HasVnni() && !ForceNoVnni())
    return Gemv4Vnni(codes, scales, groups, levels_u, level_step, n0, n1, xq, steps, sums, C, bias);
#endif
  const size_t block = M > 1 ? (M > 4 ? kRowBlock : 1) : 4, ahead = std::max<size_t>(1, 2048 / row_bytes);
  const uint8_t* w[kRowBlock];
  for (size_t nb = n0; nb < n1; nb += block) {
    const size_t rows = std::min(block, n1 - nb);
    for (size_t i = 0; i < rows; ++i) {
      const size_t n = nb + i;
      if (n + ahead < n1)
        for (size_t b = 0; b < row_bytes; b += 64) PrefetchL2(codes + (n + ahead) * row_bytes + b);
      DecodeRowGroups(bits, codes + n * row_bytes, groups, levels_u, wbuf + i * Kp);
      w[i] = reinterpret_cast<const uint8_t*>(wbuf + i * Kp);
      GroupFactors(scales + n * groups, groups, level_step, factors + i * groups);
    }
    if (M == 1) {
      const uint8_t* u = reinterpret_cast<const uint8_t*>(wbuf);
      const float* b = bias ? bias + nb : nullptr;
      switch (rows) {
        case 4: DotCols8<4>(u, Kp, factors, groups, xq, steps, sums, C + nb, b); break;
        case 3: DotCols8<3>(u, Kp, factors, groups, xq, steps, sums, C + nb, b); break;
        case 2: DotCols8<2>(u, Kp, factors, groups, xq, steps, sums, C + nb, b); break;
        default: DotCols8<1>(u, Kp, factors, groups, xq, steps, sums, C + nb, b); break;
      }
      continue;
    }
    size_t m = 0;
    for (; m + 4 <= M; m += 4)
      for (size_t i = 0; i < rows; ++i)
        DotRows8<4>(w[i], factors + i * groups, groups, xq + m * Kp, Kp, steps + m * groups, sums + m * groups, groups, C + m * ldc + nb + i,
                    ldc, bias ? bias[nb + i] : 0.0f);
    for (size_t i = 0; i < rows && m < M; ++i) {
      const float* f = factors + i * groups;
      float* c = C + m * ldc + nb + i;
      const float b = bias ? bias[nb + i] : 0.0f;
      const int8_t* x = xq + m * Kp;
      const float* st = steps + m * groups;
      const int32_t* su = sums + m * groups;
      switch (M - m) {
        case 3: DotRows8<3>(w[i], f, groups, x, Kp, st, su, groups, c, ldc, b); break;
        case 2: DotRows8<2>(w[i], f, groups, x, Kp, st, su, groups, c, ldc, b); break;
        default: DotRows8<1>(w[i], f, groups, x, Kp, st, su, groups, c, ldc, b); break;
      }
    }
  }
}

inline HWY_NOINLINE size_t QuantActivationBlock() { return ActivationBlock(); }

inline HWY_NOINLINE void QuantizeActivationRows(const float* x, size_t rows, size_t K, size_t Kp, const float* signs, int16_t* xq, float* steps) {
  for (size_t r = 0; r < rows; ++r) QuantizeActivationRow(x + r * K, K, Kp, signs, xq + r * Kp, steps + r * (Kp / 128));
}

}  // namespace cactus::kernels::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#endif  // include guard
