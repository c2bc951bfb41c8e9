// Row-wise f32 kernels over the last dimension: softmax, log_softmax, layer_norm.
#if defined(CACTUS_KERNELS_ROWS_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef CACTUS_KERNELS_ROWS_INL_H_
#undef CACTUS_KERNELS_ROWS_INL_H_
#else
#define CACTUS_KERNELS_ROWS_INL_H_
#endif

#include <cmath>
#include <hwy/contrib/math/math-inl.h>
#include <hwy/highway.h>

HWY_BEFORE_NAMESPACE();
namespace cactus::kernels::HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

template <class D>
HWY_INLINE float RowMax(D d, const float* HWY_RESTRICT x, size_t n) {
  const size_t N = hn::Lanes(d);
  auto m = hn::Set(d, -INFINITY);
  size_t i = 0;
  for (; i + N <= n; i += N) m = hn::Max(m, hn::LoadU(d, x + i));
  float r = hn::GetLane(hn::MaxOfLanes(d, m));
  for (; i < n; ++i) r = std::max(r, x[i]);
  return r;
}

template <class D>
HWY_INLINE float RowSum(D d, const float* HWY_RESTRICT x, size_t n) {
  const size_t N = hn::Lanes(d);
  auto s = hn::Zero(d);
  size_t i = 0;
  for (; i + N <= n; i += N) s = hn::Add(s, hn::LoadU(d, x + i));
  float r = hn::GetLane(hn::SumOfLanes(d, s));
  for (; i < n; ++i) r += x[i];
  return r;
}

// log=false: softmax; log=true: log_softmax.
inline HWY_NOINLINE void SoftmaxRows(const float* HWY_RESTRICT x, float* HWY_RESTRICT y, size_t rows,
                              size_t cols, bool log) {
  const hn::ScalableTag<float> d;
  const size_t N = hn::Lanes(d);
  for (size_t r = 0; r < rows; ++r) {
    const float* xr = x + r * cols;
    float* yr = y + r * cols;
    const float mx = RowMax(d, xr, cols);
    const auto vmx = hn::Set(d, mx);
    auto acc = hn::Zero(d);
    size_t i = 0;
    for (; i + N <= cols; i += N) {
      const auto e = hn::Exp(d, hn::Sub(hn::LoadU(d, xr + i), vmx));
      if (!log) hn::StoreU(e, d, yr + i);
      acc = hn::Add(acc, e);
    }
    float sum = hn::GetLane(hn::SumOfLanes(d, acc));
    for (; i < cols; ++i) {
      const float e = std::exp(xr[i] - mx);
      if (!log) yr[i] = e;
      sum += e;
    }
    if (log) {
      const float lse = mx + std::log(sum);
      const auto vl = hn::Set(d, lse);
      i = 0;
      for (; i + N <= cols; i += N) hn::StoreU(hn::Sub(hn::LoadU(d, xr + i), vl), d, yr + i);
      for (; i < cols; ++i) yr[i] = xr[i] - lse;
    } else {
      const auto inv = hn::Set(d, 1.0f / sum);
      i = 0;
      for (; i + N <= cols; i += N) hn::StoreU(hn::Mul(hn::LoadU(d, yr + i), inv), d, yr + i);
      for (; i < cols; ++i) yr[i] *= 1.0f / sum;
    }
  }
}

// y = (x - mean) / sqrt(var + eps) * w + b per row; w, b may be null.
// y = x * rsqrt(mean(x^2) + eps) * (w + offset) per row: one pass for the sum of squares, one to
// scale (the unfused sequence makes five passes and three temporaries).
inline HWY_NOINLINE void RmsNormRows(const float* HWY_RESTRICT x, float* HWY_RESTRICT y, size_t rows, size_t cols, const float* HWY_RESTRICT w,
                              float eps, float offset) {
  const hn::ScalableTag<float> d;
  const size_t N = hn::Lanes(d);
  const auto off = hn::Set(d, offset);
  for (size_t r = 0; r < rows; ++r) {
    const float* xr = x + r * cols;
    float* yr = y + r * cols;
    auto acc0 = hn::Zero(d), acc1 = acc0;
    size_t i = 0;
    for (; i + 2 * N <= cols; i += 2 * N) {
      const auto a = hn::LoadU(d, xr + i), b = hn::LoadU(d, xr + i + N);
      acc0 = hn::MulAdd(a, a, acc0);
      acc1 = hn::MulAdd(b, b, acc1);
    }
    for (; i + N <= cols; i += N) {
      const auto a = hn::LoadU(d, xr + i);
      acc0 = hn::MulAdd(a, a, acc0);
    }
    float ss = hn::GetLane(hn::SumOfLanes(d, hn::Add(acc0, acc1)));
    for (; i < cols; ++i) ss += xr[i] * xr[i];
    const float inv = 1.0f / std::sqrt(ss / static_cast<float>(cols) + eps);
    const auto vinv = hn::Set(d, inv);
    i = 0;
    for (; i + N <= cols; i += N)
      hn::StoreU(hn::Mul(hn::Mul(hn::LoadU(d, xr + i), vinv), hn::Add(hn::LoadU(d, w + i), off)), d, yr + i);
    for (; i < cols; ++i) yr[i] = xr[i] * inv * (w[i] + offset);
  }
}

inline HWY_NOINLINE void LayerNormRows(const float* HWY_RESTRICT x, float* HWY_RESTRICT y, size_t rows,
                                size_t cols, const float* HWY_RESTRICT w, const float* HWY_RESTRICT b,
                                float eps) {
  const hn::ScalableTag<float> d;
  const size_t N = hn::Lanes(d);
  for (size_t r = 0; r < rows; ++r) {
    const float* xr = x + r * cols;
    float* yr = y + r * cols;
    const float mean = RowSum(d, xr, cols) / static_cast<float>(cols);
    const auto vm = hn::Set(d, mean);
    auto acc = hn::Zero(d);
    size_t i = 0;
    for (; i + N <= cols; i += N) {
      const auto c = hn::Sub(hn::LoadU(d, xr + i), vm);
      acc = hn::MulAdd(c, c, acc);
    }
    float var = hn::GetLane(hn::SumOfLanes(d, acc));
    for (; i < cols; ++i) var += (xr[i] - mean) * (xr[i] - mean);
    var /= static_cast<float>(cols);
    const float inv = 1.0f / std::sqrt(var + eps);
    const auto vinv = hn::Set(d, inv);
    i = 0;
    for (; i + N <= cols; i += N) {
      auto v = hn::Mul(hn::Sub(hn::LoadU(d, xr + i), vm), vinv);
      if (w) v = hn::Mul(v, hn::LoadU(d, w + i));
      if (b) v = hn::Add(v, hn::LoadU(d, b + i));
      hn::StoreU(v, d, yr + i);
    }
    for (; i < cols; ++i) {
      float v = (xr[i] - mean) * inv;
      if (w) v *= w[i];
      if (b) v += b[i];
      yr[i] = v;
    }
  }
}

}  // namespace cactus::kernels::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#endif  // toggle guard
