// Attention over a KV cache (ops/cached_attention.hpp): query rows that see the same keys (the
// query heads of one key/value head, at one position) against key and value rows held in the
// cache as f32 or f16, or int8 with a scale per 32 features. Each key row is read once for all
// of them. Re-included once per Highway
// target by dispatch.hpp.
#if defined(CACTUS_KERNELS_CACHED_ATTENTION_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef CACTUS_KERNELS_CACHED_ATTENTION_INL_H_
#undef CACTUS_KERNELS_CACHED_ATTENTION_INL_H_
#else
#define CACTUS_KERNELS_CACHED_ATTENTION_INL_H_
#endif

#include <algorithm>

#include <hwy/highway.h>

HWY_BEFORE_NAMESPACE();
namespace cactus::kernels::HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// out[m] = softmax(scale * q[m] . k^T) . v over key rows [0, n), for M query rows.
// q [M, E] (row stride ldq), k [n, E] (ldk), v [n, Ev] (ldv), out [M, Ev] (ldo); k and v are
// f32 or f16 (as uint16_t). scores holds M * n floats.

// A decode step reads its layer's whole cache once, as the matrix-vector products read their
// weights, and the same holds: the hardware's prefetch alone does not keep one core's reads in
// flight (this kernel ran at 8-10 GB/s so, against 21 GB/s for a plain read loop). Each pass
// over the rows asks for the part of the row kAttentionAhead rows on that it reads, into L2,
// never past row n (PrefetchRowAhead at row j); the first rows are asked for before the pass.
inline constexpr size_t kAttentionAhead = 32;
template <class T>
HWY_INLINE void PrefetchRowPart(const T* rows, size_t ld, size_t j, size_t first, size_t count) {
  const unsigned char* p = reinterpret_cast<const unsigned char*>(rows + j * ld + first);
  for (size_t b = 0; b < count * sizeof(T); b += 64) PrefetchL2(p + b);
}
template <class T>
HWY_INLINE void PrefetchFirstRows(const T* rows, size_t ld, size_t n, size_t first, size_t count) {
  for (size_t j = 0; j < std::min(n, kAttentionAhead); ++j) PrefetchRowPart(rows, ld, j, first, count);
}
template <class T>
HWY_INLINE void PrefetchRowAhead(const T* rows, size_t ld, size_t j, size_t n, size_t first, size_t count) {
  if (j + kAttentionAhead < n) PrefetchRowPart(rows, ld, j + kAttentionAhead, first, count);
}

// Scores of MM query rows (q, stride ldq) against key rows [0, n): each key vector is loaded
// (and widened from f16) once for all of them.
template <size_t MM, class T>
HWY_INLINE void ScoreRows(const float* HWY_RESTRICT q, size_t ldq, const T* HWY_RESTRICT k, size_t ldk, size_t n, size_t E,
                          float* HWY_RESTRICT scores, size_t lds) {
  const hn::ScalableTag<float> d;
  const size_t N = hn::Lanes(d);
  PrefetchFirstRows(k, ldk, n, 0, E);
  for (size_t j = 0; j < n; ++j) {
    const T* kj = k + j * ldk;
    PrefetchRowAhead(k, ldk, j, n, 0, E);
    auto a0 = hn::Zero(d), a1 = a0, a2 = a0, a3 = a0;
    size_t e = 0;
    if constexpr (MM <= 2) {
      // one or two query rows (no GQA, or groups of two): two accumulators each (a2, a3 the
      // second ones), so that no chain of E / N dependent multiply-adds (16 at E = 128 on AVX2)
      // bounds a key row
      for (; e + 2 * N <= E; e += 2 * N) {
        const auto k0 = LoadRow(d, kj + e), k1 = LoadRow(d, kj + e + N);
        a0 = hn::MulAdd(hn::LoadU(d, q + e), k0, a0);
        a2 = hn::MulAdd(hn::LoadU(d, q + e + N), k1, a2);
        if constexpr (MM > 1) {
          a1 = hn::MulAdd(hn::LoadU(d, q + ldq + e), k0, a1);
          a3 = hn::MulAdd(hn::LoadU(d, q + ldq + e + N), k1, a3);
        }
      }
      a0 = hn::Add(a0, a2);
      if constexpr (MM > 1) a1 = hn::Add(a1, a3);
    }
    for (; e + N <= E; e += N) {
      const auto kv = LoadRow(d, kj + e);
      a0 = hn::MulAdd(hn::LoadU(d, q + e), kv, a0);
      if constexpr (MM > 1) a1 = hn::MulAdd(hn::LoadU(d, q + ldq + e), kv, a1);
      if constexpr (MM > 2) a2 = hn::MulAdd(hn::LoadU(d, q + 2 * ldq + e), kv, a2);
      if constexpr (MM > 3) a3 = hn::MulAdd(hn::LoadU(d, q + 3 * ldq + e), kv, a3);
    }
    float s[4] = {hn::GetLane(hn::SumOfLanes(d, a0)), 0, 0, 0};
    if constexpr (MM > 1) s[1] = hn::GetLane(hn::SumOfLanes(d, a1));
    if constexpr (MM > 2) s[2] = hn::GetLane(hn::SumOfLanes(d, a2));
    if constexpr (MM > 3) s[3] = hn::GetLane(hn::SumOfLanes(d, a3));
    for (; e < E; ++e)
      for (size_t i = 0; i < MM; ++i) s[i] += q[i * ldq + e] * ScalarOf(kj[e]);
    for (size_t i = 0; i < MM; ++i) scores[i * lds + j] = s[i];
  }
}

// out rows of MM query rows = their softmax weights p (stride lds) . value rows [0, n), in
// passes over the rows of 4N columns (one or two query rows) or 2N (three or four): eight
// accumulators, each value vector widened once for all the query rows.
template <size_t MM, class T>
HWY_INLINE void WeightedRows(const float* HWY_RESTRICT p, size_t lds, const T* HWY_RESTRICT v, size_t ldv, size_t n, size_t Ev,
                             float* HWY_RESTRICT out, size_t ldo) {
  const hn::ScalableTag<float> d;
  const size_t N = hn::Lanes(d);
  size_t c = 0;
  if constexpr (MM <= 2) {
    for (; c + 4 * N <= Ev; c += 4 * N) {
      PrefetchFirstRows(v, ldv, n, c, 4 * N);
      auto o0 = hn::Zero(d), o1 = o0, o2 = o0, o3 = o0, o4 = o0, o5 = o0, o6 = o0, o7 = o0;
      for (size_t j = 0; j < n; ++j) {
        PrefetchRowAhead(v, ldv, j, n, c, 4 * N);
        const T* vr = v + j * ldv + c;
        const auto v0 = LoadRow(d, vr), v1 = LoadRow(d, vr + N), v2 = LoadRow(d, vr + 2 * N), v3 = LoadRow(d, vr + 3 * N);
        const auto w0 = hn::Set(d, p[j]);
        o0 = hn::MulAdd(w0, v0, o0), o1 = hn::MulAdd(w0, v1, o1), o2 = hn::MulAdd(w0, v2, o2), o3 = hn::MulAdd(w0, v3, o3);
        if constexpr (MM > 1) {
          const auto w1 = hn::Set(d, p[lds + j]);
          o4 = hn::MulAdd(w1, v0, o4), o5 = hn::MulAdd(w1, v1, o5), o6 = hn::MulAdd(w1, v2, o6), o7 = hn::MulAdd(w1, v3, o7);
        }
      }
      hn::StoreU(o0, d, out + c), hn::StoreU(o1, d, out + c + N), hn::StoreU(o2, d, out + c + 2 * N), hn::StoreU(o3, d, out + c + 3 * N);
      if constexpr (MM > 1)
        hn::StoreU(o4, d, out + ldo + c), hn::StoreU(o5, d, out + ldo + c + N), hn::StoreU(o6, d, out + ldo + c + 2 * N),
            hn::StoreU(o7, d, out + ldo + c + 3 * N);
    }
  }
  for (; c + 2 * N <= Ev; c += 2 * N) {
    PrefetchFirstRows(v, ldv, n, c, 2 * N);
    auto o0 = hn::Zero(d), o1 = o0, o2 = o0, o3 = o0, o4 = o0, o5 = o0, o6 = o0, o7 = o0;
    for (size_t j = 0; j < n; ++j) {
      PrefetchRowAhead(v, ldv, j, n, c, 2 * N);
      const T* vr = v + j * ldv + c;
      const auto v0 = LoadRow(d, vr), v1 = LoadRow(d, vr + N);
      const auto w0 = hn::Set(d, p[j]);
      o0 = hn::MulAdd(w0, v0, o0), o1 = hn::MulAdd(w0, v1, o1);
      if constexpr (MM > 1) {
        const auto w1 = hn::Set(d, p[lds + j]);
        o2 = hn::MulAdd(w1, v0, o2), o3 = hn::MulAdd(w1, v1, o3);
      }
      if constexpr (MM > 2) {
        const auto w2 = hn::Set(d, p[2 * lds + j]);
        o4 = hn::MulAdd(w2, v0, o4), o5 = hn::MulAdd(w2, v1, o5);
      }
      if constexpr (MM > 3) {
        const auto w3 = hn::Set(d, p[3 * lds + j]);
        o6 = hn::MulAdd(w3, v0, o6), o7 = hn::MulAdd(w3, v1, o7);
      }
    }
    hn::StoreU(o0, d, out + c), hn::StoreU(o1, d, out + c + N);
    if constexpr (MM > 1) hn::StoreU(o2, d, out + ldo + c), hn::StoreU(o3, d, out + ldo + c + N);
    if constexpr (MM > 2) hn::StoreU(o4, d, out + 2 * ldo + c), hn::StoreU(o5, d, out + 2 * ldo + c + N);
    if constexpr (MM > 3) hn::StoreU(o6, d, out + 3 * ldo + c), hn::StoreU(o7, d, out + 3 * ldo + c + N);
  }
  for (size_t i = 0; i < MM; ++i) {
    const float* pi = p + i * lds;
    float* orow = out + i * ldo;
    size_t cc = c;
    for (; cc + N <= Ev; cc += N) {
      auto o = hn::Zero(d);
      for (size_t j = 0; j < n; ++j) o = hn::MulAdd(hn::Set(d, pi[j]), LoadRow(d, v + j * ldv + cc), o);
      hn::StoreU(o, d, orow + cc);
    }
    for (; cc < Ev; ++cc) {
      float acc = 0;
      for (size_t j = 0; j < n; ++j) acc += pi[j] * ScalarOf(v[j * ldv + cc]);
      orow[cc] = acc;
    }
  }
}

template <class T>
HWY_INLINE void CachedAttentionRowsT(const float* HWY_RESTRICT q, size_t ldq, size_t M, const T* HWY_RESTRICT k, size_t ldk,
                                     const T* HWY_RESTRICT v, size_t ldv, size_t n, size_t E, size_t Ev, float scale, float* HWY_RESTRICT out,
                                     size_t ldo, float* HWY_RESTRICT scores) {
  for (size_t m = 0; m < M; m += 4) {
    switch (std::min<size_t>(4, M - m)) {
      case 4: ScoreRows<4>(q + m * ldq, ldq, k, ldk, n, E, scores + m * n, n); break;
      case 3: ScoreRows<3>(q + m * ldq, ldq, k, ldk, n, E, scores + m * n, n); break;
      case 2: ScoreRows<2>(q + m * ldq, ldq, k, ldk, n, E, scores + m * n, n); break;
      default: ScoreRows<1>(q + m * ldq, ldq, k, ldk, n, E, scores + m * n, n); break;
    }
  }
  for (size_t m = 0; m < M; ++m) SoftmaxScores(scores + m * n, n, n, scale, nullptr, nullptr, 0.0f);
  for (size_t m = 0; m < M; m += 4) {
    switch (std::min<size_t>(4, M - m)) {
      case 4: WeightedRows<4>(scores + m * n, n, v, ldv, n, Ev, out + m * ldo, ldo); break;
      case 3: WeightedRows<3>(scores + m * n, n, v, ldv, n, Ev, out + m * ldo, ldo); break;
      case 2: WeightedRows<2>(scores + m * n, n, v, ldv, n, Ev, out + m * ldo, ldo); break;
      default: WeightedRows<1>(scores + m * n, n, v, ldv, n, Ev, out + m * ldo, ldo); break;
    }
  }
}

// The same over an int8 cache with one f32 scale per 32 features of a row (an int8 KV cache:
// a key row j is ks[j * ldks + g] * k[j * ldk + 32 g + i], a value row likewise with vs, ldvs).
// E and Ev are multiples of 32.
inline HWY_NOINLINE void CachedAttentionRowsI8(const float* HWY_RESTRICT q, size_t ldq, size_t M, const int8_t* HWY_RESTRICT k,
                                               const float* HWY_RESTRICT ks, size_t ldk, size_t ldks, const int8_t* HWY_RESTRICT v,
                                               const float* HWY_RESTRICT vs, size_t ldv, size_t ldvs, size_t n, size_t E, size_t Ev, float scale, float* HWY_RESTRICT out,
                                               size_t ldo, float* HWY_RESTRICT scores) {
  const hn::CappedTag<float, 16> d;  // N divides 32: a group is whole vectors
  const hn::Rebind<int8_t, decltype(d)> d8;
  const hn::Rebind<int32_t, decltype(d)> di;
  const size_t N = hn::Lanes(d);
  auto load = [&](const int8_t* p) { return hn::ConvertTo(d, hn::PromoteTo(di, hn::LoadU(d8, p))); };
  for (size_t j = 0; j < n; ++j) {
    const int8_t* kj = k + j * ldk;
    const float* sj = ks + j * ldks;
    for (size_t m = 0; m < M; ++m) {
      const float* qm = q + m * ldq;
      auto acc = hn::Zero(d);
      for (size_t g = 0; g < E / 32; ++g) {
        auto t0 = hn::Zero(d), t1 = t0;
        for (size_t e = g * 32; e < g * 32 + 32; e += 2 * N) {
          t0 = hn::MulAdd(hn::LoadU(d, qm + e), load(kj + e), t0);
          t1 = hn::MulAdd(hn::LoadU(d, qm + e + N), load(kj + e + N), t1);
        }
        acc = hn::MulAdd(hn::Add(t0, t1), hn::Set(d, sj[g]), acc);
      }
      scores[m * n + j] = hn::GetLane(hn::SumOfLanes(d, acc));
    }
  }
  for (size_t m = 0; m < M; ++m) SoftmaxScores(scores + m * n, n, n, scale, nullptr, nullptr, 0.0f);
  for (size_t m = 0; m < M; ++m) {
    const float* p = scores + m * n;
    float* orow = out + m * ldo;
    for (size_t c = 0; c < Ev; c += 2 * N) {  // 2N columns in one group
      auto o0 = hn::Zero(d), o1 = o0;
      const size_t g = c / 32;
      for (size_t j = 0; j < n; ++j) {
        const auto pj = hn::Set(d, p[j] * vs[j * ldvs + g]);
        const int8_t* vr = v + j * ldv + c;
        o0 = hn::MulAdd(pj, load(vr), o0);
        o1 = hn::MulAdd(pj, load(vr + N), o1);
      }
      hn::StoreU(o0, d, orow + c);
      hn::StoreU(o1, d, orow + c + N);
    }
  }
}

inline HWY_NOINLINE void CachedAttentionRowsF32(const float* q, size_t ldq, size_t M, const float* k, size_t ldk, const float* v, size_t ldv, size_t n,
                                                size_t E, size_t Ev, float scale, float* out, size_t ldo, float* scores) {
  CachedAttentionRowsT(q, ldq, M, k, ldk, v, ldv, n, E, Ev, scale, out, ldo, scores);
}
inline HWY_NOINLINE void CachedAttentionRowsF16(const float* q, size_t ldq, size_t M, const std::uint16_t* k, size_t ldk, const std::uint16_t* v,
                                                size_t ldv, size_t n, size_t E, size_t Ev, float scale, float* out, size_t ldo, float* scores) {
  CachedAttentionRowsT(q, ldq, M, k, ldk, v, ldv, n, E, Ev, scale, out, ldo, scores);
}

}  // namespace cactus::kernels::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#endif  // toggle guard
