// Kernels of the fused ops (ops named after the fusion rules in patterns/rules/): rotary
// embedding rows, the gated-MLP activation product, the conv epilogue (folded batch norm +
// activation), and attention heads. Re-included once per Highway target by dispatch.hpp.
#if defined(CACTUS_KERNELS_FUSED_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef CACTUS_KERNELS_FUSED_INL_H_
#undef CACTUS_KERNELS_FUSED_INL_H_
#else
#define CACTUS_KERNELS_FUSED_INL_H_
#endif

#include <cmath>
#include <hwy/contrib/math/math-inl.h>
#include <hwy/highway.h>

HWY_BEFORE_NAMESPACE();
namespace cactus::kernels::HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// One row of rotary embedding, y = x * cos + rot(x) * sin, over D values.
//  interleaved = false (rotate_half with the split at h, Llama/Qwen):
//    rot(x) = cat(-x[h:], x[:h])
//  interleaved = true (GPT-J): rot(x)[2i] = -x[2i + 1], rot(x)[2i + 1] = x[2i]
inline HWY_NOINLINE void RopeRow(const float* HWY_RESTRICT x, const float* HWY_RESTRICT c, const float* HWY_RESTRICT s, float* HWY_RESTRICT y, size_t D,
                          size_t h, bool interleaved) {
  const hn::ScalableTag<float> d;
  const size_t N = hn::Lanes(d);
  size_t i = 0;
  if (!interleaved) {
    const size_t lo = D - h;  // y[i] for i < lo pairs with -x[h + i]; the rest with x[i - lo]
    for (; i + N <= lo; i += N)
      hn::StoreU(hn::NegMulAdd(hn::LoadU(d, x + h + i), hn::LoadU(d, s + i), hn::Mul(hn::LoadU(d, x + i), hn::LoadU(d, c + i))), d, y + i);
    for (; i < lo; ++i) y[i] = x[i] * c[i] - x[h + i] * s[i];
    for (; i + N <= D; i += N)
      hn::StoreU(hn::MulAdd(hn::LoadU(d, x + i - lo), hn::LoadU(d, s + i), hn::Mul(hn::LoadU(d, x + i), hn::LoadU(d, c + i))), d, y + i);
    for (; i < D; ++i) y[i] = x[i] * c[i] + x[i - lo] * s[i];
    return;
  }
#if HWY_TARGET != HWY_SCALAR
  if (N >= 2) {
    const auto sign = hn::OddEven(hn::Set(d, 1.0f), hn::Set(d, -1.0f));  // -1 on even lanes
    for (; i + N <= D; i += N) {
      const auto v = hn::LoadU(d, x + i);
      hn::StoreU(hn::MulAdd(hn::Reverse2(d, v), hn::Mul(hn::LoadU(d, s + i), sign), hn::Mul(v, hn::LoadU(d, c + i))), d, y + i);
    }
  }
#endif
  for (; i + 1 < D; i += 2) {
    y[i] = x[i] * c[i] - x[i + 1] * s[i];
    y[i + 1] = x[i + 1] * c[i + 1] + x[i] * s[i + 1];
  }
}

// y = act(g) * u over n values (the gated MLP's product; act is silu, gelu_tanh or gelu_erf).
inline HWY_NOINLINE void GatedActF32(unary_kind act, const float* HWY_RESTRICT g, const float* HWY_RESTRICT u, float* HWY_RESTRICT y, size_t n) {
  const hn::ScalableTag<float> d;
  const size_t N = hn::Lanes(d);
  size_t i = 0;
  for (; i + N <= n; i += N) hn::StoreU(hn::Mul(ApplyUnary(d, act, hn::LoadU(d, g + i), 0, 0), hn::LoadU(d, u + i)), d, y + i);
  const hn::CappedTag<float, 1> d1;
  for (; i < n; ++i) y[i] = hn::GetLane(ApplyUnary(d1, act, hn::Set(d1, g[i]), 0, 0)) * u[i];
}

// y = act(x * scale + shift) over n values, in place allowed (the conv epilogue: batch norm
// folded into one scale and shift per channel, then the activation). has_act = false: affine
// only.
inline HWY_NOINLINE void AffineActF32(const float* x, float* y, size_t n, float scale, float shift, bool has_act, unary_kind act, float p0, float p1) {
  const hn::ScalableTag<float> d;
  const size_t N = hn::Lanes(d);
  const auto vs = hn::Set(d, scale), vt = hn::Set(d, shift);
  size_t i = 0;
  if (has_act)
    for (; i + N <= n; i += N) hn::StoreU(ApplyUnary(d, act, hn::MulAdd(hn::LoadU(d, x + i), vs, vt), p0, p1), d, y + i);
  else
    for (; i + N <= n; i += N) hn::StoreU(hn::MulAdd(hn::LoadU(d, x + i), vs, vt), d, y + i);
  const hn::CappedTag<float, 1> d1;
  for (; i < n; ++i) {
    const auto v = hn::Set(d1, x[i] * scale + shift);
    y[i] = hn::GetLane(has_act ? ApplyUnary(d1, act, v, p0, p1) : v);
  }
}

// One LSTM cell step over H units, gates in PyTorch's order (input, forget, cell, output):
//   g = a + b (b may be null), i = sigmoid(g[0:H]), f = sigmoid(g[H:2H]), z = tanh(g[2H:3H]),
//   o = sigmoid(g[3H:4H]);  c_new = f * c + i * z;  h = o * tanh(c_new)
// h and c_new may alias c.
inline HWY_NOINLINE void LstmCellF32(const float* HWY_RESTRICT a, const float* HWY_RESTRICT b, const float* c, float* h, float* c_new, size_t H) {
  const hn::ScalableTag<float> d;
  const size_t N = hn::Lanes(d);
  auto gate = [&](auto dd, size_t k, size_t j) {
    auto v = hn::LoadU(dd, a + k * H + j);
    return b ? hn::Add(v, hn::LoadU(dd, b + k * H + j)) : v;
  };
  size_t j = 0;
  for (; j + N <= H; j += N) {
    const auto cn = hn::MulAdd(Sigmoid(d, gate(d, 1, j)), hn::LoadU(d, c + j), hn::Mul(Sigmoid(d, gate(d, 0, j)), hn::Tanh(d, gate(d, 2, j))));
    const auto o = Sigmoid(d, gate(d, 3, j));
    hn::StoreU(cn, d, c_new + j);
    hn::StoreU(hn::Mul(o, hn::Tanh(d, cn)), d, h + j);
  }
  const hn::CappedTag<float, 1> d1;
  for (; j < H; ++j) {
    const auto cn = hn::MulAdd(Sigmoid(d1, gate(d1, 1, j)), hn::Set(d1, c[j]), hn::Mul(Sigmoid(d1, gate(d1, 0, j)), hn::Tanh(d1, gate(d1, 2, j))));
    const float o = hn::GetLane(Sigmoid(d1, gate(d1, 3, j)));
    c_new[j] = hn::GetLane(cn);
    h[j] = o * hn::GetLane(hn::Tanh(d1, cn));
  }
}

// Scales, masks and normalizes one row of attention scores in place: p = softmax(scale * s +
// mask) over the first n of them (the rest, up to `width`, become 0). A row with every key
// masked out is NaN, as PyTorch's softmax gives.
HWY_INLINE void SoftmaxScores(float* HWY_RESTRICT row, size_t n, size_t width, float scale, const float* HWY_RESTRICT mrow,
                              const std::uint8_t* HWY_RESTRICT krow, float fill) {
  const hn::ScalableTag<float> d;
  const size_t N = hn::Lanes(d);
  float mx = -INFINITY;
  for (size_t j = 0; j < n; ++j) {
    float sc = row[j] * scale;
    if (mrow) sc += mrow[j];
    if (krow && !krow[j]) sc = fill;
    row[j] = sc;
    mx = std::max(mx, sc);
  }
  if (mx == -INFINITY) {
    for (size_t j = 0; j < width; ++j) row[j] = j < n || n == 0 ? NAN : 0.0f;
    return;
  }
  const auto vmx = hn::Set(d, mx);
  auto vsum = hn::Zero(d);
  size_t j = 0;
  for (; j + N <= n; j += N) {
    const auto e = hn::Exp(d, hn::Sub(hn::LoadU(d, row + j), vmx));
    vsum = hn::Add(vsum, e);
    hn::StoreU(e, d, row + j);
  }
  float sum = hn::GetLane(hn::SumOfLanes(d, vsum));
  for (; j < n; ++j) {
    row[j] = std::exp(row[j] - mx);
    sum += row[j];
  }
  const auto inv = hn::Set(d, 1.0f / sum);
  j = 0;
  for (; j + N <= n; j += N) hn::StoreU(hn::Mul(hn::LoadU(d, row + j), inv), d, row + j);
  for (; j < n; ++j) row[j] *= 1.0f / sum;
  for (; j < width; ++j) row[j] = 0.0f;
}

// One attention head for query rows [r0, r1):
//   out[i] = softmax(scale * q[i] . k^T + mask[i], keys j <= i + causal_offset when causal) . v
// q [L, E] (row stride ldq), k [S, E] (ldk), v [S, Ev] (ldv), out [L, Ev] (ldo). mask: additive
// f32 rows (stride ldm, 0 = one row for all queries) or null; keep: bool rows (true = attend;
// other scores become `fill`) or null. Keys masked out by causality are not computed.
// With kt non-null (blocks of several query rows; kt = k transposed, [E, S] with row stride
// ldkt), the block's scores [r1 - r0, keys] (in `scores`) and its output are two matrix
// products (GemmNN); otherwise (one or two rows, as in decoding) each score is a dot product
// and the output a sum of value rows kept in registers. `scores` holds (r1 - r0) * S floats.
inline HWY_NOINLINE void AttentionRows(const float* HWY_RESTRICT q, size_t ldq, const float* HWY_RESTRICT k, size_t ldk, const float* HWY_RESTRICT v,
                                size_t ldv, float* HWY_RESTRICT out, size_t ldo, size_t r0, size_t r1, size_t S, size_t E, size_t Ev, float scale,
                                const float* HWY_RESTRICT mask, size_t ldm, const std::uint8_t* HWY_RESTRICT keep, size_t ldkeep, float fill, bool causal,
                                std::int64_t causal_offset, const float* HWY_RESTRICT kt, size_t ldkt, float* HWY_RESTRICT scores) {
  const hn::ScalableTag<float> d;
  const size_t N = hn::Lanes(d);
  auto keys_of = [&](size_t i) -> size_t {  // keys query row i sees
    if (!causal) return S;
    const std::int64_t last = static_cast<std::int64_t>(i) + causal_offset;
    return last < 0 ? 0 : std::min<size_t>(S, static_cast<size_t>(last) + 1);
  };
  if (kt) {
    const size_t n = keys_of(r1 - 1), M = r1 - r0;  // the block's last row sees the most keys
    if (n == 0) {
      for (size_t i = r0; i < r1; ++i)
        for (size_t c = 0; c < Ev; ++c) out[i * ldo + c] = NAN;
      return;
    }
    GemmNNF32(M, 0, n, E, q + r0 * ldq, ldq, kt, ldkt, scores, n, nullptr);
    for (size_t i = r0; i < r1; ++i)
      SoftmaxScores(scores + (i - r0) * n, keys_of(i), n, scale, mask ? mask + i * ldm : nullptr, keep ? keep + i * ldkeep : nullptr, fill);
    GemmNNF32(M, 0, Ev, n, scores, n, v, ldv, out + r0 * ldo, ldo, nullptr);
    return;
  }
  for (size_t i = r0; i < r1; ++i) {
    const size_t n = keys_of(i);
    float* orow = out + i * ldo;
    if (n == 0) {
      for (size_t c = 0; c < Ev; ++c) orow[c] = NAN;
      continue;
    }
    const float* qi = q + i * ldq;
    for (size_t j = 0; j < n; ++j) {
      const float* kj = k + j * ldk;
      auto a0 = hn::Zero(d), a1 = a0;
      size_t e = 0;
      for (; e + 2 * N <= E; e += 2 * N) {
        a0 = hn::MulAdd(hn::LoadU(d, qi + e), hn::LoadU(d, kj + e), a0);
        a1 = hn::MulAdd(hn::LoadU(d, qi + e + N), hn::LoadU(d, kj + e + N), a1);
      }
      for (; e + N <= E; e += N) a0 = hn::MulAdd(hn::LoadU(d, qi + e), hn::LoadU(d, kj + e), a0);
      float acc = hn::GetLane(hn::SumOfLanes(d, hn::Add(a0, a1)));
      for (; e < E; ++e) acc += qi[e] * kj[e];
      scores[j] = acc;
    }
    SoftmaxScores(scores, n, n, scale, mask ? mask + i * ldm : nullptr, keep ? keep + i * ldkeep : nullptr, fill);
    if (scores[0] != scores[0]) {  // NaN: every key masked out
      for (size_t c = 0; c < Ev; ++c) orow[c] = NAN;
      continue;
    }
    // out = p . v, in register tiles of up to 4 vectors of output columns
    size_t c = 0;
    for (; c + 4 * N <= Ev; c += 4 * N) {
      auto o0 = hn::Zero(d), o1 = o0, o2 = o0, o3 = o0;
      for (size_t jj = 0; jj < n; ++jj) {
        const auto p = hn::Set(d, scores[jj]);
        const float* vr = v + jj * ldv + c;
        o0 = hn::MulAdd(p, hn::LoadU(d, vr), o0);
        o1 = hn::MulAdd(p, hn::LoadU(d, vr + N), o1);
        o2 = hn::MulAdd(p, hn::LoadU(d, vr + 2 * N), o2);
        o3 = hn::MulAdd(p, hn::LoadU(d, vr + 3 * N), o3);
      }
      hn::StoreU(o0, d, orow + c);
      hn::StoreU(o1, d, orow + c + N);
      hn::StoreU(o2, d, orow + c + 2 * N);
      hn::StoreU(o3, d, orow + c + 3 * N);
    }
    for (; c + N <= Ev; c += N) {
      auto o0 = hn::Zero(d);
      for (size_t jj = 0; jj < n; ++jj) o0 = hn::MulAdd(hn::Set(d, scores[jj]), hn::LoadU(d, v + jj * ldv + c), o0);
      hn::StoreU(o0, d, orow + c);
    }
    for (; c < Ev; ++c) {
      float acc = 0;
      for (size_t jj = 0; jj < n; ++jj) acc += scores[jj] * v[jj * ldv + c];
      orow[c] = acc;
    }
  }
}

}  // namespace cactus::kernels::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#endif  // toggle guard
