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

#include <hwy/highway.h>

HWY_BEFORE_NAMESPACE();
namespace cactus::kernels::HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// out[m] = softmax(scale * q[m] . k^T) . v over key rows [0, n), for M query rows.
// q [M, E] (row stride ldq), k [n, E] (ldk), v [n, Ev] (ldv), out [M, Ev] (ldo); k and v are
// f32 or f16 (as uint16_t). scores holds M * n floats.
template <class T>
HWY_INLINE void CachedAttentionRowsT(const float* HWY_RESTRICT q, size_t ldq, size_t M, const T* HWY_RESTRICT k, size_t ldk,
                                     const T* HWY_RESTRICT v, size_t ldv, size_t n, size_t E, size_t Ev, float scale, float* HWY_RESTRICT out,
                                     size_t ldo, float* HWY_RESTRICT scores) {
  const hn::ScalableTag<float> d;
  const size_t N = hn::Lanes(d);
  for (size_t j = 0; j < n; ++j) {
    const T* kj = k + j * ldk;
    for (size_t m = 0; m < M; ++m) {
      const float* qm = q + m * ldq;
      auto a0 = hn::Zero(d), a1 = a0;
      size_t e = 0;
      for (; e + 2 * N <= E; e += 2 * N) {
        a0 = hn::MulAdd(hn::LoadU(d, qm + e), LoadRow(d, kj + e), a0);
        a1 = hn::MulAdd(hn::LoadU(d, qm + e + N), LoadRow(d, kj + e + N), a1);
      }
      for (; e + N <= E; e += N) a0 = hn::MulAdd(hn::LoadU(d, qm + e), LoadRow(d, kj + e), a0);
      float acc = hn::GetLane(hn::SumOfLanes(d, hn::Add(a0, a1)));
      for (; e < E; ++e) acc += qm[e] * ScalarOf(kj[e]);
      scores[m * n + j] = acc;
    }
  }
  for (size_t m = 0; m < M; ++m) SoftmaxScores(scores + m * n, n, n, scale, nullptr, nullptr, 0.0f);
  for (size_t m = 0; m < M; ++m) {
    const float* p = scores + m * n;
    float* orow = out + m * ldo;
    size_t c = 0;
    for (; c + 4 * N <= Ev; c += 4 * N) {
      auto o0 = hn::Zero(d), o1 = o0, o2 = o0, o3 = o0;
      for (size_t j = 0; j < n; ++j) {
        const auto pj = hn::Set(d, p[j]);
        const T* vr = v + j * ldv + c;
        o0 = hn::MulAdd(pj, LoadRow(d, vr), o0);
        o1 = hn::MulAdd(pj, LoadRow(d, vr + N), o1);
        o2 = hn::MulAdd(pj, LoadRow(d, vr + 2 * N), o2);
        o3 = hn::MulAdd(pj, LoadRow(d, vr + 3 * N), o3);
      }
      hn::StoreU(o0, d, orow + c);
      hn::StoreU(o1, d, orow + c + N);
      hn::StoreU(o2, d, orow + c + 2 * N);
      hn::StoreU(o3, d, orow + c + 3 * N);
    }
    for (; c + N <= Ev; c += N) {
      auto o0 = hn::Zero(d);
      for (size_t j = 0; j < n; ++j) o0 = hn::MulAdd(hn::Set(d, p[j]), LoadRow(d, v + j * ldv + c), o0);
      hn::StoreU(o0, d, orow + c);
    }
    for (; c < Ev; ++c) {
      float acc = 0;
      for (size_t j = 0; j < n; ++j) acc += p[j] * ScalarOf(v[j * ldv + c]);
      orow[c] = acc;
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
