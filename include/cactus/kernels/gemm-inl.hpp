// Matrix products, f32 accumulation.
// NT: C[m, n] = sum_k A[m, k] * B[n, k] (+ bias[n]): the product that linear layers need with
// PyTorch's [out, in] weight layout, f32 or f16 B, f32 accumulation. Register tiles of up to
// 4 rows of A by 4 rows of B, each a dot product along K; remainder tiles are instantiations of
// the same template. Named accumulators (no arrays) because SVE vectors are sizeless.
#if defined(CACTUS_KERNELS_GEMM_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef CACTUS_KERNELS_GEMM_INL_H_
#undef CACTUS_KERNELS_GEMM_INL_H_
#else
#define CACTUS_KERNELS_GEMM_INL_H_
#endif

#include <algorithm>
#include <cstdint>
#include <hwy/highway.h>

#include "cactus/core/dtype.hpp"
#include "cactus/core/scratch.hpp"

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

inline HWY_NOINLINE void GemmNTF32(size_t M, size_t n0, size_t n1, size_t K, const float* A, size_t lda,
                            const float* B, size_t ldb, float* C, size_t ldc, const float* bias) {
  GemmNTImpl(M, n0, n1, K, A, lda, B, ldb, C, ldc, bias);
}
inline HWY_NOINLINE void GemmNTF16(size_t M, size_t n0, size_t n1, size_t K, const float* A, size_t lda,
                            const std::uint16_t* B, size_t ldb, float* C, size_t ldc, const float* bias) {
  GemmNTImpl(M, n0, n1, K, A, lda, B, ldb, C, ldc, bias);
}


// ---- NN: C[m, n] = sum_k A[m, k] * B_k[n] (+ bias[m]), where B_k is row k of B: either a
// row-major [K, N] matrix (B + k*ldb) or an indirection table of K row pointers. Convolutions
// use the table form: with a zero-padded input, row (c, i, j) of the implicit im2col matrix is
// just a pointer into the input, so nothing is packed.
// Outer-product register tile: MR <= 6 rows of A (broadcast one element at a time) times one
// or two vectors of B_k, accumulated over all of K; no horizontal reductions.
struct StridedRows {
  const float* base;
  size_t ld;
  HWY_INLINE const float* operator()(size_t k) const { return base + k * ld; }
};
struct TableRows {
  const float* const* rows;
  HWY_INLINE const float* operator()(size_t k) const { return rows[k]; }
};

template <size_t MR, size_t NV, class Rows>
HWY_INLINE void TileNN(size_t K, const float* HWY_RESTRICT A, size_t lda, const Rows& rows, size_t n,
                       float* HWY_RESTRICT C, size_t ldc, const float* HWY_RESTRICT bias) {
  static_assert(NV == 1 || NV == 2, "a tile is one or two vectors wide");
  const hn::ScalableTag<float> d;
  const size_t N = hn::Lanes(d);
  auto c0a = hn::Zero(d), c0b = c0a, c1a = c0a, c1b = c0a, c2a = c0a, c2b = c0a;
  auto c3a = c0a, c3b = c0a, c4a = c0a, c4b = c0a, c5a = c0a, c5b = c0a;
  for (size_t k = 0; k < K; ++k) {
    const float* HWY_RESTRICT b = rows(k) + n;
    const auto b0 = hn::LoadU(d, b);
    const auto b1 = NV > 1 ? hn::LoadU(d, b + N) : b0;
    const float* HWY_RESTRICT a = A + k;
#define CACTUS_NN_ROW(r, ca, cb)                                    \
  if constexpr (MR > r) {                                           \
    const auto v = hn::Set(d, a[r * lda]);                          \
    ca = hn::MulAdd(v, b0, ca);                                     \
    if constexpr (NV > 1) cb = hn::MulAdd(v, b1, cb);               \
  }
    CACTUS_NN_ROW(0, c0a, c0b)
    CACTUS_NN_ROW(1, c1a, c1b)
    CACTUS_NN_ROW(2, c2a, c2b)
    CACTUS_NN_ROW(3, c3a, c3b)
    CACTUS_NN_ROW(4, c4a, c4b)
    CACTUS_NN_ROW(5, c5a, c5b)
#undef CACTUS_NN_ROW
  }
  float* HWY_RESTRICT c = C + n;
  auto store = [&](size_t r, decltype(c0a) x, decltype(c0a) y) {
    const auto bv = hn::Set(d, bias ? bias[r] : 0.0f);
    hn::StoreU(hn::Add(x, bv), d, c + r * ldc);
    if constexpr (NV > 1) hn::StoreU(hn::Add(y, bv), d, c + r * ldc + N);
  };
  store(0, c0a, c0b);
  if constexpr (MR > 1) store(1, c1a, c1b);
  if constexpr (MR > 2) store(2, c2a, c2b);
  if constexpr (MR > 3) store(3, c3a, c3b);
  if constexpr (MR > 4) store(4, c4a, c4b);
  if constexpr (MR > 5) store(5, c5a, c5b);
}

// All rows of A against NV vectors of columns starting at n: 6-row tiles, then the rest.
template <size_t NV, class Rows>
HWY_INLINE void ColumnsNN(size_t M, size_t K, const float* A, size_t lda, const Rows& rows, size_t n, float* C, size_t ldc,
                          const float* bias) {
  size_t m = 0;
  for (; m + 6 <= M; m += 6) TileNN<6, NV>(K, A + m * lda, lda, rows, n, C + m * ldc, ldc, bias ? bias + m : nullptr);
  const float* a = A + m * lda;
  float* c = C + m * ldc;
  const float* bb = bias ? bias + m : nullptr;
  switch (M - m) {
    case 5: TileNN<5, NV>(K, a, lda, rows, n, c, ldc, bb); break;
    case 4: TileNN<4, NV>(K, a, lda, rows, n, c, ldc, bb); break;
    case 3: TileNN<3, NV>(K, a, lda, rows, n, c, ldc, bb); break;
    case 2: TileNN<2, NV>(K, a, lda, rows, n, c, ldc, bb); break;
    case 1: TileNN<1, NV>(K, a, lda, rows, n, c, ldc, bb); break;
    default: break;
  }
}

template <class Rows>
HWY_INLINE void GemmNNImpl(size_t M, size_t n0, size_t n1, size_t K, const float* A, size_t lda, const Rows& rows,
                           float* C, size_t ldc, const float* bias) {
  const hn::ScalableTag<float> d;
  const size_t N = hn::Lanes(d);
  size_t n = n0;
  for (; n + 2 * N <= n1; n += 2 * N) ColumnsNN<2>(M, K, A, lda, rows, n, C, ldc, bias);
  for (; n + N <= n1; n += N) ColumnsNN<1>(M, K, A, lda, rows, n, C, ldc, bias);
  if (n == n1) return;
  // Fewer columns than a vector: through a zero-padded copy of those columns of B (one vector
  // per k) and an M-row tile of C, so they run the vector tile too (a scalar loop over them
  // took 30% of a 1x1 convolution on 14x14 pixels, 4 columns past 12 vectors).
  const size_t rem = n1 - n;
  float* pb = scratch<float, 17>(K * N);
  float* pc = scratch<float, 18>(M * N);
  std::fill(pb, pb + K * N, 0.0f);
  for (size_t k = 0; k < K; ++k) std::copy(rows(k) + n, rows(k) + n + rem, pb + k * N);
  ColumnsNN<1>(M, K, A, lda, StridedRows{pb, N}, 0, pc, N, bias);
  for (size_t m = 0; m < M; ++m) std::copy(pc + m * N, pc + m * N + rem, C + m * ldc + n);
}

inline HWY_NOINLINE void GemmNNF32(size_t M, size_t n0, size_t n1, size_t K, const float* A, size_t lda,
                            const float* B, size_t ldb, float* C, size_t ldc, const float* bias) {
  GemmNNImpl(M, n0, n1, K, A, lda, StridedRows{B, ldb}, C, ldc, bias);
}
inline HWY_NOINLINE void GemmNNIndirectF32(size_t M, size_t n0, size_t n1, size_t K, const float* A, size_t lda,
                                    const float* const* rows, float* C, size_t ldc, const float* bias) {
  GemmNNImpl(M, n0, n1, K, A, lda, TableRows{rows}, C, ldc, bias);
}

}  // namespace cactus::kernels::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#endif  // toggle guard
