// Packed-weight matrix products, part 4 of 4: the int8 path (x86: pmaddubsw, VNNI on AVX-512;
// Arm: SDOT on NEON where the CPU has FEAT_DotProd, SMMLA where it has FEAT_I8MM, SVE's SDOT).
#if defined(CACTUS_KERNELS_QUANT_DOT8_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef CACTUS_KERNELS_QUANT_DOT8_INL_H_
#undef CACTUS_KERNELS_QUANT_DOT8_INL_H_
#else
#define CACTUS_KERNELS_QUANT_DOT8_INL_H_
#endif

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <hwy/cache_control.h>
#include <hwy/highway.h>
#if HWY_ARCH_ARM_A64 && defined(__linux__)
#include <asm/hwcap.h>
#include <sys/auxv.h>
#endif

#include "cactus/core/dtype.hpp"
#include "cactus/core/packed.hpp"
#include "cactus/kernels/kinds.hpp"

HWY_BEFORE_NAMESPACE();
namespace cactus::kernels::HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

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
//
// On Arm, SDOT multiplies signed bytes and accumulates groups of four into int32 in one
// instruction. SVE has it in its base set, so the SVE targets take the portable code with it.
// NEON has it only from FEAT_DotProd (Armv8.2: Cortex-A55/A76 and later, not A53/A72), which
// Highway 1.0.3 has no target for: the NEON target carries SDOT variants compiled for
// arch=armv8.2-a+dotprod (arm_neon.h declares vdotq_s32 under it), chosen at run time from the
// hwcaps, and the 4 x 4 prefill tile uses SMMLA (FEAT_I8MM, two-by-two int8 matrix products)
// where the CPU has that too. Without them NEON keeps the int16 path (quant_dot16-inl.hpp).
#if HWY_TARGET == HWY_AVX3 || HWY_TARGET == HWY_AVX3_DL || HWY_TARGET == HWY_AVX2 || HWY_TARGET == HWY_SSE4 || HWY_TARGET == HWY_SSSE3 || \
    HWY_TARGET == HWY_SVE || HWY_TARGET == HWY_SVE2 || HWY_TARGET == HWY_SVE_256 || HWY_TARGET == HWY_SVE2_128
#define CACTUS_QUANT_INT8_DOT 1
#else
#define CACTUS_QUANT_INT8_DOT 0
#endif
#ifdef CACTUS_NEON_SDOT
#undef CACTUS_NEON_SDOT
#endif
#ifdef CACTUS_SVE_SDOT
#undef CACTUS_SVE_SDOT
#endif
#if HWY_TARGET == HWY_SVE || HWY_TARGET == HWY_SVE2 || HWY_TARGET == HWY_SVE_256 || HWY_TARGET == HWY_SVE2_128
#define CACTUS_SVE_SDOT 1
#else
#define CACTUS_SVE_SDOT 0
#endif
#if HWY_TARGET == HWY_NEON && HWY_ARCH_ARM_A64 && defined(__linux__)
#define CACTUS_NEON_SDOT 1
#else
#define CACTUS_NEON_SDOT 0
#endif

#if HWY_TARGET == HWY_AVX3
inline bool HasVnni() {
  static const bool has = __builtin_cpu_supports("avx512vnni");
  return has;
}
#endif
#if CACTUS_NEON_SDOT
inline bool HasDotProd() {
  static const bool has = (getauxval(AT_HWCAP) & HWCAP_ASIMDDP) != 0;
  return has;
}
inline bool HasI8mm() {
  static const bool has = (getauxval(AT_HWCAP2) & HWCAP2_I8MM) != 0;
  return has;
}
#else
inline bool HasDotProd() { return false; }
inline bool HasI8mm() { return false; }
#endif
// Tests run each target with and without its optional instructions (VNNI on AVX3, SDOT and
// SMMLA on NEON), so the variants and the code without them are both checked on one CPU.
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
inline bool SdotActive() { return HasDotProd() && !ForceNoVnni(); }
inline bool I8mmActive() { return SdotActive() && HasI8mm(); }
// The instructions a call was planned with (an int8_isa code, from BestInt8Isa when the graph
// was planned), taken only where this target and CPU have them.
inline bool UseVnni(int isa) {
#if HWY_TARGET == HWY_AVX3
  return isa == static_cast<int>(int8_isa::vnni) && HasVnni();
#else
  (void)isa;
  return false;
#endif
}
inline bool UseSdot(int isa) { return isa >= static_cast<int>(int8_isa::sdot) && HasDotProd(); }
inline bool UseI8mm(int isa) { return isa == static_cast<int>(int8_isa::i8mm) && HasDotProd() && HasI8mm(); }

// Whether CQ products take int8 activations on this target (and CPU).
inline HWY_NOINLINE bool Int8DotPath() { return CACTUS_QUANT_INT8_DOT || SdotActive(); }
// Whether q8 matrix-vector products take int8 activations: where an instruction multiplies the
// stored int8 weights as they are (vpdpbusd, SDOT).
inline HWY_NOINLINE bool Q8Int8Gemv() { return VnniActive() || SdotActive() || CACTUS_SVE_SDOT; }
// The optional int8 instructions this target's products use, for tests and benches.
inline HWY_NOINLINE const char* Int8DotInstructions() {
  if (VnniActive()) return "AVX-512 VNNI (vpdpbusd)";
  if (I8mmActive()) return "SDOT + SMMLA (FEAT_DotProd, FEAT_I8MM)";
  if (SdotActive()) return "SDOT (FEAT_DotProd)";
#if CACTUS_SVE_SDOT
  return "SVE SDOT";
#elif CACTUS_QUANT_INT8_DOT
  return "pmaddubsw";
#else
  return "none (int16 products)";
#endif
}

#if CACTUS_QUANT_INT8_DOT
// a + the sums of four products of u8 w (at most 127) and i8 x, as int32 lanes
template <class VI, class V>
HWY_INLINE VI DotAccU8I8(VI a, V w, V x) {
#if HWY_TARGET == HWY_AVX3 || HWY_TARGET == HWY_AVX3_DL
  return hn::Add(a, VI{_mm512_madd_epi16(_mm512_maddubs_epi16(w.raw, x.raw), _mm512_set1_epi16(1))});
#elif HWY_TARGET == HWY_AVX2
  return hn::Add(a, VI{_mm256_madd_epi16(_mm256_maddubs_epi16(w.raw, x.raw), _mm256_set1_epi16(1))});
#elif HWY_TARGET == HWY_SSE4 || HWY_TARGET == HWY_SSSE3
  return hn::Add(a, VI{_mm_madd_epi16(_mm_maddubs_epi16(w.raw, x.raw), _mm_set1_epi16(1))});
#else  // SVE: w < 128 reads the same as a signed byte
  return svdot_s32(a, svreinterpret_s8_u8(w), svreinterpret_s8_u8(x));
#endif
}
// The int8 products' vector of bytes: whole vectors, but no more than one group of 128 (SVE may
// be wider).
using Int8DotTag = hn::CappedTag<uint8_t, 128>;
#endif

#if CACTUS_NEON_SDOT
// ---- NEON with SDOT / SMMLA: the variants of DotRows8, DotCols8 and the tile, chosen at run
// time (see above). They read the same decoded rows u = (level + 127) / 2 and the same int8
// activations as the portable code, so the group correction (127 times the activation sums) is
// the same too; u < 128 reads the same as a signed byte.
//
// The extensions are enabled for this section only, by push/pop pragmas: with per-function
// target("arch=...") attributes, g++ 12 also compiled the functions after them with dotprod
// (it vectorized the scalar fallbacks below into SDOT, which a Cortex-A53 cannot run).
#pragma GCC push_options
#pragma GCC target("arch=armv8.2-a+crypto+dotprod")
template <size_t MR>
HWY_NOINLINE void DotRows8Sdot(const uint8_t* HWY_RESTRICT u, const float* HWY_RESTRICT f, size_t groups,
                                                const int8_t* HWY_RESTRICT xq, size_t ldx, const float* HWY_RESTRICT steps,
                                                const int32_t* HWY_RESTRICT sums, size_t lds, float* HWY_RESTRICT C, size_t ldc, float bias) {
  float corr[4] = {0, 0, 0, 0};
  float32x4_t acc[4] = {vdupq_n_f32(0), vdupq_n_f32(0), vdupq_n_f32(0), vdupq_n_f32(0)};
  for (size_t g = 0; g < groups; ++g) {
    int32x4_t a[4] = {vdupq_n_s32(0), vdupq_n_s32(0), vdupq_n_s32(0), vdupq_n_s32(0)};
    const size_t k0 = g * 128;
    for (size_t j = 0; j < 128; j += 16) {
      const int8x16_t w = vreinterpretq_s8_u8(vld1q_u8(u + k0 + j));
      for (size_t r = 0; r < MR; ++r) a[r] = vdotq_s32(a[r], w, vld1q_s8(xq + r * ldx + k0 + j));
    }
    for (size_t r = 0; r < MR; ++r) {
      acc[r] = vfmaq_n_f32(acc[r], vcvtq_f32_s32(a[r]), 2.0f * f[g] * steps[r * lds + g]);
      corr[r] += f[g] * steps[r * lds + g] * static_cast<float>(sums[r * lds + g]);
    }
  }
  for (size_t r = 0; r < MR; ++r) C[r * ldc] = vaddvq_f32(acc[r]) - 127.0f * corr[r] + bias;
}

template <size_t NR>
HWY_NOINLINE void DotCols8Sdot(const uint8_t* HWY_RESTRICT u, size_t Kp, const float* HWY_RESTRICT f, size_t groups,
                                                const int8_t* HWY_RESTRICT xq, const float* HWY_RESTRICT steps, const int32_t* HWY_RESTRICT sums,
                                                float* HWY_RESTRICT C, const float* bias) {
  float corr[4] = {0, 0, 0, 0};
  float32x4_t acc[4] = {vdupq_n_f32(0), vdupq_n_f32(0), vdupq_n_f32(0), vdupq_n_f32(0)};
  for (size_t g = 0; g < groups; ++g) {
    int32x4_t a[4] = {vdupq_n_s32(0), vdupq_n_s32(0), vdupq_n_s32(0), vdupq_n_s32(0)};
    const size_t k0 = g * 128;
    for (size_t j = 0; j < 128; j += 16) {
      const int8x16_t x = vld1q_s8(xq + k0 + j);
      for (size_t r = 0; r < NR; ++r) a[r] = vdotq_s32(a[r], vreinterpretq_s8_u8(vld1q_u8(u + r * Kp + k0 + j)), x);
    }
    const float s = steps[g], sx = s * static_cast<float>(sums[g]);
    for (size_t r = 0; r < NR; ++r) {
      acc[r] = vfmaq_n_f32(acc[r], vcvtq_f32_s32(a[r]), 2.0f * f[r * groups + g] * s);
      corr[r] += f[r * groups + g] * sx;
    }
  }
  for (size_t r = 0; r < NR; ++r) C[r] = vaddvq_f32(acc[r]) - 127.0f * corr[r] + (bias ? bias[r] : 0.0f);
}

// CQ4 matrix-vector products decoding in registers, as Gemv4Vnni: TBL looks each 4-bit code up in
// the signed levels (2u - 127), so SDOT gives sum(level x) with no correction. NR rows at w,
// w + row_bytes, ...; a group's 64 bytes hold its values j (low nibbles) and 64 + j (high).
template <size_t NR>
HWY_INLINE void Cols4Sdot(const unsigned char* HWY_RESTRICT w, const unsigned char* end, size_t row_bytes,
                                           const uint16_t* HWY_RESTRICT scales, size_t groups, int8x16_t table, float level_step,
                                           const int8_t* HWY_RESTRICT xq, const float* HWY_RESTRICT steps, float* HWY_RESTRICT C, const float* bias) {
  const uint8x16_t low = vdupq_n_u8(15);
  float32x4_t acc[NR];
  for (size_t r = 0; r < NR; ++r) acc[r] = vdupq_n_f32(0);
  for (size_t g = 0; g < groups; ++g) {
    const int8_t* x = xq + g * 128;
    const int8x16_t x0 = vld1q_s8(x), x1 = vld1q_s8(x + 16), x2 = vld1q_s8(x + 32), x3 = vld1q_s8(x + 48);
    const int8x16_t y0 = vld1q_s8(x + 64), y1 = vld1q_s8(x + 80), y2 = vld1q_s8(x + 96), y3 = vld1q_s8(x + 112);
    const float xs = level_step * steps[g];
    for (size_t r = 0; r < NR; ++r) {
      const unsigned char* row = w + r * row_bytes + g * 64;
      if (const unsigned char* a = row + kStreamAhead; a < end) PrefetchL2(a);
      const uint8x16_t v0 = vld1q_u8(row), v1 = vld1q_u8(row + 16), v2 = vld1q_u8(row + 32), v3 = vld1q_u8(row + 48);
      int32x4_t a = vdotq_s32(vdupq_n_s32(0), vqtbl1q_s8(table, vandq_u8(v0, low)), x0);
      int32x4_t b = vdotq_s32(vdupq_n_s32(0), vqtbl1q_s8(table, vshrq_n_u8(v0, 4)), y0);
      a = vdotq_s32(a, vqtbl1q_s8(table, vandq_u8(v1, low)), x1);
      b = vdotq_s32(b, vqtbl1q_s8(table, vshrq_n_u8(v1, 4)), y1);
      a = vdotq_s32(a, vqtbl1q_s8(table, vandq_u8(v2, low)), x2);
      b = vdotq_s32(b, vqtbl1q_s8(table, vshrq_n_u8(v2, 4)), y2);
      a = vdotq_s32(a, vqtbl1q_s8(table, vandq_u8(v3, low)), x3);
      b = vdotq_s32(b, vqtbl1q_s8(table, vshrq_n_u8(v3, 4)), y3);
      const float fw = cactus::f16_to_f32(scales[r * groups + g]);
      acc[r] = vfmaq_n_f32(acc[r], vcvtq_f32_s32(vaddq_s32(a, b)), fw * xs);
    }
  }
  for (size_t r = 0; r < NR; ++r) C[r] = vaddvq_f32(acc[r]) + (bias ? bias[r] : 0.0f);
}

inline HWY_NOINLINE void Gemv4Sdot(const unsigned char* codes, const uint16_t* scales, size_t groups, const int8_t* levels_u,
                                                    float level_step, size_t n0, size_t n1, const int8_t* xq, const float* steps, float* C,
                                                    const float* bias) {
  const size_t row_bytes = groups * 64;
  const unsigned char* end = codes + n1 * row_bytes;
  // level = 2u - 127 (u < 128, so 2u fits a byte)
  const int8x16_t table = vsubq_s8(vshlq_n_s8(vld1q_s8(levels_u), 1), vdupq_n_s8(127));
  GemvRowBlocks(codes, row_bytes, n0, n1, [&](auto nr, size_t nb) {
    const unsigned char* w = codes + nb * row_bytes;
    const uint16_t* s = scales + nb * groups;
    Cols4Sdot<decltype(nr)::value>(w, end, row_bytes, s, groups, table, level_step, xq, steps, C + nb, bias ? bias + nb : nullptr);
  });
}

// q8 matrix-vector products: SDOT multiplies the stored int8 weights as they are.
template <size_t NR>
HWY_INLINE void Cols8Sdot(const unsigned char* HWY_RESTRICT w, const unsigned char* end, size_t row_bytes,
                                           const uint16_t* HWY_RESTRICT scales, size_t groups, const int8_t* HWY_RESTRICT xq,
                                           const float* HWY_RESTRICT steps, float* HWY_RESTRICT C, const float* bias) {
  float32x4_t acc[NR];
  for (size_t r = 0; r < NR; ++r) acc[r] = vdupq_n_f32(0);
  for (size_t g = 0; g < groups; ++g) {
    const int8_t* x = xq + g * 128;
    for (size_t r = 0; r < NR; ++r) {
      const int8_t* row = reinterpret_cast<const int8_t*>(w + r * row_bytes + g * 128);
      if (const unsigned char* a = reinterpret_cast<const unsigned char*>(row) + kStreamAhead; a < end) PrefetchL2(a), PrefetchL2(a + 64);
      int32x4_t a = vdupq_n_s32(0), b = a;
      for (size_t j = 0; j < 128; j += 32) {
        a = vdotq_s32(a, vld1q_s8(row + j), vld1q_s8(x + j));
        b = vdotq_s32(b, vld1q_s8(row + j + 16), vld1q_s8(x + j + 16));
      }
      acc[r] = vfmaq_n_f32(acc[r], vcvtq_f32_s32(vaddq_s32(a, b)), cactus::f16_to_f32(scales[r * groups + g]) * steps[g]);
    }
  }
  for (size_t r = 0; r < NR; ++r) C[r] = vaddvq_f32(acc[r]) + (bias ? bias[r] : 0.0f);
}

inline HWY_NOINLINE void Gemv8Sdot(const unsigned char* codes, const uint16_t* scales, size_t groups, size_t n0, size_t n1,
                                                    const int8_t* xq, const float* steps, float* C, const float* bias) {
  const size_t row_bytes = groups * 128;
  const unsigned char* end = codes + n1 * row_bytes;
  GemvRowBlocks(codes, row_bytes, n0, n1, [&](auto nr, size_t nb) {
    const unsigned char* w = codes + nb * row_bytes;
    const uint16_t* s = scales + nb * groups;
    Cols8Sdot<decltype(nr)::value>(w, end, row_bytes, s, groups, xq, steps, C + nb, bias ? bias + nb : nullptr);
  });
}

// A 4 x 4 tile with SMMLA, as Tile4x4Vnni: weight rows u + r Kp (r < 4, decoded u, factors
// f + r * groups) against activation rows xq + m Kp (steps and sums at m * groups), into
// C[m * ldc + r]. SMMLA multiplies a 2 x 8 by an 8 x 2 int8 matrix into a 2 x 2 int32 block, so
// the rows are paired (ZIP1/ZIP2 of 64-bit halves interleave two rows' 8-byte runs): one SMMLA
// does 32 multiply-adds where SDOT does 16. The block of weight pair p and activation pair q
// keeps (r0 m0, r0 m1, r1 m0, r1 m1) in its lanes.
#pragma GCC push_options
#pragma GCC target("arch=armv8.2-a+crypto+dotprod+i8mm")
inline HWY_NOINLINE void Tile4x4I8mm(const uint8_t* HWY_RESTRICT u, size_t Kp, const float* HWY_RESTRICT f, size_t groups,
                                                      const int8_t* HWY_RESTRICT xq, const float* HWY_RESTRICT steps,
                                                      const int32_t* HWY_RESTRICT sums, float* HWY_RESTRICT C, size_t ldc, const float* bias) {
  float32x4_t acc[2][2], corr[2][2];
  for (auto& row : acc) row[0] = row[1] = vdupq_n_f32(0);
  for (auto& row : corr) row[0] = row[1] = vdupq_n_f32(0);
  const int8_t* w = reinterpret_cast<const int8_t*>(u);
  for (size_t g = 0; g < groups; ++g) {
    int32x4_t a[2][2] = {{vdupq_n_s32(0), vdupq_n_s32(0)}, {vdupq_n_s32(0), vdupq_n_s32(0)}};
    for (size_t j = g * 128; j < g * 128 + 128; j += 16) {
      int8x16_t wp[2][2], xp[2][2];  // [pair][half]
      for (size_t p = 0; p < 2; ++p) {
        const int64x2_t w0 = vreinterpretq_s64_s8(vld1q_s8(w + (2 * p) * Kp + j)), w1 = vreinterpretq_s64_s8(vld1q_s8(w + (2 * p + 1) * Kp + j));
        wp[p][0] = vreinterpretq_s8_s64(vzip1q_s64(w0, w1));
        wp[p][1] = vreinterpretq_s8_s64(vzip2q_s64(w0, w1));
        const int64x2_t x0 = vreinterpretq_s64_s8(vld1q_s8(xq + (2 * p) * Kp + j)), x1 = vreinterpretq_s64_s8(vld1q_s8(xq + (2 * p + 1) * Kp + j));
        xp[p][0] = vreinterpretq_s8_s64(vzip1q_s64(x0, x1));
        xp[p][1] = vreinterpretq_s8_s64(vzip2q_s64(x0, x1));
      }
      for (size_t p = 0; p < 2; ++p)
        for (size_t q = 0; q < 2; ++q) a[p][q] = vmmlaq_s32(vmmlaq_s32(a[p][q], wp[p][0], xp[q][0]), wp[p][1], xp[q][1]);
    }
    for (size_t p = 0; p < 2; ++p) {
      const float fr0 = f[(2 * p) * groups + g], fr1 = f[(2 * p + 1) * groups + g];
      const float32x4_t fr = {fr0, fr0, fr1, fr1};
      for (size_t q = 0; q < 2; ++q) {
        const float s0 = steps[(2 * q) * groups + g], s1 = steps[(2 * q + 1) * groups + g];
        const float32x4_t st = {2.0f * s0, 2.0f * s1, 2.0f * s0, 2.0f * s1};
        const float32x4_t cs = {s0 * static_cast<float>(sums[(2 * q) * groups + g]), s1 * static_cast<float>(sums[(2 * q + 1) * groups + g]),
                                s0 * static_cast<float>(sums[(2 * q) * groups + g]), s1 * static_cast<float>(sums[(2 * q + 1) * groups + g])};
        acc[p][q] = vfmaq_f32(acc[p][q], vcvtq_f32_s32(a[p][q]), vmulq_f32(fr, st));
        corr[p][q] = vfmaq_f32(corr[p][q], fr, cs);
      }
    }
  }
  for (size_t p = 0; p < 2; ++p)
    for (size_t q = 0; q < 2; ++q) {
      float out[4];
      vst1q_f32(out, vfmsq_n_f32(acc[p][q], corr[p][q], 127.0f));
      for (size_t i = 0; i < 4; ++i) {
        const size_t r = 2 * p + i / 2, m = 2 * q + i % 2;
        C[m * ldc + r] = out[i] + (bias ? bias[r] : 0.0f);
      }
    }
}
#pragma GCC pop_options
#pragma GCC pop_options
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

#if HWY_TARGET == HWY_AVX3
// A 4 x 4 tile: weight rows u, u + Kp, u + 2 Kp, u + 3 Kp (decoded, u = (level + 127) / 2;
// factors f + r * groups) against int8 activation rows xq + m * Kp (steps and sums at
// m * groups), C[m * ldc + r] (+ bias[r]). Per group of 128 the 16 int32 dot products are summed
// across lanes into one vector first (lane 4 r + m), so the group scales cost one multiply-add
// per group, not one per row pair; the activation loads are shared by the four weight rows and
// the weight loads by the four activation rows. groups <= kTileGroups.
inline constexpr size_t kTileGroups = 256;

// Per 128-bit lane k: the sums of that lane's four int32 of a, b, c and d, in its lanes 0..3.
__attribute__((target(HWY_TARGET_STR_AVX3 ",avx512vnni"))) HWY_INLINE __m512i SumLanes4(__m512i a, __m512i b, __m512i c, __m512i d) {
  const __m512i t0 = _mm512_add_epi32(_mm512_unpacklo_epi32(a, b), _mm512_unpackhi_epi32(a, b));
  const __m512i t1 = _mm512_add_epi32(_mm512_unpacklo_epi32(c, d), _mm512_unpackhi_epi32(c, d));
  return _mm512_add_epi32(_mm512_unpacklo_epi64(t0, t1), _mm512_unpackhi_epi64(t0, t1));  // per 128-bit lane: partial sums of a, b, c, d
}
// Lane i of the result: the sum of the lanes of a[i] (four SumLanes4 results folded across
// their 128-bit lanes).
__attribute__((target(HWY_TARGET_STR_AVX3 ",avx512vnni"))) HWY_INLINE __m512i SumLanes16(__m512i u0, __m512i u1, __m512i u2, __m512i u3) {
  const __m512i v0 = _mm512_add_epi32(_mm512_shuffle_i32x4(u0, u1, 0x88), _mm512_shuffle_i32x4(u0, u1, 0xDD));
  const __m512i v1 = _mm512_add_epi32(_mm512_shuffle_i32x4(u2, u3, 0x88), _mm512_shuffle_i32x4(u2, u3, 0xDD));
  return _mm512_add_epi32(_mm512_shuffle_i32x4(v0, v1, 0x88), _mm512_shuffle_i32x4(v0, v1, 0xDD));
}

inline __attribute__((target(HWY_TARGET_STR_AVX3 ",avx512vnni"))) HWY_NOINLINE void Tile4x4Vnni(
    const uint8_t* HWY_RESTRICT u, size_t Kp, const float* HWY_RESTRICT f, size_t groups, const int8_t* HWY_RESTRICT xq,
    const float* HWY_RESTRICT steps, const int32_t* HWY_RESTRICT sums, float* HWY_RESTRICT C, size_t ldc, const float* bias) {
  alignas(64) float fT[kTileGroups * 4], sT[kTileGroups * 4], cT[kTileGroups * 4];
  for (size_t g = 0; g < groups; ++g)
    for (size_t i = 0; i < 4; ++i) {
      fT[g * 4 + i] = f[i * groups + g];
      sT[g * 4 + i] = 2.0f * steps[i * groups + g];
      cT[g * 4 + i] = steps[i * groups + g] * static_cast<float>(sums[i * groups + g]);
    }
  const __m512i by_row = _mm512_set_epi32(3, 3, 3, 3, 2, 2, 2, 2, 1, 1, 1, 1, 0, 0, 0, 0);
  const __m512i by_act = _mm512_set_epi32(3, 2, 1, 0, 3, 2, 1, 0, 3, 2, 1, 0, 3, 2, 1, 0);
  __m512 total = _mm512_setzero_ps(), corr = total;
  for (size_t g = 0; g < groups; ++g) {
    const size_t j = g * 128;
    // weight row r against activation row m: a<r><m>; the group's two halves of 64 bytes
#define CACTUS_TILE_ROW(r)                                                                                        \
    __m512i a##r##0, a##r##1, a##r##2, a##r##3;                                                                    \
    {                                                                                                              \
      const __m512i w = _mm512_loadu_si512(u + r * Kp + j), w2 = _mm512_loadu_si512(u + r * Kp + j + 64);        \
      a##r##0 = _mm512_dpbusd_epi32(_mm512_dpbusd_epi32(_mm512_setzero_si512(), w, x0), w2, y0);                  \
      a##r##1 = _mm512_dpbusd_epi32(_mm512_dpbusd_epi32(_mm512_setzero_si512(), w, x1), w2, y1);                  \
      a##r##2 = _mm512_dpbusd_epi32(_mm512_dpbusd_epi32(_mm512_setzero_si512(), w, x2), w2, y2);                  \
      a##r##3 = _mm512_dpbusd_epi32(_mm512_dpbusd_epi32(_mm512_setzero_si512(), w, x3), w2, y3);                  \
    }
    const __m512i x0 = _mm512_loadu_si512(xq + j), x1 = _mm512_loadu_si512(xq + Kp + j), x2 = _mm512_loadu_si512(xq + 2 * Kp + j),
                  x3 = _mm512_loadu_si512(xq + 3 * Kp + j);
    const __m512i y0 = _mm512_loadu_si512(xq + j + 64), y1 = _mm512_loadu_si512(xq + Kp + j + 64),
                  y2 = _mm512_loadu_si512(xq + 2 * Kp + j + 64), y3 = _mm512_loadu_si512(xq + 3 * Kp + j + 64);
    CACTUS_TILE_ROW(0)
    const __m512i s0 = SumLanes4(a00, a01, a02, a03);
    CACTUS_TILE_ROW(1)
    const __m512i s1 = SumLanes4(a10, a11, a12, a13);
    CACTUS_TILE_ROW(2)
    const __m512i s2 = SumLanes4(a20, a21, a22, a23);
    CACTUS_TILE_ROW(3)
    const __m512i s3 = SumLanes4(a30, a31, a32, a33);
#undef CACTUS_TILE_ROW
    const __m512 fr = _mm512_permutexvar_ps(by_row, _mm512_castps128_ps512(_mm_load_ps(fT + g * 4)));
    const __m512 scale = _mm512_mul_ps(fr, _mm512_permutexvar_ps(by_act, _mm512_castps128_ps512(_mm_load_ps(sT + g * 4))));
    total = _mm512_fmadd_ps(_mm512_cvtepi32_ps(SumLanes16(s0, s1, s2, s3)), scale, total);
    corr = _mm512_fmadd_ps(fr, _mm512_permutexvar_ps(by_act, _mm512_castps128_ps512(_mm_load_ps(cT + g * 4))), corr);
  }
  alignas(64) float out[16];
  _mm512_store_ps(out, _mm512_fnmadd_ps(_mm512_set1_ps(127.0f), corr, total));
  for (size_t r = 0; r < 4; ++r)
    for (size_t m = 0; m < 4; ++m) C[m * ldc + r] = out[r * 4 + m] + (bias ? bias[r] : 0.0f);
}
#endif

// MR int8 activation rows against one weight row decoded to u[Kp] (u = (level + 127) / 2).
template <size_t MR>
HWY_INLINE void DotRows8(const uint8_t* HWY_RESTRICT u, const float* HWY_RESTRICT f, size_t groups, const int8_t* HWY_RESTRICT xq,
                         size_t ldx, const float* HWY_RESTRICT steps, const int32_t* HWY_RESTRICT sums, size_t lds, float* HWY_RESTRICT C,
                         size_t ldc, float bias, int isa) {
#if HWY_TARGET == HWY_AVX3
  if (UseVnni(isa)) return DotRows8Vnni<MR>(u, f, groups, xq, ldx, steps, sums, lds, C, ldc, bias);
#endif
#if CACTUS_NEON_SDOT
  if (UseSdot(isa)) return DotRows8Sdot<MR>(u, f, groups, xq, ldx, steps, sums, lds, C, ldc, bias);
#endif
  (void)isa;
  float corr[4] = {0, 0, 0, 0};
#if CACTUS_QUANT_INT8_DOT
  const Int8DotTag d8;
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
      a0 = DotAccU8I8(a0, w, hn::LoadU(d8, x));
      if constexpr (MR > 1) a1 = DotAccU8I8(a1, w, hn::LoadU(d8, x + ldx));
      if constexpr (MR > 2) a2 = DotAccU8I8(a2, w, hn::LoadU(d8, x + 2 * ldx));
      if constexpr (MR > 3) a3 = DotAccU8I8(a3, w, hn::LoadU(d8, x + 3 * ldx));
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
  const __m512i table = _mm512_broadcast_i32x4(_mm_loadu_si128(reinterpret_cast<const __m128i*>(levels_u)));
  // a lambda does not take its function's target attribute: it is given the same one
  GemvRowBlocks(codes, row_bytes, n0, n1, [&](auto nr, size_t nb) __attribute__((target(HWY_TARGET_STR_AVX3 ",avx512vnni"))) {
    const unsigned char* w = codes + nb * row_bytes;
    const uint16_t* s = scales + nb * groups;
    Cols4Vnni<decltype(nr)::value>(w, end, row_bytes, s, groups, table, level_step, xq, steps, sums, C + nb, bias ? bias + nb : nullptr);
  });
}

// q8 matrix-vector products with vpdpbusd: an int8 weight w read as the unsigned byte w + 128
// (its top bit flipped), so sum((w + 128) x) - 128 sum(x) = sum(w x) exactly, with the group
// sums of x that QuantizeActivationRows8 gives. NR weight rows at w, w + row_bytes, ...
template <size_t NR>
__attribute__((target(HWY_TARGET_STR_AVX3 ",avx512vnni"))) HWY_INLINE void Cols8Vnni(
    const unsigned char* HWY_RESTRICT w, const unsigned char* end, size_t row_bytes, const uint16_t* HWY_RESTRICT scales, size_t groups,
    const int8_t* HWY_RESTRICT xq, const float* HWY_RESTRICT steps, const int32_t* HWY_RESTRICT sums, float* HWY_RESTRICT C, const float* bias) {
  const __m512i flip = _mm512_set1_epi8(static_cast<char>(0x80));
  __m512 acc[NR];
  float corr[NR];
  for (size_t r = 0; r < NR; ++r) acc[r] = _mm512_setzero_ps(), corr[r] = 0.0f;
  for (size_t g = 0; g < groups; ++g) {
    const __m512i x0 = _mm512_loadu_si512(xq + g * 128), x1 = _mm512_loadu_si512(xq + g * 128 + 64);
    const float xs = steps[g], cs = steps[g] * static_cast<float>(sums[g]);
    for (size_t r = 0; r < NR; ++r) {
      const unsigned char* row = w + r * row_bytes + g * 128;
      if (const unsigned char* a = row + kStreamAhead; a < end) PrefetchL2(a), PrefetchL2(a + 64);  // as in Cols4Vnni
      __m512i a = _mm512_dpbusd_epi32(_mm512_setzero_si512(), _mm512_xor_si512(_mm512_loadu_si512(row), flip), x0);
      a = _mm512_dpbusd_epi32(a, _mm512_xor_si512(_mm512_loadu_si512(row + 64), flip), x1);
      const float fw = _cvtsh_ss(scales[r * groups + g]);
      acc[r] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(a), _mm512_set1_ps(fw * xs), acc[r]);
      corr[r] += fw * cs;
    }
  }
  for (size_t r = 0; r < NR; ++r) C[r] = _mm512_reduce_add_ps(acc[r]) - 128.0f * corr[r] + (bias ? bias[r] : 0.0f);
}

// Weight rows [n0, n1) of a q8 matrix against one int8 activation row.
inline __attribute__((target(HWY_TARGET_STR_AVX3 ",avx512vnni"))) HWY_NOINLINE void Gemv8Vnni(
    const unsigned char* codes, const uint16_t* scales, size_t groups, size_t n0, size_t n1, const int8_t* xq, const float* steps,
    const int32_t* sums, float* C, const float* bias) {
  const size_t row_bytes = groups * 128;
  const unsigned char* end = codes + n1 * row_bytes;
  GemvRowBlocks(codes, row_bytes, n0, n1, [&](auto nr, size_t nb) __attribute__((target(HWY_TARGET_STR_AVX3 ",avx512vnni"))) {
    const unsigned char* w = codes + nb * row_bytes;
    const uint16_t* s = scales + nb * groups;
    Cols8Vnni<decltype(nr)::value>(w, end, row_bytes, s, groups, xq, steps, sums, C + nb, bias ? bias + nb : nullptr);
  });
}
#endif

#if HWY_TARGET == HWY_AVX2
// CQ4 matrix-vector products on AVX2, decoding in registers as Gemv4Vnni does: vpshufb looks
// each 4-bit code up in u = (level + 127) / 2 (the table in both 128-bit lanes), pmaddubsw and
// pmaddwd multiply u by the int8 activations, and sum(level x) = 2 sum(u x) - 127 sum(x) per
// group. The codes are read once, straight from the weights: the row kernels' decoded copy in
// memory cost as many instructions as the products. A group's 64 bytes hold its values j (low
// nibbles) and 64 + j (high). NR weight rows at w, w + row_bytes, ...
HWY_INLINE float SumOfLanes256(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  return _mm_cvtss_f32(_mm_add_ss(s, _mm_movehdup_ps(s)));
}
template <size_t NR>
HWY_INLINE void Cols4Maddubs(const unsigned char* HWY_RESTRICT w, const unsigned char* end, size_t row_bytes, const uint16_t* HWY_RESTRICT scales,
                             size_t groups, __m256i table, float level_step, const int8_t* HWY_RESTRICT xq, const float* HWY_RESTRICT steps,
                             const int32_t* HWY_RESTRICT sums, float* HWY_RESTRICT C, const float* bias) {
  const __m256i low = _mm256_set1_epi8(15), ones = _mm256_set1_epi16(1);
  __m256 acc[NR];
  float corr[NR];
  for (size_t r = 0; r < NR; ++r) acc[r] = _mm256_setzero_ps(), corr[r] = 0.0f;
  for (size_t g = 0; g < groups; ++g) {
    const auto* x = reinterpret_cast<const __m256i*>(xq + g * 128);
    const __m256i x0 = _mm256_loadu_si256(x), x1 = _mm256_loadu_si256(x + 1), x2 = _mm256_loadu_si256(x + 2), x3 = _mm256_loadu_si256(x + 3);
    const float xs = 2.0f * level_step * steps[g], cs = level_step * steps[g] * static_cast<float>(sums[g]);
    for (size_t r = 0; r < NR; ++r) {
      const unsigned char* row = w + r * row_bytes + g * 64;
      if (const unsigned char* a = row + kStreamAhead; a < end) PrefetchL2(a);  // as Cols4Vnni
      const __m256i v0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(row)), v1 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(row + 32));
      const auto dot = [&](__m256i codes, __m256i xv) {
        return _mm256_madd_epi16(_mm256_maddubs_epi16(_mm256_shuffle_epi8(table, _mm256_and_si256(codes, low)), xv), ones);
      };
      const __m256i a = _mm256_add_epi32(_mm256_add_epi32(dot(v0, x0), dot(v1, x1)),
                                         _mm256_add_epi32(dot(_mm256_srli_epi16(v0, 4), x2), dot(_mm256_srli_epi16(v1, 4), x3)));
      const float fw = _cvtsh_ss(scales[r * groups + g]);
      acc[r] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(a), _mm256_set1_ps(fw * xs), acc[r]);
      corr[r] += fw * cs;
    }
  }
  for (size_t r = 0; r < NR; ++r) C[r] = SumOfLanes256(acc[r]) - 127.0f * corr[r] + (bias ? bias[r] : 0.0f);
}

// Weight rows [n0, n1) of a CQ4 matrix against one int8 activation row (see QuantMatmulRows8).
inline HWY_NOINLINE void Gemv4Maddubs(const unsigned char* codes, const uint16_t* scales, size_t groups, const int8_t* levels_u, float level_step,
                                      size_t n0, size_t n1, const int8_t* xq, const float* steps, const int32_t* sums, float* C, const float* bias) {
  const size_t row_bytes = groups * 64;
  const unsigned char* end = codes + n1 * row_bytes;
  const __m256i table = _mm256_broadcastsi128_si256(_mm_loadu_si128(reinterpret_cast<const __m128i*>(levels_u)));
  GemvRowBlocks(codes, row_bytes, n0, n1, [&](auto nr, size_t nb) {
    const unsigned char* w = codes + nb * row_bytes;
    const uint16_t* s = scales + nb * groups;
    Cols4Maddubs<decltype(nr)::value>(w, end, row_bytes, s, groups, table, level_step, xq, steps, sums, C + nb, bias ? bias + nb : nullptr);
  });
}
#endif

#if CACTUS_SVE_SDOT
// ---- SVE: matrix-vector products as on NEON with SDOT (Gemv4Sdot, Gemv8Sdot), for any vector
// length: a group's 64 code bytes (CQ4) or 128 weights (q8) are read in vectors of at most that
// many bytes, the last one under a predicate (lanes past it load as zero and add nothing).
// SVE vectors cannot be array elements: four named accumulators, the unused ones idle.
template <size_t NR>
HWY_INLINE void Cols4Sve(const unsigned char* HWY_RESTRICT w, const unsigned char* end, size_t row_bytes, const uint16_t* HWY_RESTRICT scales,
                         size_t groups, svint8_t table, float level_step, const int8_t* HWY_RESTRICT xq, const float* HWY_RESTRICT steps,
                         float* HWY_RESTRICT C, const float* bias) {
  const size_t VL = svcntb();
  const svbool_t all32 = svptrue_b32();
  svfloat32_t f0 = svdup_n_f32(0.0f), f1 = f0, f2 = f0, f3 = f0;
  for (size_t g = 0; g < groups; ++g) {
    const int8_t* x = xq + g * 128;
    const unsigned char* row = w + g * 64;
    svint32_t a0 = svdup_n_s32(0), a1 = a0, a2 = a0, a3 = a0;
    for (size_t c = 0; c < 64; c += VL) {
      const svbool_t pg = svwhilelt_b8(static_cast<uint64_t>(c), static_cast<uint64_t>(64));
      const svint8_t x0 = svld1_s8(pg, x + c), x1 = svld1_s8(pg, x + 64 + c);
      auto dot = [&](svint32_t a, size_t r) {
        const svuint8_t v = svld1_u8(pg, row + r * row_bytes + c);
        return svdot_s32(svdot_s32(a, svtbl_s8(table, svand_n_u8_x(pg, v, 15)), x0), svtbl_s8(table, svlsr_n_u8_x(pg, v, 4)), x1);
      };
      a0 = dot(a0, 0);
      if constexpr (NR > 1) a1 = dot(a1, 1);
      if constexpr (NR > 2) a2 = dot(a2, 2);
      if constexpr (NR > 3) a3 = dot(a3, 3);
    }
    const float xs = level_step * steps[g];
    auto fold = [&](svfloat32_t f, svint32_t a, size_t r) {
      if (const unsigned char* p = row + r * row_bytes + kStreamAhead; p < end) PrefetchL2(p);
      return svmla_n_f32_x(all32, f, svcvt_f32_s32_x(all32, a), cactus::f16_to_f32(scales[r * groups + g]) * xs);
    };
    f0 = fold(f0, a0, 0);
    if constexpr (NR > 1) f1 = fold(f1, a1, 1);
    if constexpr (NR > 2) f2 = fold(f2, a2, 2);
    if constexpr (NR > 3) f3 = fold(f3, a3, 3);
  }
  const float dot[4] = {svaddv_f32(all32, f0), svaddv_f32(all32, f1), svaddv_f32(all32, f2), svaddv_f32(all32, f3)};
  for (size_t r = 0; r < NR; ++r) C[r] = dot[r] + (bias ? bias[r] : 0.0f);
}

inline HWY_NOINLINE void Gemv4Sve(const unsigned char* codes, const uint16_t* scales, size_t groups, const int8_t* levels_u, float level_step,
                                  size_t n0, size_t n1, const int8_t* xq, const float* steps, float* C, const float* bias) {
  const size_t row_bytes = groups * 64;
  const unsigned char* end = codes + n1 * row_bytes;
  // signed levels 2u - 127 in lanes 0..15, which TBL indexes with the 4-bit codes
  const svbool_t first16 = svwhilelt_b8(static_cast<uint64_t>(0), static_cast<uint64_t>(16));
  const svint8_t table = svsub_n_s8_x(first16, svlsl_n_s8_x(first16, svld1_s8(first16, levels_u), 1), 127);
  GemvRowBlocks(codes, row_bytes, n0, n1, [&](auto nr, size_t nb) {
    const unsigned char* w = codes + nb * row_bytes;
    const uint16_t* s = scales + nb * groups;
    Cols4Sve<decltype(nr)::value>(w, end, row_bytes, s, groups, table, level_step, xq, steps, C + nb, bias ? bias + nb : nullptr);
  });
}

template <size_t NR>
HWY_INLINE void Cols8Sve(const unsigned char* HWY_RESTRICT w, const unsigned char* end, size_t row_bytes, const uint16_t* HWY_RESTRICT scales,
                         size_t groups, const int8_t* HWY_RESTRICT xq, const float* HWY_RESTRICT steps, float* HWY_RESTRICT C, const float* bias) {
  const size_t VL = svcntb();
  const svbool_t all32 = svptrue_b32();
  svfloat32_t f0 = svdup_n_f32(0.0f), f1 = f0, f2 = f0, f3 = f0;
  for (size_t g = 0; g < groups; ++g) {
    const int8_t* x = xq + g * 128;
    const int8_t* row = reinterpret_cast<const int8_t*>(w + g * 128);
    svint32_t a0 = svdup_n_s32(0), a1 = a0, a2 = a0, a3 = a0;
    for (size_t c = 0; c < 128; c += VL) {
      const svbool_t pg = svwhilelt_b8(static_cast<uint64_t>(c), static_cast<uint64_t>(128));
      const svint8_t xv = svld1_s8(pg, x + c);
      a0 = svdot_s32(a0, svld1_s8(pg, row + c), xv);
      if constexpr (NR > 1) a1 = svdot_s32(a1, svld1_s8(pg, row + row_bytes + c), xv);
      if constexpr (NR > 2) a2 = svdot_s32(a2, svld1_s8(pg, row + 2 * row_bytes + c), xv);
      if constexpr (NR > 3) a3 = svdot_s32(a3, svld1_s8(pg, row + 3 * row_bytes + c), xv);
    }
    auto fold = [&](svfloat32_t f, svint32_t a, size_t r) {
      if (const unsigned char* p = w + r * row_bytes + g * 128 + kStreamAhead; p < end) PrefetchL2(p), PrefetchL2(p + 64);
      return svmla_n_f32_x(all32, f, svcvt_f32_s32_x(all32, a), cactus::f16_to_f32(scales[r * groups + g]) * steps[g]);
    };
    f0 = fold(f0, a0, 0);
    if constexpr (NR > 1) f1 = fold(f1, a1, 1);
    if constexpr (NR > 2) f2 = fold(f2, a2, 2);
    if constexpr (NR > 3) f3 = fold(f3, a3, 3);
  }
  const float dot[4] = {svaddv_f32(all32, f0), svaddv_f32(all32, f1), svaddv_f32(all32, f2), svaddv_f32(all32, f3)};
  for (size_t r = 0; r < NR; ++r) C[r] = dot[r] + (bias ? bias[r] : 0.0f);
}

inline HWY_NOINLINE void Gemv8Sve(const unsigned char* codes, const uint16_t* scales, size_t groups, size_t n0, size_t n1, const int8_t* xq,
                                  const float* steps, float* C, const float* bias) {
  const size_t row_bytes = groups * 128;
  const unsigned char* end = codes + n1 * row_bytes;
  GemvRowBlocks(codes, row_bytes, n0, n1, [&](auto nr, size_t nb) {
    const unsigned char* w = codes + nb * row_bytes;
    const uint16_t* s = scales + nb * groups;
    Cols8Sve<decltype(nr)::value>(w, end, row_bytes, s, groups, xq, steps, C + nb, bias ? bias + nb : nullptr);
  });
}
#endif

// One int8 activation row against NR weight rows decoded to u (row r at u + r * Kp, factors at
// f + r * groups), writing C[r] (+ bias[r]): the matrix-vector case, where sharing the
// activation loads and the per-row bookkeeping across rows matters.
template <size_t NR>
HWY_INLINE void DotCols8(const uint8_t* HWY_RESTRICT u, size_t Kp, const float* HWY_RESTRICT f, size_t groups, const int8_t* HWY_RESTRICT xq,
                         const float* HWY_RESTRICT steps, const int32_t* HWY_RESTRICT sums, float* HWY_RESTRICT C, const float* bias, int isa) {
#if HWY_TARGET == HWY_AVX3
  if (UseVnni(isa)) return DotCols8Vnni<NR>(u, Kp, f, groups, xq, steps, sums, C, bias);
#endif
#if CACTUS_NEON_SDOT
  if (UseSdot(isa)) return DotCols8Sdot<NR>(u, Kp, f, groups, xq, steps, sums, C, bias);
#endif
  (void)isa;
  float corr[4] = {0, 0, 0, 0}, dot[4] = {0, 0, 0, 0};
#if CACTUS_QUANT_INT8_DOT
  const Int8DotTag d8;
  const hn::Repartition<int32_t, decltype(d8)> d32;
  const hn::Rebind<float, decltype(d32)> df;
  const size_t L = hn::Lanes(d8);
  auto f0 = hn::Zero(df), f1 = f0, f2 = f0, f3 = f0;
  for (size_t g = 0; g < groups; ++g) {
    auto a0 = hn::Zero(d32), a1 = a0, a2 = a0, a3 = a0;
    const size_t k0 = g * 128;
    for (size_t j = 0; j < 128; j += L) {
      const auto x = hn::LoadU(d8, reinterpret_cast<const uint8_t*>(xq) + k0 + j);
      a0 = DotAccU8I8(a0, hn::LoadU(d8, u + k0 + j), x);
      if constexpr (NR > 1) a1 = DotAccU8I8(a1, hn::LoadU(d8, u + Kp + k0 + j), x);
      if constexpr (NR > 2) a2 = DotAccU8I8(a2, hn::LoadU(d8, u + 2 * Kp + k0 + j), x);
      if constexpr (NR > 3) a3 = DotAccU8I8(a3, hn::LoadU(d8, u + 3 * Kp + k0 + j), x);
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
// kRowBlock * Kp bytes, `factors` of kRowBlock * groups floats. `isa`: the int8 instructions
// planned for the call (an int8_isa code).
inline HWY_NOINLINE void QuantMatmulRows8(int bits, const void* base, size_t groups, size_t scales_offset, const int8_t* levels_u, float level_step,
                                   size_t M, size_t n0, size_t n1, const int8_t* xq, const float* steps, const int32_t* sums, float* C,
                                   size_t ldc, const float* bias, int8_t* wbuf, float* factors, int isa) {
  const size_t Kp = groups * 128, code_bytes = group_code_bytes(bits), row_bytes = groups * code_bytes;
  const auto* codes = static_cast<const unsigned char*>(base);
  const auto* scales = reinterpret_cast<const uint16_t*>(codes + scales_offset);
#if HWY_TARGET == HWY_AVX3
  if (M == 1 && bits == 4 && UseVnni(isa)) return Gemv4Vnni(codes, scales, groups, levels_u, level_step, n0, n1, xq, steps, sums, C, bias);
  if (M == 1 && bits == 8 && UseVnni(isa)) return Gemv8Vnni(codes, scales, groups, n0, n1, xq, steps, sums, C, bias);
#endif
#if HWY_TARGET == HWY_AVX2
  if (M == 1 && bits == 4) return Gemv4Maddubs(codes, scales, groups, levels_u, level_step, n0, n1, xq, steps, sums, C, bias);
#endif
#if CACTUS_NEON_SDOT
  if (M == 1 && bits == 4 && UseSdot(isa)) return Gemv4Sdot(codes, scales, groups, levels_u, level_step, n0, n1, xq, steps, C, bias);
  if (M == 1 && bits == 8 && UseSdot(isa)) return Gemv8Sdot(codes, scales, groups, n0, n1, xq, steps, C, bias);
#endif
#if CACTUS_SVE_SDOT
  if (M == 1 && bits == 4) return Gemv4Sve(codes, scales, groups, levels_u, level_step, n0, n1, xq, steps, C, bias);
  if (M == 1 && bits == 8) return Gemv8Sve(codes, scales, groups, n0, n1, xq, steps, C, bias);
#endif
  if (bits == 8) {  // q8 (the dispatcher sends it here for VNNI / SDOT matrix-vector products only, done above): plain loops
    for (size_t n = n0; n < n1; ++n)
      for (size_t m = 0; m < M; ++m) {
        float acc = 0.0f;
        for (size_t g = 0; g < groups; ++g) {
          int32_t isum = 0;
          for (size_t j = 0; j < 128; ++j) isum += int32_t(reinterpret_cast<const int8_t*>(codes)[n * Kp + g * 128 + j]) * xq[m * Kp + g * 128 + j];
          acc += cactus::f16_to_f32(scales[n * groups + g]) * steps[m * groups + g] * static_cast<float>(isum);
        }
        C[m * ldc + n] = acc + (bias ? bias[n] : 0.0f);
      }
    return;
  }
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
        case 4: DotCols8<4>(u, Kp, factors, groups, xq, steps, sums, C + nb, b, isa); break;
        case 3: DotCols8<3>(u, Kp, factors, groups, xq, steps, sums, C + nb, b, isa); break;
        case 2: DotCols8<2>(u, Kp, factors, groups, xq, steps, sums, C + nb, b, isa); break;
        default: DotCols8<1>(u, Kp, factors, groups, xq, steps, sums, C + nb, b, isa); break;
      }
      continue;
    }
    size_t m = 0;
    for (; m + 4 <= M; m += 4) {
      size_t i = 0;
#if HWY_TARGET == HWY_AVX3
      if (UseVnni(isa) && groups <= kTileGroups)  // 4 x 4 tiles; the weight rows are consecutive in wbuf
        for (; i + 4 <= rows; i += 4)
          Tile4x4Vnni(w[i], Kp, factors + i * groups, groups, xq + m * Kp, steps + m * groups, sums + m * groups, C + m * ldc + nb + i, ldc,
                      bias ? bias + nb + i : nullptr);
#endif
#if CACTUS_NEON_SDOT
      if (UseI8mm(isa))
        for (; i + 4 <= rows; i += 4)
          Tile4x4I8mm(w[i], Kp, factors + i * groups, groups, xq + m * Kp, steps + m * groups, sums + m * groups, C + m * ldc + nb + i, ldc,
                      bias ? bias + nb + i : nullptr);
#endif
      for (; i < rows; ++i)
        DotRows8<4>(w[i], factors + i * groups, groups, xq + m * Kp, Kp, steps + m * groups, sums + m * groups, groups, C + m * ldc + nb + i,
                    ldc, bias ? bias[nb + i] : 0.0f, isa);
    }
    for (size_t i = 0; i < rows && m < M; ++i) {
      const float* f = factors + i * groups;
      float* c = C + m * ldc + nb + i;
      const float b = bias ? bias[nb + i] : 0.0f;
      const int8_t* x = xq + m * Kp;
      const float* st = steps + m * groups;
      const int32_t* su = sums + m * groups;
      switch (M - m) {
        case 3: DotRows8<3>(w[i], f, groups, x, Kp, st, su, groups, c, ldc, b, isa); break;
        case 2: DotRows8<2>(w[i], f, groups, x, Kp, st, su, groups, c, ldc, b, isa); break;
        default: DotRows8<1>(w[i], f, groups, x, Kp, st, su, groups, c, ldc, b, isa); break;
      }
    }
  }
}

}  // namespace cactus::kernels::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#endif  // toggle guard
