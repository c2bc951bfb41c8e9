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
#include "cactus/kernels/kinds.hpp"

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


// ---- NN: C[m, n] = sum_k A[m, k] * B_k[n] (+ bias[m]), where B_k is row k of a row-major
// [K, N] matrix (B + k*ldb), A unpacked (attention's score and value products; convolutions
// use the packed form below).
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

// ---- NN on a packed A: C[m, n] (+)= sum_k A[m, k] B[k, n], where A (a convolution's weight,
// [M, K]) was packed once into panels of kGemmPanel rows, each k-major: panel p holds rows
// [12p, 12p + 12), element (m, k) at Ap[p*K*12 + k*12 + m % 12] (rows past M are zero;
// 12 = kinds.hpp's gemm_panel). The layout is the same on every target. The register tile is 12 rows (6 on targets with 16
// vector registers: two tiles per panel) by two vectors of B, each k one broadcast per row from
// one contiguous line of the panel and two loads of B's row k; rows past a panel's end run a
// 4- or 8-row tile, columns past the last two-vector step a one-vector or a narrower
// (8- or 4-lane) tile, so a 14x14 output wastes 4 columns of 196, not 12.
inline constexpr size_t kGemmPanel = gemm_panel;
#if HWY_ARCH_ARM_A64 || (HWY_ARCH_X86 && HWY_TARGET <= HWY_AVX3)
inline constexpr size_t kGemmRows = 12;  // 32 vector registers: 24 accumulators
#else
inline constexpr size_t kGemmRows = 6;  // 16: 12 accumulators
#endif

// Packs rows [0, M) of A (row-major, lda) into kGemmPanel-row panels at out
// (ceil(M / 12) * K * 12 floats).
inline HWY_NOINLINE void GemmPackA(size_t M, size_t K, const float* HWY_RESTRICT A, size_t lda, float* HWY_RESTRICT out) {
  constexpr size_t R = kGemmPanel;
  for (size_t m = 0; m < M; m += R) {
    const size_t rows = std::min(R, M - m);
    float* HWY_RESTRICT o = out + m * K;
    const float* src[R];
    for (size_t i = 0; i < R; ++i) src[i] = A + (m + std::min(i, rows - 1)) * lda;
    for (size_t k = 0; k < K; ++k)
      for (size_t i = 0; i < R; ++i) o[k * R + i] = src[i][k];
    if (rows < R)
      for (size_t k = 0; k < K; ++k) std::fill(o + k * R + rows, o + (k + 1) * R, 0.0f);
  }
}

// One register tile: MR rows of the panel at a (k-major, kGemmPanel floats per k) by NV
// vectors of d over kc values of k (B's row k from brows(k), columns from n). rows x cols of it are stored at C: with
// `first`, C = bias[row] + sum, else C += sum. A partial tile goes through a buffer, so nothing
// outside rows x cols is read or written.
template <size_t MR, size_t NV, class D, class Rows>
HWY_NOINLINE void TilePackedNN(D d, size_t kc, const float* HWY_RESTRICT a, const Rows& brows, size_t n, float* HWY_RESTRICT C, size_t ldc,
                               size_t rows, size_t cols, bool first, const float* HWY_RESTRICT bias) {
  using V = hn::Vec<D>;
  const size_t N = hn::Lanes(d);
  V c0a = hn::Zero(d), c0b = c0a, c1a = c0a, c1b = c0a, c2a = c0a, c2b = c0a, c3a = c0a, c3b = c0a;
  V c4a = c0a, c4b = c0a, c5a = c0a, c5b = c0a, c6a = c0a, c6b = c0a, c7a = c0a, c7b = c0a;
  V c8a = c0a, c8b = c0a, c9a = c0a, c9b = c0a, c10a = c0a, c10b = c0a, c11a = c0a, c11b = c0a;
  for (size_t k = 0; k < kc; ++k) {
    const float* HWY_RESTRICT b = brows(k) + n;
    const V b0 = hn::LoadU(d, b);
    const V b1 = NV > 1 ? hn::LoadU(d, b + N) : b0;
#define CACTUS_PNN_ROW(r)                                          \
  if constexpr (MR > r) {                                          \
    const V v = hn::Set(d, a[r]);                                  \
    c##r##a = hn::MulAdd(v, b0, c##r##a);                          \
    if constexpr (NV > 1) c##r##b = hn::MulAdd(v, b1, c##r##b);    \
  }
    CACTUS_PNN_ROW(0) CACTUS_PNN_ROW(1) CACTUS_PNN_ROW(2) CACTUS_PNN_ROW(3) CACTUS_PNN_ROW(4) CACTUS_PNN_ROW(5)
    CACTUS_PNN_ROW(6) CACTUS_PNN_ROW(7) CACTUS_PNN_ROW(8) CACTUS_PNN_ROW(9) CACTUS_PNN_ROW(10) CACTUS_PNN_ROW(11)
#undef CACTUS_PNN_ROW
    a += kGemmPanel;
  }
  const bool whole = rows == MR && cols == NV * N;
  float* HWY_RESTRICT buf = whole ? nullptr : scratch<float, 21>(MR * NV * N);
  float* out = whole ? C : buf;
  const size_t ldo = whole ? ldc : NV * N;
  if (!whole && !first)
    for (size_t r = 0; r < rows; ++r) std::copy(C + r * ldc, C + r * ldc + cols, buf + r * ldo);
  auto put = [&](size_t r, V x, V y) {
    float* o = out + r * ldo;
    if (first) {
      const V bv = hn::Set(d, bias && r < rows ? bias[r] : 0.0f);  // rows past `rows` are dropped
      hn::StoreU(hn::Add(x, bv), d, o);
      if constexpr (NV > 1) hn::StoreU(hn::Add(y, bv), d, o + N);
    } else {
      hn::StoreU(hn::Add(x, hn::LoadU(d, o)), d, o);
      if constexpr (NV > 1) hn::StoreU(hn::Add(y, hn::LoadU(d, o + N)), d, o + N);
    }
  };
#define CACTUS_PNN_PUT(r) if constexpr (MR > r) put(r, c##r##a, c##r##b);
  CACTUS_PNN_PUT(0) CACTUS_PNN_PUT(1) CACTUS_PNN_PUT(2) CACTUS_PNN_PUT(3) CACTUS_PNN_PUT(4) CACTUS_PNN_PUT(5)
  CACTUS_PNN_PUT(6) CACTUS_PNN_PUT(7) CACTUS_PNN_PUT(8) CACTUS_PNN_PUT(9) CACTUS_PNN_PUT(10) CACTUS_PNN_PUT(11)
#undef CACTUS_PNN_PUT
  if (!whole)
    for (size_t r = 0; r < rows; ++r) std::copy(buf + r * ldo, buf + r * ldo + cols, C + r * ldc);
}

// Rows [m0, m1) (m0 a multiple of 4) against one column tile of NV vectors of d: B's columns
// from n, `cols` of them valid. A run of rows inside a panel starts at an offset that is a
// multiple of 4, and every tile rounds its rows up to a multiple of 4 (or 2), so no tile reads
// past its panel.
template <size_t NV, class D, class Rows>
HWY_INLINE void ColumnTileNN(D d, size_t kc, const float* Ap, size_t K, size_t k0, size_t m0, size_t m1, const Rows& brows, size_t n, float* C,
                             size_t ldc, size_t cols, bool first, const float* bias) {
  for (size_t m = m0; m < m1;) {
    const size_t off = m % kGemmPanel, rows = std::min(kGemmPanel - off, m1 - m);
    const float* a = Ap + (m - off) * K + k0 * kGemmPanel + off;
    for (size_t r = 0; r < rows; r += kGemmRows) {
      const size_t rr = std::min(kGemmRows, rows - r);
      float* c = C + (m + r) * ldc;
      const float* bb = bias ? bias + m + r : nullptr;
      if (rr <= kGemmRows / 3) TilePackedNN<kGemmRows / 3, NV>(d, kc, a + r, brows, n, c, ldc, rr, cols, first, bb);
      else if (rr <= 2 * kGemmRows / 3) TilePackedNN<2 * kGemmRows / 3, NV>(d, kc, a + r, brows, n, c, ldc, rr, cols, first, bb);
      else TilePackedNN<kGemmRows, NV>(d, kc, a + r, brows, n, c, ldc, rr, cols, first, bb);
    }
    m += rows;
  }
}

// C[m, n] for m in [m0, m1) (m0 a multiple of 4) and n in [n0, n1), over k in [k0, k1):
// C (+)= Ap[m, k0..k1) . B, B's row k0 + k at brows(k) (columns from 0). With `first`,
// C = bias[m] + the sum (bias may be null), else C += the sum. C points at row 0. Column tiles
// outside, panels inside: a tile's kc rows of B stay in L1 while the panels, contiguous, stream
// from L2.
template <class Rows>
HWY_INLINE void GemmNNPackedImpl(size_t m0, size_t m1, size_t n0, size_t n1, size_t k0, size_t k1, const float* Ap, size_t K, const Rows& brows,
                                 float* C, size_t ldc, bool first, const float* bias) {
  const hn::ScalableTag<float> d;
  const size_t N = hn::Lanes(d), kc = k1 - k0;
  size_t n = n0;
  for (; n + 2 * N <= n1; n += 2 * N) ColumnTileNN<2>(d, kc, Ap, K, k0, m0, m1, brows, n, C + n, ldc, 2 * N, first, bias);
  const size_t t = n1 - n;
  if (t == 0) return;
  // the tail columns come from a zero-padded copy, so no tile reads past B
  float* tail = scratch<float, 22>(kc * 2 * N);
  for (size_t k = 0; k < kc; ++k) {
    std::copy(brows(k) + n, brows(k) + n1, tail + k * 2 * N);
    std::fill(tail + k * 2 * N + t, tail + (k + 1) * 2 * N, 0.0f);
  }
  const StridedRows tr{tail, 2 * N};
  if (t > N) ColumnTileNN<2>(d, kc, Ap, K, k0, m0, m1, tr, 0, C + n, ldc, t, first, bias);
  else if (t > 8 || N <= 8) ColumnTileNN<1>(d, kc, Ap, K, k0, m0, m1, tr, 0, C + n, ldc, t, first, bias);
  else if (t > 4) ColumnTileNN<1>(hn::CappedTag<float, 8>(), kc, Ap, K, k0, m0, m1, tr, 0, C + n, ldc, t, first, bias);
  else ColumnTileNN<1>(hn::CappedTag<float, 4>(), kc, Ap, K, k0, m0, m1, tr, 0, C + n, ldc, t, first, bias);
}
// B row-major from its row k0 (rows ldb apart); or B's row k0 + k at rows[k] (an indirection
// table: a convolution's implicit im2col over its zero-padded input).
inline HWY_NOINLINE void GemmNNPackedF32(size_t m0, size_t m1, size_t n0, size_t n1, size_t k0, size_t k1, const float* Ap, size_t K,
                                         const float* B, size_t ldb, float* C, size_t ldc, bool first, const float* bias) {
  GemmNNPackedImpl(m0, m1, n0, n1, k0, k1, Ap, K, StridedRows{B, ldb}, C, ldc, first, bias);
}
inline HWY_NOINLINE void GemmNNPackedIndirectF32(size_t m0, size_t m1, size_t n0, size_t n1, size_t k0, size_t k1, const float* Ap, size_t K,
                                                 const float* const* rows, float* C, size_t ldc, bool first, const float* bias) {
  GemmNNPackedImpl(m0, m1, n0, n1, k0, k1, Ap, K, TableRows{rows}, C, ldc, first, bias);
}

}  // namespace cactus::kernels::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#endif  // toggle guard
