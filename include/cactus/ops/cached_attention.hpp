#pragma once
// cached_attention(q, k, v, k_cache, v_cache, cache_position, scale?, divide, window) =
//     causal self-attention of L new positions over a KV cache, the cache appended in place:
//   p = cache_position[0] (the absolute position of the first new row);
//   k_cache[..., p : p + L, :] = k, v_cache[..., p : p + L, :] = v   (converted to the cache dtype)
//   out[..., i, :] = softmax(s(q[i] . K^T)) . V over positions j with  j <= p + i  and, when
//                    window > 0, j > p + i - window (a sliding window)
// With window > 0 the cache is a ring of T rows (position j in row j mod T; T is the window, or
// fewer when no sequence gets that long): the prompt comes in one call at p = 0 (its window rows
// are attended from k and v, and only its last T rows kept), then one position per call.
// q [B, H, L, E], k [B, Hk, L, E], v [B, Hk, L, Ev] (f32); k_cache [B, Hk, T, E] and v_cache
// [B, Hk, T, Ev], both f32, both f16, or both i8 with scales k_scale [B, Hk, T, E / 32] and
// v_scale [B, Hk, T, Ev / 32] (inputs 9 and 10: one f32 per 32 features of a row, max |x| / 127),
// T >= p + L; cache_position an int64 tensor. Hk divides
// H (grouped-query attention). s as attention's (scale, divide; None: 1 / sqrt(E)).
// Made by lowering (lower/kv_cache.hpp) from a causal self-attention; the caches are session
// state (runtime/session.hpp), written here and nowhere else. The only op that writes into its
// inputs: the graph input it writes is the session's own tensor, bound without a copy.
// A prompt's first chunk (p = 0, no window) attends over its own f32 k and v (the blocked
// kernel of `attention`); later rows read the cache (kernels::cached_attention_rows, f32 or f16).
#include <cmath>
#include <cstring>

#include "cactus/kernels/dispatch.hpp"
#include "cactus/ops/attention.hpp"

namespace cactus::ops {

struct cached_attention_op {
  static constexpr std::string_view name = "cached_attention";
  static constexpr arity inputs{9, 11};  // + k_scale, v_scale for an int8 cache

  struct dims {
    std::int64_t B, H, Hk, L, E, Ev, T;
  };
  static dims shapes(const context& c) {
    const slot& q = c.f32_in(0);
    const slot& k = c.f32_in(1);
    const slot& v = c.f32_in(2);
    const slot& kc = c.tensor_in(3);
    const slot& vc = c.tensor_in(4);
    c.require(q.shape.size() == 4 && k.shape.size() == 4 && v.shape.size() == 4, "q ", to_string(q.shape), ", k ", to_string(k.shape), " and v ",
              to_string(v.shape), " must be [batch, heads, positions, features]");
    dims d{q.shape[0], q.shape[1], k.shape[1], q.shape[2], q.shape[3], v.shape[3], 0};
    c.require(k.shape[0] == d.B && v.shape[0] == d.B && k.shape[2] == d.L && v.shape[2] == d.L && k.shape[3] == d.E && v.shape[1] == d.Hk, "k ",
              to_string(k.shape), " and v ", to_string(v.shape), " do not match q ", to_string(q.shape));
    c.require(d.Hk > 0 && d.H % d.Hk == 0, "the query heads (", d.H, ") must be a multiple of the key/value heads (", d.Hk, ")");
    c.require(kc.type == vc.type && (kc.type == dtype::f32 || kc.type == dtype::f16 || kc.type == dtype::i8),
              "the caches must both be f32, f16 or i8, got ", name_of(kc.type), " and ", name_of(vc.type));
    c.require(kc.shape.size() == 4 && vc.shape.size() == 4 && kc.shape[0] == d.B && kc.shape[1] == d.Hk && kc.shape[3] == d.E &&
                  vc.shape[0] == d.B && vc.shape[1] == d.Hk && vc.shape[3] == d.Ev && vc.shape[2] == kc.shape[2],
              "caches ", to_string(kc.shape), " and ", to_string(vc.shape), " do not fit k ", to_string(k.shape), " and v ", to_string(v.shape));
    d.T = kc.shape[2];
    if (kc.type == dtype::i8) {
      c.require(c.num_inputs() == 11, "an int8 cache needs its scales (inputs k_scale and v_scale)");
      c.require(d.E % 32 == 0 && d.Ev % 32 == 0, "an int8 KV cache needs key and value sizes that are multiples of 32, got ", d.E, " and ",
                d.Ev);
      const slot& ks = c.f32_in(9);
      const slot& vs = c.f32_in(10);
      c.require(ks.shape == shape_t{d.B, d.Hk, d.T, d.E / 32} && vs.shape == shape_t{d.B, d.Hk, d.T, d.Ev / 32}, "int8 cache scales ",
                to_string(ks.shape), " and ", to_string(vs.shape), " must be one per 32 features of the caches' rows");
    }
    const slot& pos = c.tensor_in(5);
    c.require(pos.type == dtype::i64 && pos.numel() >= 1, "cache_position must be an int64 tensor, got ", name_of(pos.type), " ",
              to_string(pos.shape));
    return d;
  }
  static void infer(context& c) {
    const dims d = shapes(c);
    c.require(c.int_at(8) >= 0, "window must be 0 (none) or positive, got ", c.int_at(8));
    c.set_tensor(0, dtype::f32, {d.B, d.H, d.L, d.Ev});
  }
  // int8 with one scale per 32 features: scale = max |x| / 127, x ~ scale * code
  static void quantize_row(const float* x, std::int64_t n, std::int8_t* codes, float* scales) {
    for (std::int64_t g = 0; g < n / 32; ++g) {
      float amax = 0.0f;
      for (std::int64_t i = 0; i < 32; ++i) amax = std::max(amax, std::fabs(x[g * 32 + i]));
      const float s = amax / 127.0f, inv = amax > 0 ? 127.0f / amax : 0.0f;
      scales[g] = s;
      for (std::int64_t i = 0; i < 32; ++i) codes[g * 32 + i] = static_cast<std::int8_t>(std::lrint(x[g * 32 + i] * inv));
    }
  }
  static void run(context& c) {
    const dims d = shapes(c);
    const std::int64_t p = c.in(5).ptr<std::int64_t>()[0];
    const std::int64_t window = c.int_at(8);
    const bool ring = window > 0;
    if (ring) {
      c.require(p >= 0 && (d.L == 1 || p == 0), "a sliding-window cache takes the prompt in one call (at position 0), then one position per call; got ",
                d.L, " positions at position ", p);
      c.require(d.T == window || p + d.L <= d.T, "the sliding-window cache's ", d.T, " rows hold neither the window (", window,
                ") nor positions up to ", p + d.L - 1);
    } else {
      c.require(p >= 0 && p + d.L <= d.T, "positions ", p, " to ", p + d.L - 1, " do not fit the cache's ", d.T,
                " positions (it is sized for the prompt and --max-new-tokens)");
    }
    const float scale = attention_op::scale_of(c, 6, 7, d.E);
    const bool f16 = c.in(3).type == dtype::f16, i8 = c.in(3).type == dtype::i8;
    const std::size_t esz = i8 ? 1 : f16 ? 2 : 4;
    float* kscale = i8 ? static_cast<float*>(c.in(9).data) : nullptr;
    float* vscale = i8 ? static_cast<float*>(c.in(10).data) : nullptr;
    auto* kc = static_cast<unsigned char*>(c.in(3).data);
    auto* vc = static_cast<unsigned char*>(c.in(4).data);
    const float* k = c.in(1).ptr<float>();
    const float* v = c.in(2).ptr<float>();
    // append: row (b, hk, i) of k and v goes to cache row p + i (a ring: (p + i) mod T, and only
    // the last T of the new rows)
    const std::int64_t first_new = ring ? std::max<std::int64_t>(0, d.L - d.T) : 0;
    global_pool().parallel_for(static_cast<std::size_t>(d.B * d.Hk), 1, [&](std::size_t b0, std::size_t b1) {
      for (std::size_t bh = b0; bh < b1; ++bh)
        for (std::int64_t i = first_new; i < d.L; ++i) {
          const std::int64_t row = static_cast<std::int64_t>(bh) * d.T + (ring ? (p + i) % d.T : p + i);
          const float* ks = k + (static_cast<std::int64_t>(bh) * d.L + i) * d.E;
          const float* vs = v + (static_cast<std::int64_t>(bh) * d.L + i) * d.Ev;
          if (i8) {
            quantize_row(ks, d.E, reinterpret_cast<std::int8_t*>(kc) + row * d.E, kscale + row * (d.E / 32));
            quantize_row(vs, d.Ev, reinterpret_cast<std::int8_t*>(vc) + row * d.Ev, vscale + row * (d.Ev / 32));
          } else if (f16) {
            auto* kd = reinterpret_cast<std::uint16_t*>(kc) + row * d.E;
            auto* vd = reinterpret_cast<std::uint16_t*>(vc) + row * d.Ev;
            kernels::f32_to_f16_span(ks, kd, static_cast<std::size_t>(d.E));
            kernels::f32_to_f16_span(vs, vd, static_cast<std::size_t>(d.Ev));
          } else {
            std::memcpy(kc + static_cast<std::size_t>(row * d.E) * esz, ks, static_cast<std::size_t>(d.E) * esz);
            std::memcpy(vc + static_cast<std::size_t>(row * d.Ev) * esz, vs, static_cast<std::size_t>(d.Ev) * esz);
          }
        }
    });
    float* out = c.out(0).ptr<float>();
    if (p == 0 && !ring) {  // nothing cached before: the new rows are all there is
      attention_op::dims a;
      a.lead = {d.B, d.H};
      a.heads = d.H;
      a.kv_heads = d.Hk;
      a.L = a.S = d.L;
      a.E = d.E;
      a.Ev = d.Ev;
      attention_op::compute(a, c.in(0).ptr<float>(), k, v, out, scale, true, nullptr, -INFINITY);
      return;
    }
    // one task per (batch, kv head, position): the group's query rows read each key row once.
    // Keys come from the new f32 rows (a window at position 0), or from the cache: its rows 0..p,
    // or, for a full ring, all T rows (the window's positions in ring order; softmax(q K^T) V does
    // not depend on the order of the keys).
    const bool from_new = ring && p == 0;
    const std::int64_t group = d.H / d.Hk, tasks = d.B * d.Hk * d.L;
    const float* q = c.in(0).ptr<float>();
    const std::size_t work = static_cast<std::size_t>(d.H * d.L * (p + d.L) * (d.E + d.Ev));
    global_pool().parallel_for(static_cast<std::size_t>(tasks), work < serial_work ? static_cast<std::size_t>(tasks) : 1,
                               [&](std::size_t t0, std::size_t t1) {
      float* scores = aligned_scratch<float, 17>(static_cast<std::size_t>(group * (p + d.L)));
      for (std::size_t t = t0; t < t1; ++t) {
        const std::int64_t i = static_cast<std::int64_t>(t) % d.L, bh = static_cast<std::int64_t>(t) / d.L;  // bh = b * Hk + hk
        const std::int64_t b = bh / d.Hk, h0 = bh % d.Hk * group;
        const std::int64_t qrow = ((b * d.H + h0) * d.L + i);
        const std::int64_t last = p + i;
        std::int64_t first = window > 0 ? std::max<std::int64_t>(0, last + 1 - window) : 0, n = last + 1 - first;
        const void* kr;
        const void* vr;
        if (from_new) {
          kr = k + (bh * d.L + first) * d.E;
          vr = v + (bh * d.L + first) * d.Ev;
        } else {
          if (ring && last + 1 > d.T) first = 0, n = d.T;  // the whole ring is the window
          kr = kc + static_cast<std::size_t>((bh * d.T + first) * d.E) * esz;
          vr = vc + static_cast<std::size_t>((bh * d.T + first) * d.Ev) * esz;
        }
        if (i8 && !from_new) {
          const std::int64_t srow = bh * d.T + first;
          kernels::cached_attention_rows_i8(q + qrow * d.E, static_cast<std::size_t>(d.L * d.E), static_cast<std::size_t>(group),
                                            static_cast<const std::int8_t*>(kr), kscale + srow * (d.E / 32), static_cast<std::size_t>(d.E),
                                            static_cast<std::size_t>(d.E / 32), static_cast<const std::int8_t*>(vr), vscale + srow * (d.Ev / 32),
                                            static_cast<std::size_t>(d.Ev), static_cast<std::size_t>(d.Ev / 32), static_cast<std::size_t>(n),
                                            static_cast<std::size_t>(d.E),
                                            static_cast<std::size_t>(d.Ev), scale, out + qrow * d.Ev, static_cast<std::size_t>(d.L * d.Ev), scores);
          continue;
        }
        kernels::cached_attention_rows(q + qrow * d.E, static_cast<std::size_t>(d.L * d.E), static_cast<std::size_t>(group), kr,
                                       static_cast<std::size_t>(d.E), vr, static_cast<std::size_t>(d.Ev), f16 && !from_new,
                                       static_cast<std::size_t>(n), static_cast<std::size_t>(d.E), static_cast<std::size_t>(d.Ev), scale,
                                       out + qrow * d.Ev, static_cast<std::size_t>(d.L * d.Ev), scores);
      }
    });
  }
};

}  // namespace cactus::ops
