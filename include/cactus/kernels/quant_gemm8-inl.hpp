// Packed-weight matrix products, the int8 matrix-matrix microkernel (prefill, batch > 4).
//
// The matrix-vector kernels (quant_dot8-inl.hpp) multiply a weight row by an activation row
// inside one vector and sum the vector at the end: right for one activation row, but with many
// rows every group of 128 ends in horizontal sums. Here the vector runs across activation rows
// instead, as in a BLAS microkernel: the activations are packed once per call in blocks of 16
// rows, four consecutive k of a row side by side (xp[block][k / 4][row][k % 4]), so one vector
// holds k..k+3 of 16 rows, and a weight row's four bytes at k are broadcast against it. A tile
// of 2 x 16 activation rows by 8 weight rows keeps 16 int32 accumulators in registers; per
// group of 128 they are turned to float and scaled once (activation steps as a vector, the
// weight factor broadcast), with no horizontal sum anywhere.
//
// AVX-512 VNNI: vpdpbusd multiplies unsigned by signed bytes, the broadcast operand being the
// signed one. So the weights stay signed (CQ levels decoded into a row buffer; q8 read as stored,
// with no copy) and the activations are stored as x + 128 (unsigned); the accumulators start at
// -128 sum(w) of their group, so sum((x + 128) w) - 128 sum(w) = sum(x w) exactly.
//
// AVX2 (no VNNI): pmaddubsw + pmaddwd on the same layout, 8 activation rows by 8 weight rows
// per pass (Gemm8TileMaddubs).
//
// Arm with FEAT_DotProd: SDOT by lane, 8 activation rows by 8 weight rows per pass (below); with
// FEAT_I8MM too, SMMLA on the same layout (NEON and SVE targets).
//
// Other targets run the same layout in plain loops (the tests check it on every target against
// the integer oracle); the dispatcher takes this path only where Gemm8Active().
#if defined(CACTUS_KERNELS_QUANT_GEMM8_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef CACTUS_KERNELS_QUANT_GEMM8_INL_H_
#undef CACTUS_KERNELS_QUANT_GEMM8_INL_H_
#else
#define CACTUS_KERNELS_QUANT_GEMM8_INL_H_
#endif

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <hwy/highway.h>
#if HWY_ARCH_ARM_A64 && defined(__linux__)
#include <arm_neon.h>  // the SDOT tile is NEON code, on the SVE targets too
#include <asm/hwcap.h>
#include <sys/auxv.h>
#endif

#include "cactus/core/dtype.hpp"
#include "cactus/core/packed.hpp"
#include "cactus/kernels/kinds.hpp"

HWY_BEFORE_NAMESPACE();
namespace cactus::kernels::HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// Weight rows per panel (transposed together), per tile (half a panel); activation rows per
// packed block.
inline constexpr size_t kGemm8Panel = 16, kGemm8Rows = 8, kGemm8Block = 16;

// Arm: SDOT (FEAT_DotProd, from the hwcaps) on the NEON and SVE targets, in a section compiled
// for armv8.2-a+dotprod as quant_dot8-inl.hpp's variants are.
#ifdef CACTUS_GEMM8_SDOT
#undef CACTUS_GEMM8_SDOT
#endif
#if HWY_ARCH_ARM_A64 && defined(__linux__) && (HWY_TARGET == HWY_NEON || CACTUS_SVE_SDOT)
#define CACTUS_GEMM8_SDOT 1
// what the CPU reports (its hwcaps, read once)
inline bool Gemm8CpuSdot() {
  static const bool has = (getauxval(AT_HWCAP) & HWCAP_ASIMDDP) != 0;
  return has;
}
inline bool Gemm8CpuI8mm() {
  static const bool has = (getauxval(AT_HWCAP2) & HWCAP2_I8MM) != 0;
  return has;
}
// ... unless tests switched the optional instructions off
inline bool Gemm8HasSdot() { return Gemm8CpuSdot() && !ForceNoVnni(); }
inline bool Gemm8HasI8mm() { return Gemm8CpuI8mm() && Gemm8HasSdot(); }
#else
#define CACTUS_GEMM8_SDOT 0
#endif

// AVX2: pmaddubsw (in the base set: no CPU check), see Gemm8TileMaddubs.
#ifdef CACTUS_GEMM8_MADDUBS
#undef CACTUS_GEMM8_MADDUBS
#endif
#if HWY_TARGET == HWY_AVX2
#define CACTUS_GEMM8_MADDUBS 1
#else
#define CACTUS_GEMM8_MADDUBS 0
#endif

// Whether this target (and CPU) runs the microkernel with its int8 instruction.
inline HWY_NOINLINE bool Gemm8Active() {
#if HWY_TARGET == HWY_AVX3
  return VnniActive();
#elif CACTUS_GEMM8_MADDUBS
  return true;
#elif CACTUS_GEMM8_SDOT
  return Gemm8HasSdot();
#else
  return false;
#endif
}
// The int8 instructions a quantized product is planned with on this target and CPU (an int8_isa
// code: kernels::choose_int8_isa), for the microkernel and the row kernels alike.
inline HWY_NOINLINE int BestInt8Isa() {
#if HWY_TARGET == HWY_AVX3
  return static_cast<int>(VnniActive() ? int8_isa::vnni : int8_isa::none);
#elif CACTUS_GEMM8_SDOT
  return static_cast<int>(Gemm8HasI8mm() ? int8_isa::i8mm : Gemm8HasSdot() ? int8_isa::sdot : int8_isa::none);
#else
  return static_cast<int>(int8_isa::none);
#endif
}
// The planned instructions the microkernel takes (where this target and CPU have them).
inline bool Gemm8Uses(int isa) {
#if HWY_TARGET == HWY_AVX3
  return UseVnni(isa);
#elif CACTUS_GEMM8_MADDUBS
  (void)isa;
  return true;
#elif CACTUS_GEMM8_SDOT
  return isa >= static_cast<int>(int8_isa::sdot) && Gemm8CpuSdot();
#else
  (void)isa;
  return false;
#endif
}
#if CACTUS_GEMM8_SDOT
inline bool Gemm8UsesI8mm(int isa) { return isa == static_cast<int>(int8_isa::i8mm) && Gemm8CpuI8mm() && Gemm8Uses(isa); }
#endif
// Which instruction the microkernel runs on this target (and CPU), for the tests' reports.
inline HWY_NOINLINE const char* Gemm8Path() {
#if HWY_TARGET == HWY_AVX3
  if (VnniActive()) return "vpdpbusd (AVX-512 VNNI)";
#elif CACTUS_GEMM8_MADDUBS
  return "pmaddubsw (AVX2)";
#elif CACTUS_GEMM8_SDOT
  if (Gemm8HasI8mm()) return "SMMLA (FEAT_I8MM)";
  if (Gemm8HasSdot()) return "SDOT (FEAT_DotProd)";
#endif
  return "plain loops (not dispatched)";
}

// Activation blocks [b0, b1) of xq[M, Kp] (int8, steps[M, groups]) into xp (x + 128, layout
// above; rows past M hold 128, x = 0) and sp[block][group][16] (steps; 0 past M).
inline HWY_NOINLINE void PackActivations8(const int8_t* HWY_RESTRICT xq, const float* HWY_RESTRICT steps, size_t M, size_t Kp, size_t b0,
                                          size_t b1, uint8_t* HWY_RESTRICT xp, float* HWY_RESTRICT sp) {
  const size_t groups = Kp / 128, K4 = Kp / 4;
  for (size_t b = b0; b < b1; ++b) {
    uint32_t* out = reinterpret_cast<uint32_t*>(xp + b * kGemm8Block * Kp);
    float* s = sp + b * groups * kGemm8Block;
    for (size_t r = 0; r < kGemm8Block; ++r) {
      const size_t m = b * kGemm8Block + r;
      if (m < M) {
        const int8_t* row = xq + m * Kp;
        for (size_t k4 = 0; k4 < K4; ++k4) {
          uint32_t v;
          std::memcpy(&v, row + 4 * k4, 4);
          out[k4 * kGemm8Block + r] = v ^ 0x80808080u;
        }
        for (size_t g = 0; g < groups; ++g) s[g * kGemm8Block + r] = steps[m * groups + g];
      } else {
        for (size_t k4 = 0; k4 < K4; ++k4) out[k4 * kGemm8Block + r] = 0x80808080u;
        for (size_t g = 0; g < groups; ++g) s[g * kGemm8Block + r] = 0.0f;
      }
    }
  }
}

// One butterfly, and three stages of them over eight vectors (pairs 1, 2 and 4 apart, in order).
template <class V>
HWY_INLINE void Butterfly(V& a, V& b) {
  const V t = a;
  a = hn::Add(t, b);
  b = hn::Sub(t, b);
}
template <class V>
HWY_INLINE void Butterflies3(V& v0, V& v1, V& v2, V& v3, V& v4, V& v5, V& v6, V& v7) {
  Butterfly(v0, v1), Butterfly(v2, v3), Butterfly(v4, v5), Butterfly(v6, v7);
  Butterfly(v0, v2), Butterfly(v1, v3), Butterfly(v4, v6), Butterfly(v5, v7);
  Butterfly(v0, v4), Butterfly(v1, v5), Butterfly(v2, v6), Butterfly(v3, v7);
}

// One block of 16 activation rows given as columns, col[k * ld + r] (k < K, r < 16; the caller
// zeroes the columns of rows past the matrix), quantized and packed straight into xp (16 Kp
// bytes) and sp (groups x 16 steps): what QuantizeActivationRows8 then PackActivations8 give
// for the same rows, bit for bit. This is the convolutions' layout (an im2col panel holds a
// pixel's K values down a column), and with the rows across the vector every step is vertical:
// the rotation's butterflies pair whole vectors at every width (three stages per pass over the
// group, in registers, in the row kernel's order), the absmax is a lane-wise max, and four k of
// 16 rows are merged into 16 words by shifts.
inline HWY_NOINLINE void QuantizePackColumns8(const float* HWY_RESTRICT col, size_t ld, size_t K, size_t Kp, const float* HWY_RESTRICT signs,
                                              uint8_t* HWY_RESTRICT xp, float* HWY_RESTRICT sp) {
  const hn::CappedTag<float, kGemm8Block> df;
  const hn::Rebind<int32_t, decltype(df)> di;
  const hn::Rebind<uint32_t, decltype(df)> du;
  constexpr size_t B = kGemm8Block;
  const size_t L = hn::Lanes(df);
  HWY_ALIGN float g[128 * B];
  uint32_t* out = reinterpret_cast<uint32_t*>(xp);
  for (size_t k0 = 0; k0 < Kp; k0 += 128) {
    // row i of the group (zero past K), times its sign when rotating
    const auto row = [&](size_t i, size_t p) {
      const size_t k = k0 + i;
      const auto v = k < K ? hn::LoadU(df, col + k * ld + p) : hn::Zero(df);
      return signs ? hn::Mul(v, hn::Set(df, signs[i])) : v;
    };
    for (size_t p = 0; p < B; p += L) {
      float* gp = g + p;
      auto vmax = hn::Zero(df);
      if (signs) {  // the orthonormal Walsh-Hadamard transform: pairs 1-4, 8-32, then 64 apart
        for (size_t i = 0; i < 128; i += 8) {
          auto v0 = row(i, p), v1 = row(i + 1, p), v2 = row(i + 2, p), v3 = row(i + 3, p), v4 = row(i + 4, p), v5 = row(i + 5, p),
               v6 = row(i + 6, p), v7 = row(i + 7, p);
          Butterflies3(v0, v1, v2, v3, v4, v5, v6, v7);
          hn::Store(v0, df, gp + (i + 0) * B), hn::Store(v1, df, gp + (i + 1) * B), hn::Store(v2, df, gp + (i + 2) * B);
          hn::Store(v3, df, gp + (i + 3) * B), hn::Store(v4, df, gp + (i + 4) * B), hn::Store(v5, df, gp + (i + 5) * B);
          hn::Store(v6, df, gp + (i + 6) * B), hn::Store(v7, df, gp + (i + 7) * B);
        }
        for (size_t c = 0; c < 16; ++c) {
          float* q = gp + ((c / 8) * 64 + c % 8) * B;
          auto v0 = hn::Load(df, q), v1 = hn::Load(df, q + 8 * B), v2 = hn::Load(df, q + 16 * B), v3 = hn::Load(df, q + 24 * B),
               v4 = hn::Load(df, q + 32 * B), v5 = hn::Load(df, q + 40 * B), v6 = hn::Load(df, q + 48 * B), v7 = hn::Load(df, q + 56 * B);
          Butterflies3(v0, v1, v2, v3, v4, v5, v6, v7);
          hn::Store(v0, df, q), hn::Store(v1, df, q + 8 * B), hn::Store(v2, df, q + 16 * B), hn::Store(v3, df, q + 24 * B);
          hn::Store(v4, df, q + 32 * B), hn::Store(v5, df, q + 40 * B), hn::Store(v6, df, q + 48 * B), hn::Store(v7, df, q + 56 * B);
        }
        const auto s = hn::Set(df, 1.0f / std::sqrt(128.0f));
        for (size_t i = 0; i < 64; ++i) {
          auto a = hn::Load(df, gp + i * B), b = hn::Load(df, gp + (i + 64) * B);
          Butterfly(a, b);
          a = hn::Mul(a, s), b = hn::Mul(b, s);
          vmax = hn::Max(vmax, hn::Max(hn::Abs(a), hn::Abs(b)));
          hn::Store(a, df, gp + i * B), hn::Store(b, df, gp + (i + 64) * B);
        }
      } else {
        for (size_t i = 0; i < 128; ++i) {
          const auto v = row(i, p);
          vmax = hn::Max(vmax, hn::Abs(v));
          hn::Store(v, df, gp + i * B);
        }
      }
      const auto step = hn::Div(vmax, hn::Set(df, 127.0f));
      hn::StoreU(step, df, sp + (k0 / 128) * B + p);
      const auto inv = hn::IfThenElseZero(hn::Gt(step, hn::Zero(df)), hn::Div(hn::Set(df, 1.0f), step));
      const auto lo = hn::Set(di, -127), hi = hn::Set(di, 127), bias = hn::Set(di, 128);
      // x + 128 in [1, 255], four k of a row into one word (byte k % 4)
      const auto biased = [&](size_t i) {
        return hn::BitCast(du, hn::Add(hn::Min(hn::Max(hn::NearestInt(hn::Mul(hn::Load(df, gp + i * B), inv)), lo), hi), bias));
      };
      for (size_t i = 0; i < 128; i += 4) {
        const auto word = hn::Or(hn::Or(biased(i), hn::ShiftLeft<8>(biased(i + 1))), hn::Or(hn::ShiftLeft<16>(biased(i + 2)), hn::ShiftLeft<24>(biased(i + 3))));
        hn::StoreU(word, du, out + ((k0 + i) / 4) * B + p);
      }
    }
  }
}

// A panel of 16 weight rows, transposed as the activations are: wt[k / 4][row] holds the row's
// bytes k..k+3 (one 64-byte line per four k), so a tile broadcasts them from one pointer at
// fixed offsets; f[g][row] the group factors and c[g][row] = -128 sum(w) of the group (rows past
// the matrix: zero weights, factors and corrections).
#if HWY_TARGET == HWY_AVX3
#define CACTUS_GEMM8_VNNI __attribute__((target(HWY_TARGET_STR_AVX3 ",avx512vnni")))

// -128 x the sum of each group of 128 signed bytes of a row, 16 groups per pass: vpdpbusd with
// ones gives 16 partial sums per group, SumLanes4 / SumLanes16 fold 16 groups into one vector.
CACTUS_GEMM8_VNNI HWY_INLINE __m512i GroupPartialSums8Vnni(const int8_t* HWY_RESTRICT w) {
  const __m512i ones = _mm512_set1_epi8(1);
  return _mm512_dpbusd_epi32(_mm512_dpbusd_epi32(_mm512_setzero_si512(), ones, _mm512_loadu_si512(w)), ones, _mm512_loadu_si512(w + 64));
}
inline CACTUS_GEMM8_VNNI HWY_NOINLINE void GroupSums8Vnni(const int8_t* HWY_RESTRICT w, size_t groups, int32_t* HWY_RESTRICT out) {
  size_t g = 0;
  for (; g + 16 <= groups; g += 16) {
    __m512i q[4];
    for (size_t i = 0; i < 4; ++i) {
      const int8_t* r = w + (g + 4 * i) * 128;
      q[i] = SumLanes4(GroupPartialSums8Vnni(r), GroupPartialSums8Vnni(r + 128), GroupPartialSums8Vnni(r + 256), GroupPartialSums8Vnni(r + 384));
    }
    // lane 4 i + j of SumLanes16 is the total of input j of q[i]: group g + 4 i + j
    _mm512_storeu_si512(out + g, _mm512_mullo_epi32(SumLanes16(q[0], q[1], q[2], q[3]), _mm512_set1_epi32(-128)));
  }
  for (; g < groups; ++g) out[g] = -128 * _mm512_reduce_add_epi32(GroupPartialSums8Vnni(w + g * 128));
}

// rows[i] (16 rows of Kp bytes; nullptr: zeros) -> wt, 16 x 16 int32 at a time: unpack pairs of
// rows (32-bit), pairs of pairs (64-bit), then gather the 128-bit lanes of four such quads.
inline CACTUS_GEMM8_VNNI HWY_NOINLINE void TransposePanelVnni(const int8_t* const* rows, size_t Kp, int32_t* HWY_RESTRICT wt) {
  for (size_t j = 0; j < Kp; j += 64) {
    __m512i r[16], a[16], b[16];
    for (size_t i = 0; i < 16; ++i) r[i] = rows[i] ? _mm512_loadu_si512(rows[i] + j) : _mm512_setzero_si512();
    for (size_t i = 0; i < 16; i += 2) {
      a[i] = _mm512_unpacklo_epi32(r[i], r[i + 1]);
      a[i + 1] = _mm512_unpackhi_epi32(r[i], r[i + 1]);
    }
    for (size_t i = 0; i < 16; i += 4) {
      b[i] = _mm512_unpacklo_epi64(a[i], a[i + 2]);      // per 128-bit lane: column 0 of rows i..i+3
      b[i + 1] = _mm512_unpackhi_epi64(a[i], a[i + 2]);  // column 1
      b[i + 2] = _mm512_unpacklo_epi64(a[i + 1], a[i + 3]);
      b[i + 3] = _mm512_unpackhi_epi64(a[i + 1], a[i + 3]);
    }
    int32_t* out = wt + j / 4 * 16;
    for (size_t c = 0; c < 4; ++c) {
      const __m512i t0 = _mm512_shuffle_i32x4(b[c], b[4 + c], 0x44), t1 = _mm512_shuffle_i32x4(b[c], b[4 + c], 0xEE);
      const __m512i u0 = _mm512_shuffle_i32x4(b[8 + c], b[12 + c], 0x44), u1 = _mm512_shuffle_i32x4(b[8 + c], b[12 + c], 0xEE);
      _mm512_store_si512(out + c * 16, _mm512_shuffle_i32x4(t0, u0, 0x88));
      _mm512_store_si512(out + (4 + c) * 16, _mm512_shuffle_i32x4(t0, u0, 0xDD));
      _mm512_store_si512(out + (8 + c) * 16, _mm512_shuffle_i32x4(t1, u1, 0x88));
      _mm512_store_si512(out + (12 + c) * 16, _mm512_shuffle_i32x4(t1, u1, 0xDD));
    }
  }
}

// MB blocks of 16 activation rows (xp, block stride xstride bytes; steps sp, stride sstride)
// against 8 weight rows of a panel (wt, f, c already offset to the first of them) into
// out[n][MB * 16] (the caller stores it into C). 16 MB int32 accumulators stay in registers
// through a group; the float sums per (row, block) are updated once per group.
template <size_t MB>
CACTUS_GEMM8_VNNI HWY_NOINLINE void Gemm8TileVnni(const int32_t* HWY_RESTRICT wt, const float* HWY_RESTRICT f, const int32_t* HWY_RESTRICT c,
                                                size_t groups, const uint8_t* HWY_RESTRICT xp, size_t xstride, const float* HWY_RESTRICT sp,
                                                size_t sstride, float* HWY_RESTRICT out) {
  static_assert(kGemm8Rows == 8 && (MB == 1 || MB == 2), "the tile names its 16 accumulators");
  for (size_t i = 0; i < kGemm8Rows * MB * kGemm8Block; i += 16) _mm512_store_ps(out + i, _mm512_setzero_ps());
  // named accumulators updated in place by inline asm: with the intrinsic, g++ 12 kept each
  // accumulator in two registers and copied between them every step (twice the instructions)
  for (size_t g = 0; g < groups; ++g) {
    const int32_t* cg = c + g * kGemm8Panel;
    __m512i a00 = _mm512_set1_epi32(cg[0]), a01 = _mm512_set1_epi32(cg[1]), a02 = _mm512_set1_epi32(cg[2]), a03 = _mm512_set1_epi32(cg[3]),
            a04 = _mm512_set1_epi32(cg[4]), a05 = _mm512_set1_epi32(cg[5]), a06 = _mm512_set1_epi32(cg[6]), a07 = _mm512_set1_epi32(cg[7]);
    __m512i a10 = a00, a11 = a01, a12 = a02, a13 = a03, a14 = a04, a15 = a05, a16 = a06, a17 = a07;
    const uint8_t* x = xp + g * 128 * kGemm8Block;
    const int32_t* w = wt + g * 32 * kGemm8Panel;
    for (size_t k4 = 0; k4 < 32; ++k4, x += 64, w += kGemm8Panel) {
      const __m512i x0 = _mm512_load_si512(x);
      const __m512i x1 = MB > 1 ? _mm512_load_si512(x + xstride) : x0;
#define CACTUS_GEMM8_STEP(n)                                                                              \
      asm("vpdpbusd %2%{1to16%}, %1, %0" : "+v"(a0##n) : "v"(x0), "m"(w[n]));                            \
      if constexpr (MB > 1) asm("vpdpbusd %2%{1to16%}, %1, %0" : "+v"(a1##n) : "v"(x1), "m"(w[n]));
      CACTUS_GEMM8_STEP(0) CACTUS_GEMM8_STEP(1) CACTUS_GEMM8_STEP(2) CACTUS_GEMM8_STEP(3)
      CACTUS_GEMM8_STEP(4) CACTUS_GEMM8_STEP(5) CACTUS_GEMM8_STEP(6) CACTUS_GEMM8_STEP(7)
#undef CACTUS_GEMM8_STEP
    }
    const float* fg = f + g * kGemm8Panel;
    const __m512 s0 = _mm512_load_ps(sp + g * kGemm8Block);
    const __m512 s1 = MB > 1 ? _mm512_load_ps(sp + sstride + g * kGemm8Block) : s0;
#define CACTUS_GEMM8_SCALE(b, n)                                                                                             \
    {                                                                                                                        \
      float* o = out + (n * MB + b) * kGemm8Block;                                                                           \
      _mm512_store_ps(o, _mm512_fmadd_ps(_mm512_cvtepi32_ps(a##b##n), _mm512_mul_ps(s##b, _mm512_set1_ps(fg[n])), _mm512_load_ps(o))); \
    }
    CACTUS_GEMM8_SCALE(0, 0) CACTUS_GEMM8_SCALE(0, 1) CACTUS_GEMM8_SCALE(0, 2) CACTUS_GEMM8_SCALE(0, 3)
    CACTUS_GEMM8_SCALE(0, 4) CACTUS_GEMM8_SCALE(0, 5) CACTUS_GEMM8_SCALE(0, 6) CACTUS_GEMM8_SCALE(0, 7)
    if constexpr (MB > 1) {
      CACTUS_GEMM8_SCALE(1, 0) CACTUS_GEMM8_SCALE(1, 1) CACTUS_GEMM8_SCALE(1, 2) CACTUS_GEMM8_SCALE(1, 3)
      CACTUS_GEMM8_SCALE(1, 4) CACTUS_GEMM8_SCALE(1, 5) CACTUS_GEMM8_SCALE(1, 6) CACTUS_GEMM8_SCALE(1, 7)
    }
#undef CACTUS_GEMM8_SCALE
  }
}
#undef CACTUS_GEMM8_VNNI
#endif

#if CACTUS_GEMM8_MADDUBS
// AVX2 has no int8 dot product: pmaddubsw multiplies unsigned by signed bytes and adds pairs
// into int16 (saturating), pmaddwd with ones adds those pairs into int32, so four k of eight
// activation rows against a weight row's broadcast four bytes take three instructions (VNNI's
// one). The packed activations a = x + 128 (up to 255) are the unsigned operand, as VNNI has
// them, so nothing is repacked:
//   CQ: the levels are odd (quant/codebook.hpp), level = 2 h + 1 with h = level >> 1 in
//       [-64, 63]: a pair |2 h a| <= 2 * 64 * 255 = 32640 cannot saturate, and
//       sum(level x) = sum(level (a - 128)) = 2 (sum(h a) - 64 sum(level)) + sum(a). The panel
//       holds h, the accumulators start at -64 sum(level) of their group, and each activation
//       row's sum(a) over the group (Gemm8ActivationSums) is added when the group is scaled.
//   q8: any weight in [-127, 127]: x = a xor 0x80 and pmaddubsw(|w|, sign(x, w)), both operands
//       within 127 (the sign trick), accumulators from zero.
// A pass takes the block's 8 rows of one half by the tile's 8 weight rows: 8 int32 x 8
// accumulators, 12 of the 16 registers.

// r[0..7] (8 int32 each) transposed in place: r[c] becomes lane c of every input.
HWY_INLINE void Transpose8x8Epi32(__m256i* r) {
  __m256i a[8], b[8];
  for (size_t i = 0; i < 8; i += 2) {
    a[i] = _mm256_unpacklo_epi32(r[i], r[i + 1]);      // per 128-bit lane: (r_i[0], r_i+1[0], r_i[1], r_i+1[1])
    a[i + 1] = _mm256_unpackhi_epi32(r[i], r[i + 1]);  // (.. [2], .. [3])
  }
  for (size_t i = 0; i < 8; i += 4) {
    b[i] = _mm256_unpacklo_epi64(a[i], a[i + 2]);  // lane 0 of rows i..i+3 | lane 4
    b[i + 1] = _mm256_unpackhi_epi64(a[i], a[i + 2]);
    b[i + 2] = _mm256_unpacklo_epi64(a[i + 1], a[i + 3]);
    b[i + 3] = _mm256_unpackhi_epi64(a[i + 1], a[i + 3]);
  }
  for (size_t c = 0; c < 4; ++c) {
    r[c] = _mm256_permute2x128_si256(b[c], b[4 + c], 0x20);
    r[c + 4] = _mm256_permute2x128_si256(b[c], b[4 + c], 0x31);
  }
}

// rows[i] (16 rows of Kp bytes; nullptr: zeros) -> wt (the panel layout above), 32 bytes of
// each row at a time as two 8 x 8 int32 transposes; with wabs, the bytes' absolute values there
// too (q8's unsigned operand).
inline HWY_NOINLINE void TransposePanelMaddubs(const int8_t* const* rows, size_t Kp, int32_t* HWY_RESTRICT wt, int32_t* HWY_RESTRICT wabs) {
  for (size_t j = 0; j < Kp; j += 32) {
    __m256i lo[8], hi[8];
    for (size_t i = 0; i < 8; ++i) {
      lo[i] = rows[i] ? _mm256_loadu_si256(reinterpret_cast<const __m256i*>(rows[i] + j)) : _mm256_setzero_si256();
      hi[i] = rows[8 + i] ? _mm256_loadu_si256(reinterpret_cast<const __m256i*>(rows[8 + i] + j)) : _mm256_setzero_si256();
    }
    Transpose8x8Epi32(lo);
    Transpose8x8Epi32(hi);
    int32_t* out = wt + j / 4 * kGemm8Panel;
    for (size_t c = 0; c < 8; ++c) {
      _mm256_store_si256(reinterpret_cast<__m256i*>(out + c * kGemm8Panel), lo[c]);
      _mm256_store_si256(reinterpret_cast<__m256i*>(out + c * kGemm8Panel + 8), hi[c]);
    }
    if (wabs) {
      int32_t* abs_out = wabs + j / 4 * kGemm8Panel;
      for (size_t c = 0; c < 8; ++c) {
        _mm256_store_si256(reinterpret_cast<__m256i*>(abs_out + c * kGemm8Panel), _mm256_abs_epi8(lo[c]));
        _mm256_store_si256(reinterpret_cast<__m256i*>(abs_out + c * kGemm8Panel + 8), _mm256_abs_epi8(hi[c]));
      }
    }
  }
}

// out[g] = mul * (the sum of group g's 128 signed bytes of w) + add: vpsadbw against zero sums
// eight bytes, so the bytes are offset by 128 first (and 128 * 128 taken off again).
inline HWY_NOINLINE void GroupSumsMaddubs(const int8_t* HWY_RESTRICT w, size_t groups, int32_t mul, int32_t add, int32_t* HWY_RESTRICT out) {
  const __m256i flip = _mm256_set1_epi8(static_cast<char>(0x80)), zero = _mm256_setzero_si256();
  for (size_t g = 0; g < groups; ++g) {
    const auto* p = reinterpret_cast<const __m256i*>(w + g * 128);
    const auto sad = [&](size_t i) { return _mm256_sad_epu8(_mm256_xor_si256(_mm256_loadu_si256(p + i), flip), zero); };
    const __m256i t = _mm256_add_epi64(_mm256_add_epi64(sad(0), sad(1)), _mm256_add_epi64(sad(2), sad(3)));
    const __m128i u = _mm_add_epi64(_mm256_castsi256_si128(t), _mm256_extracti128_si256(t, 1));
    const auto total = static_cast<int32_t>(_mm_cvtsi128_si64(_mm_add_epi64(u, _mm_unpackhi_epi64(u, u))));
    out[g] = mul * (total - 128 * 128) + add;
  }
}

// sums[b][g][r]: the sum of the packed bytes a = x + 128 of row r of block b over group g, for
// blocks [0, blocks) of xp (32 four-byte steps of 16 rows per group; int16 pair sums reach at
// most 32 * 2 * 255 before they are widened).
inline HWY_NOINLINE void Gemm8ActivationSums(const uint8_t* HWY_RESTRICT xp, size_t blocks, size_t groups, int32_t* HWY_RESTRICT sums) {
  const __m256i ones8 = _mm256_set1_epi8(1), ones16 = _mm256_set1_epi16(1);
  for (size_t b = 0; b < blocks; ++b)
    for (size_t g = 0; g < groups; ++g) {
      const uint8_t* x = xp + (b * groups + g) * 128 * kGemm8Block;
      __m256i s0 = _mm256_setzero_si256(), s1 = s0;
      for (size_t k4 = 0; k4 < 32; ++k4, x += 4 * kGemm8Block) {
        s0 = _mm256_add_epi16(s0, _mm256_maddubs_epi16(_mm256_load_si256(reinterpret_cast<const __m256i*>(x)), ones8));
        s1 = _mm256_add_epi16(s1, _mm256_maddubs_epi16(_mm256_load_si256(reinterpret_cast<const __m256i*>(x + 32)), ones8));
      }
      int32_t* o = sums + (b * groups + g) * kGemm8Block;
      _mm256_store_si256(reinterpret_cast<__m256i*>(o), _mm256_madd_epi16(s0, ones16));
      _mm256_store_si256(reinterpret_cast<__m256i*>(o + 8), _mm256_madd_epi16(s1, ones16));
    }
}

// One block of 16 activation rows (xp, steps sp, CQ's row sums asum: [g][16]) against 8 weight
// rows of a panel (wt, q8's absolute values wa, f, c offset to the first of them) into out[n][16].
template <bool Q8>
HWY_NOINLINE void Gemm8TileMaddubs(const int32_t* HWY_RESTRICT wt, const int32_t* HWY_RESTRICT wa, const float* HWY_RESTRICT f, const int32_t* HWY_RESTRICT c, size_t groups,
                                   const uint8_t* HWY_RESTRICT xp, const float* HWY_RESTRICT sp, const int32_t* HWY_RESTRICT asum,
                                   float* HWY_RESTRICT out) {
  const __m256i ones = _mm256_set1_epi16(1), flip = _mm256_set1_epi8(static_cast<char>(0x80));
  for (size_t i = 0; i < kGemm8Rows * kGemm8Block; i += 8) _mm256_store_ps(out + i, _mm256_setzero_ps());
  for (size_t half = 0; half < 2; ++half)
    for (size_t g = 0; g < groups; ++g) {
      const int32_t* cg = c + g * kGemm8Panel;
      __m256i a0 = _mm256_set1_epi32(cg[0]), a1 = _mm256_set1_epi32(cg[1]), a2 = _mm256_set1_epi32(cg[2]), a3 = _mm256_set1_epi32(cg[3]),
              a4 = _mm256_set1_epi32(cg[4]), a5 = _mm256_set1_epi32(cg[5]), a6 = _mm256_set1_epi32(cg[6]), a7 = _mm256_set1_epi32(cg[7]);
      const uint8_t* x = xp + g * 128 * kGemm8Block + half * 32;
      const int32_t* w = wt + g * 32 * kGemm8Panel;
      const int32_t* wabs = Q8 ? wa + g * 32 * kGemm8Panel : nullptr;
      for (size_t k4 = 0; k4 < 32; ++k4, x += 4 * kGemm8Block, w += kGemm8Panel) {
        __m256i xv = _mm256_load_si256(reinterpret_cast<const __m256i*>(x));
        if constexpr (Q8) xv = _mm256_xor_si256(xv, flip);
        // named accumulators updated in place by inline asm: with the intrinsics g++ 12 kept them
        // in two registers each, copied between them every step, and spilled two to the stack
#define CACTUS_GEMM8_STEP(n)                                                                                                      \
  if constexpr (Q8) {                                                                                                             \
    __m256i t, u;                                                                                                                 \
    asm("vpbroadcastd %[w], %[t]\n\tvpbroadcastd %[wa], %[u]\n\tvpsignb %[t], %[x], %[t]\n\tvpmaddubsw %[t], %[u], %[u]\n\t"  \
        "vpmaddwd %[ones], %[u], %[u]\n\tvpaddd %[u], %[a], %[a]"                                                                  \
        : [a] "+x"(a##n), [t] "=&x"(t), [u] "=&x"(u) : [x] "x"(xv), [ones] "x"(ones), [w] "m"(w[n]), [wa] "m"(wabs[n]));        \
  } else {                                                                                                                        \
    __m256i t;                                                                                                                    \
    asm("vpbroadcastd %[w], %[t]\n\tvpmaddubsw %[t], %[x], %[t]\n\tvpmaddwd %[ones], %[t], %[t]\n\tvpaddd %[t], %[a], %[a]"    \
        : [a] "+x"(a##n), [t] "=&x"(t) : [x] "x"(xv), [ones] "x"(ones), [w] "m"(w[n]));                                         \
  }
        CACTUS_GEMM8_STEP(0) CACTUS_GEMM8_STEP(1) CACTUS_GEMM8_STEP(2) CACTUS_GEMM8_STEP(3)
        CACTUS_GEMM8_STEP(4) CACTUS_GEMM8_STEP(5) CACTUS_GEMM8_STEP(6) CACTUS_GEMM8_STEP(7)
#undef CACTUS_GEMM8_STEP
        if constexpr (Q8) wabs += kGemm8Panel;
      }
      const float* fg = f + g * kGemm8Panel;
      const __m256 s = _mm256_load_ps(sp + g * kGemm8Block + half * 8);
      const __m256i as = Q8 ? _mm256_setzero_si256() : _mm256_load_si256(reinterpret_cast<const __m256i*>(asum + g * kGemm8Block + half * 8));
#define CACTUS_GEMM8_SCALE(n)                                                                                         \
  {                                                                                                                   \
    float* o = out + n * kGemm8Block + half * 8;                                                                      \
    const __m256i d = Q8 ? a##n : _mm256_add_epi32(_mm256_add_epi32(a##n, a##n), as);                                \
    _mm256_store_ps(o, _mm256_fmadd_ps(_mm256_cvtepi32_ps(d), _mm256_mul_ps(s, _mm256_set1_ps(fg[n])), _mm256_load_ps(o))); \
  }
      CACTUS_GEMM8_SCALE(0) CACTUS_GEMM8_SCALE(1) CACTUS_GEMM8_SCALE(2) CACTUS_GEMM8_SCALE(3)
      CACTUS_GEMM8_SCALE(4) CACTUS_GEMM8_SCALE(5) CACTUS_GEMM8_SCALE(6) CACTUS_GEMM8_SCALE(7)
#undef CACTUS_GEMM8_SCALE
    }
}
#endif

#if CACTUS_GEMM8_SDOT
// SDOT multiplies signed by signed bytes: the packed activations are flipped back to x (x + 128
// xor 0x80) as they are loaded, and the accumulators start at zero (no correction). A vector
// holds four k of four activation rows; SDOT by lane n of a vector of four weight rows (the
// panel's wt[k / 4][n..n+3], 16 bytes) adds their products into the four rows' sums for weight
// row n. A pass takes 8 activation rows by the tile's 8 weight rows: 16 int32x4 accumulators,
// two activation and two weight vectors per four k, against 16 SDOT; two passes make the block.
#pragma GCC push_options
#pragma GCC target("arch=armv8.2-a+crypto+dotprod")
inline HWY_NOINLINE void Gemm8TileSdot(const int32_t* HWY_RESTRICT wt, const float* HWY_RESTRICT f, size_t groups, const uint8_t* HWY_RESTRICT xp,
                                       const float* HWY_RESTRICT sp, float* HWY_RESTRICT out) {
  const uint8x16_t flip = vdupq_n_u8(0x80);
  for (size_t i = 0; i < kGemm8Rows * kGemm8Block; i += 4) vst1q_f32(out + i, vdupq_n_f32(0.0f));
  for (size_t half = 0; half < 2; ++half)
    for (size_t g = 0; g < groups; ++g) {
      int32x4_t a0[8], a1[8];
      for (size_t n = 0; n < 8; ++n) a0[n] = a1[n] = vdupq_n_s32(0);
      const uint8_t* x = xp + g * 128 * kGemm8Block + half * 32;
      const int32_t* w = wt + g * 32 * kGemm8Panel;
      for (size_t k4 = 0; k4 < 32; ++k4, x += 4 * kGemm8Block, w += kGemm8Panel) {
        const int8x16_t x0 = vreinterpretq_s8_u8(veorq_u8(vld1q_u8(x), flip)), x1 = vreinterpretq_s8_u8(veorq_u8(vld1q_u8(x + 16), flip));
        const int8x16_t w0 = vreinterpretq_s8_s32(vld1q_s32(w)), w1 = vreinterpretq_s8_s32(vld1q_s32(w + 4));
        a0[0] = vdotq_laneq_s32(a0[0], x0, w0, 0), a1[0] = vdotq_laneq_s32(a1[0], x1, w0, 0);
        a0[1] = vdotq_laneq_s32(a0[1], x0, w0, 1), a1[1] = vdotq_laneq_s32(a1[1], x1, w0, 1);
        a0[2] = vdotq_laneq_s32(a0[2], x0, w0, 2), a1[2] = vdotq_laneq_s32(a1[2], x1, w0, 2);
        a0[3] = vdotq_laneq_s32(a0[3], x0, w0, 3), a1[3] = vdotq_laneq_s32(a1[3], x1, w0, 3);
        a0[4] = vdotq_laneq_s32(a0[4], x0, w1, 0), a1[4] = vdotq_laneq_s32(a1[4], x1, w1, 0);
        a0[5] = vdotq_laneq_s32(a0[5], x0, w1, 1), a1[5] = vdotq_laneq_s32(a1[5], x1, w1, 1);
        a0[6] = vdotq_laneq_s32(a0[6], x0, w1, 2), a1[6] = vdotq_laneq_s32(a1[6], x1, w1, 2);
        a0[7] = vdotq_laneq_s32(a0[7], x0, w1, 3), a1[7] = vdotq_laneq_s32(a1[7], x1, w1, 3);
      }
      const float* s = sp + g * kGemm8Block + half * 8;
      const float32x4_t s0 = vld1q_f32(s), s1 = vld1q_f32(s + 4);
      for (size_t n = 0; n < 8; ++n) {
        float* o = out + n * kGemm8Block + half * 8;
        const float fn = f[g * kGemm8Panel + n];
        vst1q_f32(o, vfmaq_f32(vld1q_f32(o), vcvtq_f32_s32(a0[n]), vmulq_n_f32(s0, fn)));
        vst1q_f32(o + 4, vfmaq_f32(vld1q_f32(o + 4), vcvtq_f32_s32(a1[n]), vmulq_n_f32(s1, fn)));
      }
    }
}
#pragma GCC pop_options
#endif

#if CACTUS_GEMM8_SDOT
// SMMLA (FEAT_I8MM, from the hwcaps; NEON code, on the SVE targets too) multiplies a 2 x 8 by an 8 x 2 block of signed
// bytes into a 2 x 2 block of int32 sums, twice SDOT's work per instruction. The panel and the
// activations hold four k of a row together, so ZIP1 / ZIP2 of 32-bit lanes of k..k+3 and
// k+4..k+7 make the eight k of two rows (activations flipped to signed as they are loaded). A
// pass takes 8 activation rows by the tile's 8 weight rows: 16 accumulators of 2 x 2 blocks,
// 16 SMMLA per eight k (against 32 SDOT); UZP1 / UZP2 turn them back into rows per weight row
// when a group's scales are applied.
#pragma GCC push_options
#pragma GCC target("arch=armv8.2-a+crypto+dotprod+i8mm")
inline HWY_NOINLINE void Gemm8TileI8mm(const int32_t* HWY_RESTRICT wt, const float* HWY_RESTRICT f, size_t groups, const uint8_t* HWY_RESTRICT xp,
                                       const float* HWY_RESTRICT sp, float* HWY_RESTRICT out) {
  const uint8x16_t flip = vdupq_n_u8(0x80);
  for (size_t i = 0; i < kGemm8Rows * kGemm8Block; i += 4) vst1q_f32(out + i, vdupq_n_f32(0.0f));
  const auto pairs = [](int8x16_t lo, int8x16_t hi, int8x16_t& first, int8x16_t& second) {
    const int32x4_t a = vreinterpretq_s32_s8(lo), b = vreinterpretq_s32_s8(hi);
    first = vreinterpretq_s8_s32(vzip1q_s32(a, b));
    second = vreinterpretq_s8_s32(vzip2q_s32(a, b));
  };
  for (size_t half = 0; half < 2; ++half)
    for (size_t g = 0; g < groups; ++g) {
      int32x4_t acc[4][4];  // [row pair][weight pair]: (r, n), (r, n + 1), (r + 1, n), (r + 1, n + 1)
      for (auto& row : acc)
        for (auto& a : row) a = vdupq_n_s32(0);
      const uint8_t* x = xp + g * 128 * kGemm8Block + half * 32;
      const int32_t* w = wt + g * 32 * kGemm8Panel;
      for (size_t k8 = 0; k8 < 16; ++k8, x += 8 * kGemm8Block, w += 2 * kGemm8Panel) {
        const auto ld = [&](const uint8_t* p) { return vreinterpretq_s8_u8(veorq_u8(vld1q_u8(p), flip)); };
        int8x16_t xr[4], wr[4];
        pairs(ld(x), ld(x + 4 * kGemm8Block), xr[0], xr[1]);            // rows 0-3: k..k+3, k+4..k+7
        pairs(ld(x + 16), ld(x + 4 * kGemm8Block + 16), xr[2], xr[3]);  // rows 4-7
        pairs(vreinterpretq_s8_s32(vld1q_s32(w)), vreinterpretq_s8_s32(vld1q_s32(w + kGemm8Panel)), wr[0], wr[1]);
        pairs(vreinterpretq_s8_s32(vld1q_s32(w + 4)), vreinterpretq_s8_s32(vld1q_s32(w + kGemm8Panel + 4)), wr[2], wr[3]);
        for (size_t p = 0; p < 4; ++p)
          for (size_t q = 0; q < 4; ++q) acc[p][q] = vmmlaq_s32(acc[p][q], xr[p], wr[q]);
      }
      const float* s = sp + g * kGemm8Block + half * 8;
      const float32x4_t s0 = vld1q_f32(s), s1 = vld1q_f32(s + 4);
      for (size_t q = 0; q < 4; ++q)
        for (size_t odd = 0; odd < 2; ++odd) {
          const size_t n = 2 * q + odd;
          // rows 0-3 and 4-7 of weight row n: lanes 0 and 2 (n even) or 1 and 3 (odd) of two row pairs
          const int32x4_t r03 = odd ? vuzp2q_s32(acc[0][q], acc[1][q]) : vuzp1q_s32(acc[0][q], acc[1][q]);
          const int32x4_t r47 = odd ? vuzp2q_s32(acc[2][q], acc[3][q]) : vuzp1q_s32(acc[2][q], acc[3][q]);
          float* o = out + n * kGemm8Block + half * 8;
          const float fn = f[g * kGemm8Panel + n];
          vst1q_f32(o, vfmaq_f32(vld1q_f32(o), vcvtq_f32_s32(r03), vmulq_n_f32(s0, fn)));
          vst1q_f32(o + 4, vfmaq_f32(vld1q_f32(o + 4), vcvtq_f32_s32(r47), vmulq_n_f32(s1, fn)));
        }
    }
}
#pragma GCC pop_options
#endif

// The panel transpose and the tile in plain loops (every target; the oracle-checked layout
// where there is no int8 instruction for it).
inline void TransposePanelPortable(const int8_t* const* rows, size_t Kp, int32_t* wt) {
  for (size_t k4 = 0; k4 < Kp / 4; ++k4)
    for (size_t i = 0; i < kGemm8Panel; ++i) {
      int32_t v = 0;
      if (rows[i]) std::memcpy(&v, rows[i] + 4 * k4, 4);
      wt[k4 * kGemm8Panel + i] = v;
    }
}
inline void Gemm8TilePortable(size_t MB, const int32_t* wt, const float* f, const int32_t* c, size_t groups, const uint8_t* xp, size_t xstride,
                              const float* sp, size_t sstride, float* out) {
  for (size_t n = 0; n < kGemm8Rows; ++n)
    for (size_t b = 0; b < MB; ++b)
      for (size_t r = 0; r < kGemm8Block; ++r) {
        float acc = 0.0f;
        for (size_t g = 0; g < groups; ++g) {
          int32_t d = c[g * kGemm8Panel + n];
          for (size_t k4 = g * 32; k4 < g * 32 + 32; ++k4) {
            int8_t w4[4];
            std::memcpy(w4, wt + k4 * kGemm8Panel + n, 4);
            for (size_t q = 0; q < 4; ++q) d += int32_t(xp[b * xstride + k4 * 4 * kGemm8Block + r * 4 + q]) * w4[q];
          }
          acc += static_cast<float>(d) * (sp[b * sstride + g * kGemm8Block + r] * f[g * kGemm8Panel + n]);
        }
        out[(n * MB + b) * kGemm8Block + r] = acc;
      }
}

// Weight rows [n0, n1) of a packed matrix (q8 or CQ, `levels` the signed codebook levels, unused
// for q8) against M activation rows packed by PackActivations8, into C[m * ldc + n] (+ bias[n]),
// or with c_nm into C[n * ldc + m] (a convolution's channels by pixels: the tile's sums are
// already 16 consecutive m per n). Scratch: wbuf 16 Kp bytes (decoded CQ rows), wt 8 Kp int32
// (64-byte aligned; AVX2's q8 panel of absolute values in the second half), factors 32 groups floats, corr 32 groups int32, asum (M + 15) / 16 * 16
// groups int32 (64-byte aligned; AVX2's activation sums).
inline HWY_NOINLINE void QuantGemm8Rows(int bits, const void* base, size_t groups, size_t scales_offset, const int8_t* levels, float level_step,
                                        size_t M, size_t n0, size_t n1, const uint8_t* xp, const float* sp, float* C, size_t ldc, bool c_nm,
                                        const float* bias, int8_t* wbuf, int32_t* wt, float* factors, int32_t* corr, int32_t* asum, int isa) {
  const size_t Kp = groups * 128, code_bytes = group_code_bytes(bits), row_bytes = groups * code_bytes;
  const auto* codes = static_cast<const unsigned char*>(base);
  const auto* scales = reinterpret_cast<const uint16_t*>(codes + scales_offset);
  const size_t blocks = (M + kGemm8Block - 1) / kGemm8Block, xstride = kGemm8Block * Kp, sstride = groups * kGemm8Block;
  float* fP = factors + kGemm8Panel * groups;  // the panel's factors and corrections, [g][row]
  int32_t* cP = corr + kGemm8Panel * groups;
  alignas(64) float out[kGemm8Rows * 2 * kGemm8Block];
  const bool fast = Gemm8Uses(isa);  // the int8 instruction planned for the call
#if HWY_TARGET == HWY_AVX3
  const bool pairs = fast;  // the VNNI tile takes two blocks at once
#else
  const bool pairs = false;
  (void)fast;
#endif
#if CACTUS_GEMM8_SDOT
  const bool mm = fast && Gemm8UsesI8mm(isa);  // SMMLA where planned (the CPU has it)
#endif
#if CACTUS_GEMM8_MADDUBS
  // CQ: the panel holds h = level >> 1, and the activation rows' group sums are added per group
  int8_t half_levels[16] = {};
  if (fast && bits != 8) {
    for (size_t i = 0; i < (size_t{1} << bits); ++i) half_levels[i] = static_cast<int8_t>(levels[i] >> 1);
    Gemm8ActivationSums(xp, blocks, groups, asum);
    levels = half_levels;
  }
#else
  (void)asum;
#endif
  for (size_t nb = n0; nb < n1; nb += kGemm8Panel) {
    const size_t rows = std::min(kGemm8Panel, n1 - nb);
    const int8_t* r[kGemm8Panel] = {};
    for (size_t i = 0; i < rows; ++i) {
      const size_t n = nb + i;
      if (bits == 8) {
        r[i] = reinterpret_cast<const int8_t*>(codes) + n * Kp;
      } else {
        DecodeRowGroups(bits, codes + n * row_bytes, groups, levels, wbuf + i * Kp);
        r[i] = wbuf + i * Kp;
      }
      GroupFactors(scales + n * groups, groups, level_step, factors + i * groups);
#if HWY_TARGET == HWY_AVX3
      if (fast) {
        GroupSums8Vnni(r[i], groups, corr + i * groups);
        continue;
      }
#elif CACTUS_GEMM8_MADDUBS
      if (fast) {  // q8 (the sign trick): none; CQ: -64 sum(level) = -128 sum(h) - 64 * 128 per group
        if (bits == 8) std::fill(corr + i * groups, corr + (i + 1) * groups, 0);
        else GroupSumsMaddubs(r[i], groups, -128, -64 * 128, corr + i * groups);
        continue;
      }
#elif CACTUS_GEMM8_SDOT
      if (fast) {  // signed products: no correction
        std::fill(corr + i * groups, corr + (i + 1) * groups, 0);
        continue;
      }
#endif
      for (size_t g = 0; g < groups; ++g) {
        int32_t s = 0;
        for (size_t k = 0; k < 128; ++k) s += r[i][g * 128 + k];
        corr[i * groups + g] = -128 * s;
      }
    }
    for (size_t g = 0; g < groups; ++g)
      for (size_t i = 0; i < kGemm8Panel; ++i) {
        fP[g * kGemm8Panel + i] = i < rows ? factors[i * groups + g] : 0.0f;
        cP[g * kGemm8Panel + i] = i < rows ? corr[i * groups + g] : 0;
      }
#if HWY_TARGET == HWY_AVX3
    if (fast) TransposePanelVnni(r, Kp, wt);
    else
#elif CACTUS_GEMM8_MADDUBS
    if (fast) TransposePanelMaddubs(r, Kp, wt, bits == 8 ? wt + 4 * Kp : nullptr);
    else
#endif
      TransposePanelPortable(r, Kp, wt);
    // the next panel's weights are on their way to L2 while this one's tiles run (its 16 rows
    // are read at once by the transpose, too many streams for the hardware prefetcher)
    if (nb + kGemm8Panel < n1) {
      const unsigned char* next = codes + (nb + kGemm8Panel) * row_bytes;
      const size_t next_bytes = std::min(kGemm8Panel, n1 - nb - kGemm8Panel) * row_bytes;
      for (size_t o = 0; o < next_bytes; o += 64) PrefetchL2(next + o);
    }
    for (size_t b = 0; b < blocks;) {
      const size_t mb = (pairs && b + 2 <= blocks) ? 2 : 1;
      for (size_t h = 0; h < rows; h += kGemm8Rows) {
#if HWY_TARGET == HWY_AVX3
        if (fast && mb == 2) Gemm8TileVnni<2>(wt + h, fP + h, cP + h, groups, xp + b * xstride, xstride, sp + b * sstride, sstride, out);
        else if (fast) Gemm8TileVnni<1>(wt + h, fP + h, cP + h, groups, xp + b * xstride, xstride, sp + b * sstride, sstride, out);
        else
#elif CACTUS_GEMM8_MADDUBS
        if (fast && bits == 8) Gemm8TileMaddubs<true>(wt + h, wt + 4 * Kp + h, fP + h, cP + h, groups, xp + b * xstride, sp + b * sstride, nullptr, out);
        else if (fast) Gemm8TileMaddubs<false>(wt + h, nullptr, fP + h, cP + h, groups, xp + b * xstride, sp + b * sstride, asum + b * sstride, out);
        else
#elif CACTUS_GEMM8_SDOT
        if (mm) Gemm8TileI8mm(wt + h, fP + h, groups, xp + b * xstride, sp + b * sstride, out);
        else if (fast) Gemm8TileSdot(wt + h, fP + h, groups, xp + b * xstride, sp + b * sstride, out);
        else
#endif
          Gemm8TilePortable(mb, wt + h, fP + h, cP + h, groups, xp + b * xstride, xstride, sp + b * sstride, sstride, out);
        const size_t qn = std::min(mb * kGemm8Block, M - b * kGemm8Block), nn = std::min(kGemm8Rows, rows - h);
        if (c_nm) {
          for (size_t n = 0; n < nn; ++n) {
            const float bn = bias ? bias[nb + h + n] : 0.0f;
            const float* o = out + n * mb * kGemm8Block;
            float* cn = C + (nb + h + n) * ldc + b * kGemm8Block;
            for (size_t q = 0; q < qn; ++q) cn[q] = o[q] + bn;
          }
        } else {  // the tile's weight rows are consecutive floats of each activation row of C:
          // stored so, a row at a time, not as a column per weight row (ldc apart, a line per
          // float: a quarter of a 64 x 1024 x 1024 product's time went to those stores)
          float bn[kGemm8Rows];
          for (size_t n = 0; n < nn; ++n) bn[n] = bias ? bias[nb + h + n] : 0.0f;
          for (size_t q = 0; q < qn; ++q) {
            float* cm = C + (b * kGemm8Block + q) * ldc + nb + h;
            for (size_t n = 0; n < nn; ++n) cm[n] = out[n * mb * kGemm8Block + q] + bn[n];
          }
        }
      }
      b += mb;
    }
  }
}

}  // namespace cactus::kernels::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#endif  // toggle guard
