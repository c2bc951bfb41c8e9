#pragma once
// grid_sampler_2d(x, grid, interpolation, padding, align_corners): F.grid_sample on [N, C, H, W]
// with a grid [N, Ho, Wo, 2] of (x, y) in [-1, 1]. Interpolation 0 is bilinear, 1 nearest (half to
// even, as nearbyint), 2 bicubic (Keys' kernel with A = -0.75 over 4x4 taps, each tap's
// coordinate padded on its own, as PyTorch does); padding 0 is zeros, 1 border, 2 reflection;
// PyTorch's unnormalize and reflect rules, in float as its CPU kernel computes them.
#include <cmath>

#include "cactus/core/parallel.hpp"
#include "cactus/ops/op.hpp"

namespace cactus::ops {

struct grid_sampler_2d_op {
  static constexpr std::string_view name = "grid_sampler_2d";
  static constexpr arity inputs{5};
  static void infer(context& c) {
    const slot& x = c.tensor_in(0);
    const slot& g = c.tensor_in(1);
    c.require(x.shape.size() == 4 && g.shape.size() == 4 && g.shape[0] == x.shape[0] && g.shape[3] == 2, "input ", to_string(x.shape),
              " and grid ", to_string(g.shape), " must be [N, C, H, W] and [N, Ho, Wo, 2]");
    const std::int64_t mode = c.int_at(2), pad = c.int_at(3);
    c.require(mode >= 0 && mode <= 2, "interpolation mode ", mode, " (0 bilinear, 1 nearest, 2 bicubic)");
    c.require(pad >= 0 && pad <= 2, "padding mode ", pad, " (0 zeros, 1 border, 2 reflection)");
    c.set_tensor(0, dtype::f32, {x.shape[0], x.shape[1], g.shape[1], g.shape[2]});
  }

  static float reflect(float v, float twice_lo, float twice_hi) {
    if (twice_lo == twice_hi) return 0.0f;
    const float lo = twice_lo / 2, span = (twice_hi - twice_lo) / 2;
    v = std::fabs(v - lo);
    const float extra = std::fmod(v, span);
    const auto flips = static_cast<std::int64_t>(std::floor(v / span));
    return flips % 2 == 0 ? extra + lo : span - extra + lo;
  }
  // a grid value in [-1, 1] as a pixel coordinate along a dim of `size`
  static float unnormalize(float g, std::int64_t size, bool align) {
    const float n = static_cast<float>(size);
    return align ? (g + 1) / 2 * (n - 1) : ((g + 1) * n - 1) / 2;
  }
  // a pixel coordinate after the padding mode (reflected, then clipped; zeros leaves it)
  static float padded(float v, std::int64_t size, std::int64_t pad, bool align) {
    const float n = static_cast<float>(size);
    if (pad == 2) v = align ? reflect(v, 0, 2 * (n - 1)) : reflect(v, -1, 2 * n - 1);
    if (pad >= 1) v = std::min(n - 1, std::max(v, 0.0f));
    return v;
  }
  // the source coordinate of a grid value along a dim of `size`
  static float source(float g, std::int64_t size, std::int64_t pad, bool align) { return padded(unnormalize(g, size, align), size, pad, align); }
  // Keys' cubic convolution weights of the 4 taps around a point at fraction t past the second
  static void cubic_weights(float t, float w[4]) {
    constexpr float A = -0.75f;
    auto near = [](float x) { return ((A + 2) * x - (A + 3)) * x * x + 1; };        // |x| <= 1
    auto far = [](float x) { return ((A * x - 5 * A) * x + 8 * A) * x - 4 * A; };   // 1 < |x| < 2
    w[0] = far(t + 1);
    w[1] = near(t);
    w[2] = near(1 - t);
    w[3] = far(2 - t);
  }

  static void run(context& c) {
    const slot& x = c.f32_in(0);
    const slot& gr = c.f32_in(1);
    const std::int64_t N = x.shape[0], C = x.shape[1], H = x.shape[2], W = x.shape[3], Ho = gr.shape[1], Wo = gr.shape[2];
    const bool nearest = c.int_at(2) == 1, bicubic = c.int_at(2) == 2, align = c.bool_at(4);
    const std::int64_t pad = c.int_at(3);
    const float* xp = x.ptr<float>();
    const float* gp = gr.ptr<float>();
    float* y = c.out(0).ptr<float>();
    global_pool().parallel_for(static_cast<std::size_t>(N * Ho), 1, [&](std::size_t r0, std::size_t r1) {
      for (std::size_t r = r0; r < r1; ++r) {
        const std::int64_t n = static_cast<std::int64_t>(r) / Ho, oh = static_cast<std::int64_t>(r) % Ho;
        for (std::int64_t ow = 0; ow < Wo; ++ow) {
          const float* g = gp + ((n * Ho + oh) * Wo + ow) * 2;
          const float ix = bicubic ? unnormalize(g[0], W, align) : source(g[0], W, pad, align);
          const float iy = bicubic ? unnormalize(g[1], H, align) : source(g[1], H, pad, align);
          auto at = [&](std::int64_t ch, std::int64_t yy, std::int64_t xx) {
            return yy >= 0 && yy < H && xx >= 0 && xx < W ? xp[((n * C + ch) * H + yy) * W + xx] : 0.0f;
          };
          const bool finite = std::isfinite(ix) && std::isfinite(iy) && std::fabs(ix) < 1e15f && std::fabs(iy) < 1e15f;
          for (std::int64_t ch = 0; ch < C; ++ch) {
            float v;
            if (!finite) {
              v = 0.0f;  // a coordinate no pixel is near
            } else if (bicubic) {
              const float x0 = std::floor(ix), y0 = std::floor(iy);
              float wx[4], wy[4];
              cubic_weights(ix - x0, wx);
              cubic_weights(iy - y0, wy);
              // each tap's coordinate padded on its own, then read (0 outside)
              auto tap = [&](float yy, float xx) {
                return at(ch, static_cast<std::int64_t>(padded(yy, H, pad, align)), static_cast<std::int64_t>(padded(xx, W, pad, align)));
              };
              v = 0.0f;
              for (int j = 0; j < 4; ++j) {
                const float yy = y0 - 1 + static_cast<float>(j);
                float row = 0.0f;
                for (int i = 0; i < 4; ++i) row += tap(yy, x0 - 1 + static_cast<float>(i)) * wx[i];
                v += row * wy[j];
              }
            } else if (nearest) {
              v = at(ch, static_cast<std::int64_t>(std::nearbyint(iy)), static_cast<std::int64_t>(std::nearbyint(ix)));
            } else {
              const float x0 = std::floor(ix), y0 = std::floor(iy), x1 = x0 + 1, y1 = y0 + 1;
              const auto xi = static_cast<std::int64_t>(x0), yi = static_cast<std::int64_t>(y0);
              v = at(ch, yi, xi) * ((x1 - ix) * (y1 - iy)) + at(ch, yi, xi + 1) * ((ix - x0) * (y1 - iy)) +
                  at(ch, yi + 1, xi) * ((x1 - ix) * (iy - y0)) + at(ch, yi + 1, xi + 1) * ((ix - x0) * (iy - y0));
            }
            y[((n * C + ch) * Ho + oh) * Wo + ow] = v;
          }
        }
      }
    });
  }
};

}  // namespace cactus::ops
