// Packed-weight matrix products, part 3 of 4: the int16 path, every target.
//   C[m, n] = sum_k x[m, k] W[n, k] (+ bias[n])
// in integers: each decoded int8 weight row is multiplied with the int16 activations by
// widening multiply-add into int32 (pmaddwd on x86, smlal on NEON, SVE's widening MLA). Per
// group the int32 sum is scaled by (weight factor x activation step) into an f32 accumulator.
// int16 activations keep the activation rounding error near 2^-16 of the group's absmax, and
// 128 products of |int8| <= 127 by |int16| <= 32767 cannot overflow int32.
#if defined(CACTUS_KERNELS_QUANT_DOT16_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef CACTUS_KERNELS_QUANT_DOT16_INL_H_
#undef CACTUS_KERNELS_QUANT_DOT16_INL_H_
#else
#define CACTUS_KERNELS_QUANT_DOT16_INL_H_
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

}  // namespace cactus::kernels::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#endif  // toggle guard
