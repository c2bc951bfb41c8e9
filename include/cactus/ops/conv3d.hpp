#pragma once
// conv3d(x, w, b?, stride, padding, dilation, groups): the convolution of 3 spatial dims
// (Conv3d; ATen's conv3d and convolution() with a 5-D weight are read into it; 1-D and 2-D are
// `conv`). x is [N, C, D, H, W], w [O, C / groups, kD, kH, kW]; padding is a list or 'same' /
// 'valid'. Per sample and group, the input's columns (vol2col, [C/g * taps, positions]) go
// through one GEMM with the kernel: y[O/g, positions] = w[O/g, C/g * taps] . cols.
#include <algorithm>
#include <array>

#include "cactus/kernels/dispatch.hpp"
#include "cactus/ops/op.hpp"

namespace cactus::ops {

struct conv3d_op {
  static constexpr std::string_view name = "conv3d";
  static constexpr arity inputs{7};

  struct geom {
    std::int64_t N = 0, C = 0, O = 0, G = 1;
    std::array<std::int64_t, 3> in{}, out{}, kernel{}, stride{}, pad{}, dil{};
  };

  static std::array<std::int64_t, 3> spatial_arg(const context& c, std::size_t i, const char* what) {
    auto v = c.ints_at(i);
    if (v.size() == 1) v.assign(3, v[0]);
    c.require(v.size() == 3, what, " ", to_string(v), " for 3 spatial dims");
    return {v[0], v[1], v[2]};
  }

  static geom geometry(const context& c) {
    const slot& x = c.tensor_in(0);
    const slot& w = c.tensor_in(1);
    c.require(x.shape.size() == 5 && w.shape.size() == 5, "input ", to_string(x.shape), " and weight ", to_string(w.shape),
              " must be [N, C, D, H, W] and [O, C/groups, kD, kH, kW]");
    geom g;
    g.N = x.shape[0];
    g.C = x.shape[1];
    g.O = w.shape[0];
    g.G = c.int_at(6);
    c.require(g.G > 0 && g.C % g.G == 0 && g.O % g.G == 0 && w.shape[1] * g.G == g.C, "input channels ", g.C, " do not match weight ",
              to_string(w.shape), " with groups=", g.G);
    g.stride = spatial_arg(c, 3, "stride");
    g.dil = spatial_arg(c, 5, "dilation");
    for (std::size_t d = 0; d < 3; ++d) {
      g.in[d] = x.shape[2 + d];
      g.kernel[d] = w.shape[2 + d];
      c.require(g.stride[d] > 0 && g.dil[d] > 0, "stride and dilation must be positive");
    }
    if (c.in(4).k == kind::string) {
      const std::string p = c.string_at(4);
      c.require(p == "valid" || p == "same", "unknown padding '", p, "'");
      for (std::size_t d = 0; d < 3; ++d) {
        const std::int64_t extent = g.dil[d] * (g.kernel[d] - 1);
        c.require(p == "valid" || extent % 2 == 0, "padding='same' with an even kernel extent is not supported");
        g.pad[d] = p == "valid" ? 0 : extent / 2;
      }
    } else {
      g.pad = spatial_arg(c, 4, "padding");
    }
    for (std::size_t d = 0; d < 3; ++d) {
      c.require(g.pad[d] >= 0, "padding must not be negative");
      g.out[d] = (g.in[d] + 2 * g.pad[d] - g.dil[d] * (g.kernel[d] - 1) - 1) / g.stride[d] + 1;
      c.require(g.out[d] > 0, "input ", to_string(x.shape), " is too small for kernel ", to_string(w.shape));
    }
    return g;
  }

  static void infer(context& c) {
    const geom g = geometry(c);
    if (!c.is_none(2)) c.require(c.tensor_in(2).numel() == g.O, "bias must hold ", g.O, " values");
    c.set_tensor(0, dtype::f32, {g.N, g.O, g.out[0], g.out[1], g.out[2]});
  }

  static void run(context& c) {
    const geom g = geometry(c);
    const float* x = c.f32_in(0).ptr<float>();
    const float* w = c.f32_in(1).ptr<float>();
    const float* bias = c.is_none(2) ? nullptr : c.f32_in(2).ptr<float>();
    float* y = c.out(0).ptr<float>();
    const std::int64_t Cg = g.C / g.G, Og = g.O / g.G, taps = g.kernel[0] * g.kernel[1] * g.kernel[2];
    const std::int64_t P = g.in[0] * g.in[1] * g.in[2], Q = g.out[0] * g.out[1] * g.out[2], K = Cg * taps;
    if (Q == 0 || g.N == 0) return;
    std::vector<float> cols(static_cast<std::size_t>(K * Q));
    for (std::int64_t n = 0; n < g.N; ++n)
      for (std::int64_t gi = 0; gi < g.G; ++gi) {
        const float* xg = x + (n * g.C + gi * Cg) * P;
        // row (ci, kd, kh, kw): the input each output position reads through that tap (0 outside)
        for (std::int64_t r = 0; r < K; ++r) {
          const std::int64_t ci = r / taps, t = r % taps;
          const std::int64_t kd = t / (g.kernel[1] * g.kernel[2]), kh = t / g.kernel[2] % g.kernel[1], kw = t % g.kernel[2];
          const float* xc = xg + ci * P;
          float* row = cols.data() + r * Q;
          for (std::int64_t od = 0; od < g.out[0]; ++od) {
            const std::int64_t id = od * g.stride[0] - g.pad[0] + kd * g.dil[0];
            for (std::int64_t oh = 0; oh < g.out[1]; ++oh) {
              const std::int64_t ih = oh * g.stride[1] - g.pad[1] + kh * g.dil[1];
              float* dst = row + (od * g.out[1] + oh) * g.out[2];
              const bool plane = id >= 0 && id < g.in[0] && ih >= 0 && ih < g.in[1];
              for (std::int64_t ow = 0; ow < g.out[2]; ++ow) {
                const std::int64_t iw = ow * g.stride[2] - g.pad[2] + kw * g.dil[2];
                dst[ow] = plane && iw >= 0 && iw < g.in[2] ? xc[(id * g.in[1] + ih) * g.in[2] + iw] : 0.0f;
              }
            }
          }
        }
        float* yg = y + (n * g.O + gi * Og) * Q;
        kernels::gemm_nn(static_cast<std::size_t>(Og), static_cast<std::size_t>(Q), static_cast<std::size_t>(K), w + gi * Og * K,
                         static_cast<std::size_t>(K), cols.data(), static_cast<std::size_t>(Q), yg, static_cast<std::size_t>(Q),
                         bias ? bias + gi * Og : nullptr);
      }
  }
};

}  // namespace cactus::ops
