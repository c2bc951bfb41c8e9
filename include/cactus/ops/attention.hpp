#pragma once
// attention(q, k, v, mask?, scale?, causal, divide, fill?) =
//     softmax(s(q . k^T) + mask, over keys) . v,   s(x) = x * scale, or x / scale when divide,
//                                                  or x / sqrt(E) when scale is None
// q [..., H, L, E], k [..., Hk, S, E], v [..., Hk, S, Ev] -> [..., H, L, Ev]. Hk may divide H
// (grouped-query attention: query head h reads key/value head h / (H / Hk), HF's repeat_kv
// order). mask: None, f32 (added to the scores) or bool (true = attend; other scores become
// `fill`, -inf when None), broadcast to [..., H, L, S]. causal: key j is seen by query i when j <= i (PyTorch's is_causal).
// The fused form of the eager attention HF models write (patterns/rules/attention.hpp) and of
// PyTorch's _scaled_dot_product_attention. Kernel: kernels::attention_rows, one task per head and
// block of query rows; scores for at most 64 query rows at a time, never the [L, S] matrix;
// for blocks, the keys transposed once per key/value head.
#include <cmath>

#include "cactus/kernels/dispatch.hpp"
#include "cactus/ops/op.hpp"

namespace cactus::ops {

struct attention_op {
  static constexpr std::string_view name = "attention";
  static constexpr arity inputs{7, 8};

  struct dims {
    shape_t lead;  // q's leading dims (batch..., heads)
    std::int64_t heads = 1, kv_heads = 1, L, S, E, Ev;
  };
  static dims shapes(const context& c) {
    const slot& q = c.f32_in(0);
    const slot& k = c.f32_in(1);
    const slot& v = c.f32_in(2);
    c.require(q.shape.size() >= 2 && k.shape.size() == q.shape.size() && v.shape.size() == q.shape.size(), "q ", to_string(q.shape), ", k ",
              to_string(k.shape), " and v ", to_string(v.shape), " must have the same rank (at least 2)");
    dims d;
    const std::size_t r = q.shape.size();
    d.lead.assign(q.shape.begin(), q.shape.end() - 2);
    d.L = q.shape[r - 2];
    d.E = q.shape[r - 1];
    d.S = k.shape[r - 2];
    d.Ev = v.shape[r - 1];
    c.require(k.shape[r - 1] == d.E, "k ", to_string(k.shape), " must have the query's feature size ", d.E);
    c.require(v.shape[r - 2] == d.S, "v ", to_string(v.shape), " must have one row per key (", d.S, ")");
    const shape_t klead(k.shape.begin(), k.shape.end() - 2), vlead(v.shape.begin(), v.shape.end() - 2);
    c.require(klead == vlead, "k ", to_string(k.shape), " and v ", to_string(v.shape), " have different leading dims");
    if (!d.lead.empty()) {
      d.heads = d.lead.back();
      d.kv_heads = klead.back();
    }
    const bool same_outer = std::equal(d.lead.begin(), d.lead.end() - (d.lead.empty() ? 0 : 1), klead.begin());
    c.require(same_outer && d.kv_heads > 0 && d.heads % d.kv_heads == 0, "k/v leading dims ", to_string(klead), " do not match q's ", to_string(d.lead),
              " (grouped-query attention needs the query heads to be a multiple of the key/value heads)");
    return d;
  }
  static void infer(context& c) {
    const dims d = shapes(c);
    if (!c.is_none(4) && c.in(4).is_tensor()) c.require(c.in(4).numel() == 1, "scale must be one number, got ", to_string(c.in(4).shape));
    if (!c.is_none(3)) {
      const slot& m = c.tensor_in(3);
      shape_t full = d.lead;
      full.push_back(d.L);
      full.push_back(d.S);
      c.require(!m.shape.empty() && m.shape.back() == d.S && broadcast_shapes(m.shape, full) == full, "mask ", to_string(m.shape),
                " does not broadcast to the scores ", to_string(full));
      c.require(m.type == dtype::f32 || m.type == dtype::b8, "mask must be f32 (added) or bool (true = attend), got ", name_of(m.type));
    }
    shape_t s = d.lead;
    s.push_back(d.L);
    s.push_back(d.Ev);
    c.set_tensor(0, dtype::f32, s);
  }
  // The factor of q . k: input `scale` (a number or a one-element tensor; None: 1 / sqrt(E)),
  // or its reciprocal when input `divide` is true.
  static float scale_of(const context& c, std::size_t scale, std::size_t divide, std::int64_t E) {
    if (c.is_none(scale)) return 1.0f / std::sqrt(static_cast<float>(E));
    const slot& sv = c.in(scale);
    const double s = sv.is_tensor() ? sv.view().element_as_double(0) : c.num_at(scale);
    return static_cast<float>(c.bool_at(divide) ? 1.0 / s : s);
  }
  static void run(context& c) {
    const dims d = shapes(c);
    const slot& q = c.in(0);
    const slot& k = c.in(1);
    const slot& v = c.in(2);
    const float scale = scale_of(c, 4, 6, d.E);
    const bool causal = c.bool_at(5);
    const float fill = c.is_none(7) ? -INFINITY : static_cast<float>(c.in(7).is_tensor() ? c.in(7).view().element_as_double(0) : c.num_at(7));
    compute(d, q.ptr<float>(), k.ptr<float>(), v.ptr<float>(), c.out(0).ptr<float>(), scale, causal, c.is_none(3) ? nullptr : &c.in(3), fill);
  }

  // The computation on f32 q, k, v of shapes d (k and v rows contiguous), mask m (or null).
  static void compute(const dims& d, const float* qp, const float* kp, const float* vp, float* out, float scale, bool causal, const slot* m, float fill) {
    const std::int64_t nh = numel(d.lead);  // query heads in all batches
    if (nh == 0 || d.L == 0) return;
    // mask: strides over [lead..., L, S]
    std::vector<std::int64_t> ms;
    if (m) {
      shape_t full = d.lead;
      full.push_back(d.L);
      full.push_back(d.S);
      ms = broadcast_strides(m->shape, full);
    }
    const std::int64_t group = d.heads / d.kv_heads;
    // blocks of up to 64 query rows (their scores stay in cache), split further while there
    // are fewer tasks than twice the threads; each block transposes its head's keys once
    const std::int64_t threads = static_cast<std::int64_t>(global_pool().size());
    std::int64_t block = std::min<std::int64_t>(d.L, 64);
    while (block > 8 && nh * ((d.L + block - 1) / block) < 2 * threads) block = (block + 1) / 2;
    const std::int64_t blocks = (d.L + block - 1) / block;
    const std::size_t work = static_cast<std::size_t>(nh * d.L * d.S * (d.E + d.Ev));
    // blocks of rows read the keys transposed, [E, S] per key/value head, made once here
    const bool transpose = block >= 4;
    const std::int64_t nkv = nh / group;
    float* kt = transpose ? aligned_scratch<float, 13>(static_cast<std::size_t>(nkv * d.E * d.S)) : nullptr;
    if (transpose)
      global_pool().parallel_for(static_cast<std::size_t>(nkv), 1, [&](std::size_t b, std::size_t e) {
        for (std::size_t h = b; h < e; ++h) {
          const float* src = kp + static_cast<std::int64_t>(h) * d.S * d.E;
          float* dst = kt + static_cast<std::int64_t>(h) * d.E * d.S;
          for (std::int64_t j0 = 0; j0 < d.S; j0 += 16)  // 16 x E tiles: both sides stay in cache
            for (std::int64_t e0 = 0; e0 < d.E; ++e0)
              for (std::int64_t j = j0; j < std::min(d.S, j0 + 16); ++j) dst[e0 * d.S + j] = src[j * d.E + e0];
        }
      });
    global_pool().parallel_for(static_cast<std::size_t>(nh * blocks), work < serial_work ? static_cast<std::size_t>(nh * blocks) : 1,
                               [&](std::size_t b, std::size_t e) {
      float* scores = aligned_scratch<float, 14>(static_cast<std::size_t>(block * d.S));
      for (std::size_t t = b; t < e; ++t) {
        const std::int64_t h = static_cast<std::int64_t>(t) / blocks, r0 = static_cast<std::int64_t>(t) % blocks * block;
        const std::int64_t r1 = std::min(d.L, r0 + block);
        const std::int64_t kvh = h / d.heads * d.kv_heads + h % d.heads / group;  // batch * kv_heads + kv head
        kernels::attention_head a{qp + h * d.L * d.E, static_cast<std::size_t>(d.E), kp + kvh * d.S * d.E,
                                  static_cast<std::size_t>(d.E), vp + kvh * d.S * d.Ev, static_cast<std::size_t>(d.Ev),
                                  out + h * d.L * d.Ev, static_cast<std::size_t>(d.Ev), static_cast<std::size_t>(d.S), static_cast<std::size_t>(d.E),
                                  static_cast<std::size_t>(d.Ev), scale};
        if (m) {
          std::int64_t off = 0, rem = h;
          for (std::size_t i = d.lead.size(); i-- > 0;) {
            off += rem % d.lead[i] * ms[i];
            rem /= d.lead[i];
          }
          const std::size_t ld = static_cast<std::size_t>(ms[d.lead.size()]);
          if (m->type == dtype::f32) {
            a.mask = m->ptr<float>() + off;
            a.ldm = ld;
          } else {
            a.keep = m->ptr<std::uint8_t>() + off;
            a.ldkeep = ld;
          }
        }
        a.causal = causal;
        a.fill = fill;
        kernels::attention_rows(a, static_cast<std::size_t>(r0), static_cast<std::size_t>(r1), transpose ? kt + kvh * d.E * d.S : nullptr,
                                static_cast<std::size_t>(d.S), scores);
      }
    });
  }
};

}  // namespace cactus::ops
