// Packed-weight matrix products, part 1 of 4: activation quantization. Each activation row is cut
// into groups of 128 (rotated like the weights for CQ) and quantized, to int16 with one f32 step
// per group for the int16 dot products (quant_dot16-inl.hpp), or to int8 with the group's sum
// for the int8 ones (quant_dot8-inl.hpp).
#if defined(CACTUS_KERNELS_QUANT_ACTIVATIONS_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef CACTUS_KERNELS_QUANT_ACTIVATIONS_INL_H_
#undef CACTUS_KERNELS_QUANT_ACTIVATIONS_INL_H_
#else
#define CACTUS_KERNELS_QUANT_ACTIVATIONS_INL_H_
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
    // butterflies wider than a vector pair whole vectors; a narrower one is, in every lane, its
    // partner h lanes away (a table lookup) plus or minus itself: lane j < j + h gets
    // g[j] * 1 + g[j + h], lane j + h gets g[j + h] * -1 + g[j], each rounded once as a + b and
    // a - b are
    size_t h = 1;
#if HWY_TARGET != HWY_SCALAR
    const hn::RebindToSigned<decltype(df)> di;
    for (; h < 128 && h < L; h *= 2) {
      const auto lane = hn::Iota(di, 0), bit = hn::Set(di, static_cast<int32_t>(h));
      const auto partner = hn::IndicesFromVec(df, hn::Xor(lane, bit));
      const auto sign = hn::IfThenElse(hn::RebindMask(df, hn::Eq(hn::And(lane, bit), hn::Zero(di))), hn::Set(df, 1.0f), hn::Set(df, -1.0f));
      for (size_t i = 0; i < 128; i += L) {
        const auto v = hn::Load(df, g + i);
        hn::Store(hn::MulAdd(v, sign, hn::TableLookupLanes(v, partner)), df, g + i);
      }
    }
#endif
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
  const hn::Rebind<int8_t, decltype(df)> d8;
  const size_t L = hn::Lanes(df);
  HWY_ALIGN float g[128];
  for (size_t r = 0; r < rows; ++r)
    for (size_t k0 = 0; k0 < Kp; k0 += 128) {
      const float amax = PrepareActivationGroup(x + r * K, K, k0, signs, g);
      const float st = amax / 127.0f;
      const size_t gi = r * (Kp / 128) + k0 / 128;
      steps[gi] = st;
      const auto inv = hn::Set(df, st > 0 ? 1.0f / st : 0.0f);
      const auto lo = hn::Set(di, -127), hi = hn::Set(di, 127);
      auto vsum = hn::Zero(di);
      int8_t* out = xq + r * Kp + k0;
      for (size_t i = 0; i < 128; i += L) {
        const auto v = hn::Min(hn::Max(hn::NearestInt(hn::Mul(hn::Load(df, g + i), inv)), lo), hi);
        vsum = hn::Add(vsum, v);
        hn::StoreU(hn::DemoteTo(d8, v), d8, out + i);
      }
      sums[gi] = hn::GetLane(hn::SumOfLanes(di, vsum));
    }
}

inline HWY_NOINLINE size_t QuantActivationBlock() { return ActivationBlock(); }

inline HWY_NOINLINE void QuantizeActivationRows(const float* x, size_t rows, size_t K, size_t Kp, const float* signs, int16_t* xq, float* steps) {
  for (size_t r = 0; r < rows; ++r) QuantizeActivationRow(x + r * K, K, Kp, signs, xq + r * Kp, steps + r * (Kp / 128));
}

}  // namespace cactus::kernels::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#endif  // toggle guard
