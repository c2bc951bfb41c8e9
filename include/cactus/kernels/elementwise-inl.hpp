// Elementwise f32 kernels: unary activations and binary arithmetic over contiguous spans, and
// the rounding of f32 to f16 (a KV cache's appends, casts).
// Re-included once per Highway target by dispatch.hpp (toggle guard below).
#if defined(CACTUS_KERNELS_ELEMENTWISE_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef CACTUS_KERNELS_ELEMENTWISE_INL_H_
#undef CACTUS_KERNELS_ELEMENTWISE_INL_H_
#else
#define CACTUS_KERNELS_ELEMENTWISE_INL_H_
#endif

#include <hwy/contrib/math/math-inl.h>
#include <hwy/highway.h>

#include "cactus/core/dtype.hpp"

HWY_BEFORE_NAMESPACE();
namespace cactus::kernels::HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// erf by Abramowitz-Stegun 7.1.26 refined (max abs error 1.5e-7), vectorized.
template <class D, class V>
HWY_INLINE V Erf(D d, V x) {
  const V one = hn::Set(d, 1.0f);
  const V ax = hn::Abs(x);
  const V t = hn::Div(one, hn::MulAdd(hn::Set(d, 0.3275911f), ax, one));
  V poly = hn::Set(d, 1.061405429f);
  poly = hn::MulAdd(poly, t, hn::Set(d, -1.453152027f));
  poly = hn::MulAdd(poly, t, hn::Set(d, 1.421413741f));
  poly = hn::MulAdd(poly, t, hn::Set(d, -0.284496736f));
  poly = hn::MulAdd(poly, t, hn::Set(d, 0.254829592f));
  poly = hn::Mul(poly, t);
  const V e = hn::Exp(d, hn::Neg(hn::Mul(ax, ax)));
  const V y = hn::NegMulAdd(poly, e, one);
  return hn::CopySign(y, x);
}

template <class D, class V>
HWY_INLINE V Sigmoid(D d, V x) {
  const V one = hn::Set(d, 1.0f);
  return hn::Div(one, hn::Add(one, hn::Exp(d, hn::Neg(x))));
}

template <class D, class V>
HWY_INLINE V ApplyUnary(D d, unary_kind k, V x, float p0, float p1) {
  switch (k) {
    case unary_kind::relu: return hn::Max(x, hn::Zero(d));
    case unary_kind::gelu_erf:
      return hn::Mul(hn::Mul(hn::Set(d, 0.5f), x),
                     hn::Add(hn::Set(d, 1.0f), Erf(d, hn::Mul(x, hn::Set(d, 0.70710678118654752f)))));
    case unary_kind::gelu_tanh: {
      const V inner = hn::Mul(hn::Set(d, 0.7978845608028654f),
                              hn::MulAdd(hn::Mul(hn::Set(d, 0.044715f), hn::Mul(x, x)), x, x));
      return hn::Mul(hn::Mul(hn::Set(d, 0.5f), x), hn::Add(hn::Set(d, 1.0f), hn::Tanh(d, inner)));
    }
    case unary_kind::silu: return hn::Mul(x, Sigmoid(d, x));
    case unary_kind::sigmoid: return Sigmoid(d, x);
    case unary_kind::tanh: return hn::Tanh(d, x);
    case unary_kind::exp: return hn::Exp(d, x);
    case unary_kind::log: return hn::Log(d, x);
    case unary_kind::sqrt: return hn::Sqrt(x);
    case unary_kind::rsqrt: return hn::Div(hn::Set(d, 1.0f), hn::Sqrt(x));
    case unary_kind::neg: return hn::Neg(x);
    case unary_kind::abs: return hn::Abs(x);
    case unary_kind::sin: return hn::Sin(d, x);
    case unary_kind::cos: return hn::Cos(d, x);
    case unary_kind::reciprocal: return hn::Div(hn::Set(d, 1.0f), x);
    case unary_kind::erf: return Erf(d, x);
    case unary_kind::clamp: return hn::Min(hn::Max(x, hn::Set(d, p0)), hn::Set(d, p1));
    case unary_kind::leaky_relu:
      return hn::IfThenElse(hn::Lt(x, hn::Zero(d)), hn::Mul(x, hn::Set(d, p0)), x);
    case unary_kind::square: return hn::Mul(x, x);
    case unary_kind::floor: return hn::Floor(x);
    case unary_kind::ceil: return hn::Ceil(x);
    case unary_kind::round: return hn::Round(x);
    case unary_kind::trunc: return hn::Trunc(x);
    case unary_kind::sign: {  // 0 for 0 and NaN, as PyTorch
      const V one = hn::Set(d, 1.0f);
      return hn::Sub(hn::IfThenElseZero(hn::Gt(x, hn::Zero(d)), one), hn::IfThenElseZero(hn::Lt(x, hn::Zero(d)), one));
    }
    case unary_kind::hardswish:
    case unary_kind::hardsigmoid: {  // x * relu6(x + 3) / 6 and relu6(x + 3) / 6
      const V r6 = hn::Min(hn::Max(hn::Add(x, hn::Set(d, 3.0f)), hn::Zero(d)), hn::Set(d, 6.0f));
      return hn::Div(k == unary_kind::hardswish ? hn::Mul(x, r6) : r6, hn::Set(d, 6.0f));
    }
    case unary_kind::expm1: return hn::Expm1(d, x);
    case unary_kind::log1p: return hn::Log1p(d, x);
    case unary_kind::log2: return hn::Log2(d, x);
    case unary_kind::log10: return hn::Log10(d, x);
    case unary_kind::tan: return hn::Div(hn::Sin(d, x), hn::Cos(d, x));
    case unary_kind::asin: return hn::Asin(d, x);
    case unary_kind::acos: return hn::Acos(d, x);
    case unary_kind::atan: return hn::Atan(d, x);
    case unary_kind::sinh: return hn::Sinh(d, x);
    case unary_kind::cosh: {  // (e^|x| + e^-|x|) / 2
      const V e = hn::Exp(d, hn::Abs(x));
      return hn::Mul(hn::Set(d, 0.5f), hn::Add(e, hn::Div(hn::Set(d, 1.0f), e)));
    }
    case unary_kind::asinh: return hn::Asinh(d, x);
    case unary_kind::acosh: return hn::Acosh(d, x);
    case unary_kind::atanh: return hn::Atanh(d, x);
  }
  return x;
}

inline HWY_NOINLINE void UnaryF32(unary_kind k, const float* HWY_RESTRICT x, float* HWY_RESTRICT y,
                           size_t n, float p0, float p1) {
  const hn::ScalableTag<float> d;
  const size_t N = hn::Lanes(d);
  size_t i = 0;
  for (; i + N <= n; i += N) hn::StoreU(ApplyUnary(d, k, hn::LoadU(d, x + i), p0, p1), d, y + i);
  if (i < n) {
    // The tail goes through a zeroed buffer: MaskedLoad may read all lanes on SSE4 and NEON
    // (HWY_MEM_OPS_MIGHT_FAULT), i.e. past the end of x, which can be the end of a mapping.
    HWY_ALIGN float tmp[hn::MaxLanes(d)] = {};
    for (size_t j = 0; i + j < n; ++j) tmp[j] = x[i + j];
    const auto v = ApplyUnary(d, k, hn::Load(d, tmp), p0, p1);
    hn::Store(v, d, tmp);
    for (size_t j = 0; i + j < n; ++j) y[i + j] = tmp[j];
  }
}

template <class D, class V>
HWY_INLINE V ApplyBinary(D d, binary_kind k, V a, V b) {
  switch (k) {
    case binary_kind::add: return hn::Add(a, b);
    case binary_kind::sub: return hn::Sub(a, b);
    case binary_kind::mul: return hn::Mul(a, b);
    case binary_kind::div: return hn::Div(a, b);
    case binary_kind::max: return hn::Max(a, b);
    case binary_kind::min: return hn::Min(a, b);
    case binary_kind::pow: return hn::Exp(d, hn::Mul(b, hn::Log(d, a)));  // callers route pow to scalar code unless a > 0
  }
  return a;
}

// y[i] = a[i*sa] (op) b[i*sb] for sa, sb in {0, 1}: covers same-shape and scalar-broadcast rows.
inline HWY_NOINLINE void BinaryF32(binary_kind k, const float* HWY_RESTRICT a, size_t sa,
                            const float* HWY_RESTRICT b, size_t sb, float* HWY_RESTRICT y, size_t n) {
  const hn::ScalableTag<float> d;
  const size_t N = hn::Lanes(d);
  size_t i = 0;
  if (sa && sb) {
    for (; i + N <= n; i += N) hn::StoreU(ApplyBinary(d, k, hn::LoadU(d, a + i), hn::LoadU(d, b + i)), d, y + i);
  } else if (sa) {
    const auto vb = hn::Set(d, b[0]);
    for (; i + N <= n; i += N) hn::StoreU(ApplyBinary(d, k, hn::LoadU(d, a + i), vb), d, y + i);
  } else if (sb) {
    const auto va = hn::Set(d, a[0]);
    for (; i + N <= n; i += N) hn::StoreU(ApplyBinary(d, k, va, hn::LoadU(d, b + i)), d, y + i);
  }
  for (; i < n; ++i) {
    const float va = a[i * sa], vb = b[i * sb];
    const hn::CappedTag<float, 1> d1;
    y[i] = hn::GetLane(ApplyBinary(d1, k, hn::Set(d1, va), hn::Set(d1, vb)));
  }
}

// y[i] = x[i] rounded to f16 (to nearest, ties to even; as bits), as cactus::f32_to_f16 does:
// the same bits for every number and infinity, NaN stays NaN. The conversion instructions
// (F16C on AVX2 and AVX-512, FCVTN on NEON and SVE) round so; Highway's emulation on the
// other targets truncates, so those run the scalar function.
inline HWY_NOINLINE void F32ToF16(const float* HWY_RESTRICT x, uint16_t* HWY_RESTRICT y, size_t n) {
  size_t i = 0;
#if HWY_ARCH_ARM_A64 || HWY_TARGET == HWY_AVX2 || HWY_TARGET == HWY_AVX3 || HWY_TARGET == HWY_AVX3_DL
  const hn::ScalableTag<float> d;
  const hn::Rebind<hwy::float16_t, decltype(d)> dh;
  const size_t N = hn::Lanes(d);
  for (; i + N <= n; i += N) hn::StoreU(hn::DemoteTo(dh, hn::LoadU(d, x + i)), dh, reinterpret_cast<hwy::float16_t*>(y + i));
#endif
  for (; i < n; ++i) y[i] = f32_to_f16(x[i]);
}

}  // namespace cactus::kernels::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#endif  // toggle guard
