// C[m, n] = sum_k A[m, k] * B[n, k] (+ bias[n]): the "NT" product that linear layers need with
// PyTorch's [out, in] weight layout, f32 or f16 B, f32 accumulation. Register tiles of up to
// 4 rows of A by 4 rows of B, each a dot product along K; remainder tiles are instantiations of
// the same template. Named accumulators (no arrays) because SVE vectors are sizeless.
#if defined(CACTUS_KERNELS_GEMM_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef CACTUS_KERNELS_GEMM_INL_H_
#undef CACTUS_KERNELS_GEMM_INL_H_
#else
#define CACTUS_KERNELS_GEMM_INL_H_
#endif

#include <cstdint>
#include <hwy/highway.h>

#include "cactus/core/dtype.hpp"

HWY_BEFORE_NAMESPACE();
namespace cactus::kernels::HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

template <class D>
HWY_INLINE hn::Vec<D> LoadRow(D d, const float* p) { return hn::LoadU(d, p); }
template <class D>
HWY_INLINE hn::Vec<D> LoadRow(D d, const std::uint16_t* p) {
  const hn::Rebind<hwy::float16_t, D> dh;
  return hn::PromoteTo(d, hn::LoadU(dh, reinterpret_cast<const hwy::float16_t*>(p)));
}
HWY_INLINE float ScalarOf(float v) { return v; }
HWY_INLINE float ScalarOf(std::uint16_t v) { return f16_to_f32(v); }

template <size_t MR, size_t NR, class TB>
HWY_INLINE void TileNT(size_t K, const float* HWY_RESTRICT A, size_t lda, const TB* HWY_RESTRICT B,
                       size_t ldb, float* HWY_RESTRICT C, size_t ldc, const float* HWY_RESTRICT bias) {
  const hn::ScalableTag<float> d;
  const size_t N = hn::Lanes(d);
  auto c00 = hn::Zero(d), c01 = c00, c02 = c00, c03 = c00;
  auto c10 = c00, c11 = c00, c12 = c00, c13 = c00;
  auto c20 = c00, c21 = c00, c22 = c00, c23 = c00;
  auto c30 = c00, c31 = c00, c32 = c00, c33 = c00;
  size_t k = 0;
  for (; k + N <= K; k += N) {
    const auto b0 = LoadRow(d, B + k);
    const auto b1 = NR > 1 ? LoadRow(d, B + ldb + k) : b0;
    const auto b2 = NR > 2 ? LoadRow(d, B + 2 * ldb + k) : b0;
    const auto b3 = NR > 3 ? LoadRow(d, B + 3 * ldb + k) : b0;
    {
      const auto a = hn::LoadU(d, A + k);
      c00 = hn::MulAdd(a, b0, c00);
      if constexpr (NR > 1) c01 = hn::MulAdd(a, b1, c01);
      if constexpr (NR > 2) c02 = hn::MulAdd(a, b2, c02);
      if constexpr (NR > 3) c03 = hn::MulAdd(a, b3, c03);
    }
    if constexpr (MR > 1) {
      const auto a = hn::LoadU(d, A + lda + k);
      c10 = hn::MulAdd(a, b0, c10);
      if constexpr (NR > 1) c11 = hn::MulAdd(a, b1, c11);
      if constexpr (NR > 2) c12 = hn::MulAdd(a, b2, c12);
      if constexpr (NR > 3) c13 = hn::MulAdd(a, b3, c13);
    }
    if constexpr (MR > 2) {
      const auto a = hn::LoadU(d, A + 2 * lda + k);
      c20 = hn::MulAdd(a, b0, c20);
      if constexpr (NR > 1) c21 = hn::MulAdd(a, b1, c21);
      if constexpr (NR > 2) c22 = hn::MulAdd(a, b2, c22);
      if constexpr (NR > 3) c23 = hn::MulAdd(a, b3, c23);
    }
    if constexpr (MR > 3) {
      const auto a = hn::LoadU(d, A + 3 * lda + k);
      c30 = hn::MulAdd(a, b0, c30);
      if constexpr (NR > 1) c31 = hn::MulAdd(a, b1, c31);
      if constexpr (NR > 2) c32 = hn::MulAdd(a, b2, c32);
      if constexpr (NR > 3) c33 = hn::MulAdd(a, b3, c33);
    }
  }
  float out[4][4] = {
      {hn::GetLane(hn::SumOfLanes(d, c00)), hn::GetLane(hn::SumOfLanes(d, c01)), hn::GetLane(hn::SumOfLanes(d, c02)), hn::GetLane(hn::SumOfLanes(d, c03))},
      {hn::GetLane(hn::SumOfLanes(d, c10)), hn::GetLane(hn::SumOfLanes(d, c11)), hn::GetLane(hn::SumOfLanes(d, c12)), hn::GetLane(hn::SumOfLanes(d, c13))},
      {hn::GetLane(hn::SumOfLanes(d, c20)), hn::GetLane(hn::SumOfLanes(d, c21)), hn::GetLane(hn::SumOfLanes(d, c22)), hn::GetLane(hn::SumOfLanes(d, c23))},
      {hn::GetLane(hn::SumOfLanes(d, c30)), hn::GetLane(hn::SumOfLanes(d, c31)), hn::GetLane(hn::SumOfLanes(d, c32)), hn::GetLane(hn::SumOfLanes(d, c33))}};
  for (; k < K; ++k)
    for (size_t i = 0; i < MR; ++i)
      for (size_t j = 0; j < NR; ++j) out[i][j] += A[i * lda + k] * ScalarOf(B[j * ldb + k]);
  for (size_t i = 0; i < MR; ++i)
    for (size_t j = 0; j < NR; ++j) C[i * ldc + j] = out[i][j] + (bias ? bias[j] : 0.0f);
}

template <size_t MR, class TB>
HWY_INLINE void RowBlockNT(size_t n0, size_t n1, size_t K, const float* A, size_t lda, const TB* B,
                           size_t ldb, float* C, size_t ldc, const float* bias) {
  size_t n = n0;
  for (; n + 4 <= n1; n += 4) TileNT<MR, 4>(K, A, lda, B + n * ldb, ldb, C + n, ldc, bias ? bias + n : nullptr);
  switch (n1 - n) {
    case 3: TileNT<MR, 3>(K, A, lda, B + n * ldb, ldb, C + n, ldc, bias ? bias + n : nullptr); break;
    case 2: TileNT<MR, 2>(K, A, lda, B + n * ldb, ldb, C + n, ldc, bias ? bias + n : nullptr); break;
    case 1: TileNT<MR, 1>(K, A, lda, B + n * ldb, ldb, C + n, ldc, bias ? bias + n : nullptr); break;
    default: break;
  }
}

template <class TB>
HWY_INLINE void GemmNTImpl(size_t M, size_t n0, size_t n1, size_t K, const float* A, size_t lda,
                           const TB* B, size_t ldb, float* C, size_t ldc, const float* bias) {
  // Walk B in column panels that stay in L2 while every row block of A streams past them.
  const size_t panel = K * sizeof(TB) * 64 <= (256u << 10) ? 64 : 16;
  for (size_t p0 = n0; p0 < n1; p0 += panel) {
    const size_t p1 = p0 + panel < n1 ? p0 + panel : n1;
    size_t m = 0;
    for (; m + 4 <= M; m += 4) RowBlockNT<4>(p0, p1, K, A + m * lda, lda, B, ldb, C + m * ldc, ldc, bias);
    switch (M - m) {
      case 3: RowBlockNT<3>(p0, p1, K, A + m * lda, lda, B, ldb, C + m * ldc, ldc, bias); break;
      case 2: RowBlockNT<2>(p0, p1, K, A + m * lda, lda, B, ldb, C + m * ldc, ldc, bias); break;
      case 1: RowBlockNT<1>(p0, p1, K, A + m * lda, lda, B, ldb, C + m * ldc, ldc, bias); break;
      default: break;
    }
  }
}

HWY_NOINLINE void GemmNTF32(size_t M, size_t n0, size_t n1, size_t K, const float* A, size_t lda,
                            const float* B, size_t ldb, float* C, size_t ldc, const float* bias) {
  GemmNTImpl(M, n0, n1, K, A, lda, B, ldb, C, ldc, bias);
}
HWY_NOINLINE void GemmNTF16(size_t M, size_t n0, size_t n1, size_t K, const float* A, size_t lda,
                            const std::uint16_t* B, size_t ldb, float* C, size_t ldc, const float* bias) {
  GemmNTImpl(M, n0, n1, K, A, lda, B, ldb, C, ldc, bias);
}

}  // namespace cactus::kernels::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#endif  // toggle guard
