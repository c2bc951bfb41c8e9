#pragma once
// cached_conv1d(x, weight, bias?, state, cache_position) = a causal depthwise convolution over
// positions that keeps its state across calls:
//   x [B, C, L] (L new positions), weight [C, 1, K], bias [C] or None, state [B, C, K - 1];
//   with  z = [s, x]  along positions, s the state (zeros when cache_position[0] is 0: a new
//   sequence), out[b, c, i] = bias[c] + sum_t weight[c, 0, t] * z[b, c, i + t]
//   and the state becomes the last K - 1 columns of z.
// For a fresh sequence this is  conv1d(x, weight, bias, padding K - 1, groups C)[..., :L], the
// short convolution of LFM2-style blocks; made by lowering (lower/kv_cache.hpp) from that
// computation, so that one position per call sees the positions before it. Like
// cached_attention it writes into an input, the session's state tensor.
#include <cstring>
#include <vector>

#include "cactus/ops/op.hpp"

namespace cactus::ops {

struct cached_conv1d_op {
  static constexpr std::string_view name = "cached_conv1d";
  static constexpr dims_rule fixed_dims = dims_rule::same;
  static constexpr arity inputs{5};

  static void shapes(const context& c, std::int64_t& B, std::int64_t& C, std::int64_t& L, std::int64_t& K) {
    const slot& x = c.f32_in(0);
    const slot& w = c.f32_in(1);
    const slot& s = c.f32_in(3);
    c.require(x.shape.size() == 3, "x must be [batch, channels, positions], got ", to_string(x.shape));
    B = x.shape[0], C = x.shape[1], L = x.shape[2];
    c.require(w.shape.size() == 3 && w.shape[0] == C && w.shape[1] == 1 && w.shape[2] >= 1, "weight must be [channels, 1, K] for x ",
              to_string(x.shape), ", got ", to_string(w.shape));
    K = w.shape[2];
    c.require(s.shape == shape_t{B, C, K - 1}, "state must be ", to_string(shape_t{B, C, K - 1}), ", got ", to_string(s.shape));
    if (!c.is_none(2)) c.require(c.f32_in(2).numel() == C, "bias must have ", C, " entries, got ", to_string(c.f32_in(2).shape));
    const slot& pos = c.tensor_in(4);
    c.require(pos.type == dtype::i64 && pos.numel() >= 1, "cache_position must be an int64 tensor, got ", name_of(pos.type), " ",
              to_string(pos.shape));
  }
  static void infer(context& c) {
    std::int64_t B, C, L, K;
    shapes(c, B, C, L, K);
    c.set_tensor(0, dtype::f32, {B, C, L});
  }
  static void run(context& c) {
    std::int64_t B, C, L, K;
    shapes(c, B, C, L, K);
    const bool fresh = c.in(4).ptr<std::int64_t>()[0] == 0;
    const float* x = c.in(0).ptr<float>();
    const float* w = c.in(1).ptr<float>();
    const float* bias = c.is_none(2) ? nullptr : c.in(2).ptr<float>();
    float* state = c.in(3).ptr<float>();
    float* y = c.out(0).ptr<float>();
    const std::int64_t S = K - 1;
    std::vector<float> z(static_cast<std::size_t>(S + L));
    for (std::int64_t b = 0; b < B; ++b)
      for (std::int64_t ch = 0; ch < C; ++ch) {
        float* st = state + (b * C + ch) * S;
        const float* xr = x + (b * C + ch) * L;
        if (fresh) std::fill(z.begin(), z.begin() + S, 0.0f);
        else std::copy(st, st + S, z.begin());
        std::copy(xr, xr + L, z.begin() + S);
        const float* wr = w + ch * K;
        float* yr = y + (b * C + ch) * L;
        for (std::int64_t i = 0; i < L; ++i) {
          float acc = bias ? bias[ch] : 0.0f;
          for (std::int64_t t = 0; t < K; ++t) acc += wr[t] * z[static_cast<std::size_t>(i + t)];
          yr[i] = acc;
        }
        std::copy(z.end() - S, z.end(), st);
      }
  }
};

}  // namespace cactus::ops
