#pragma once
// conv_transpose(x, w, bias?, stride, padding, output_padding, groups, dilation): the transposed
// convolution of 1 to 3 spatial dims (ConvTranspose1d/2d/3d; ATen's conv_transpose*d and
// convolution(..., transposed=True) are read into it). w is [C_in, C_out / groups, *kernel]. Per
// sample and group, one GEMM makes every kernel tap's contribution, cols[C_out/g * taps, P] =
// w^T . x[C_in/g, P] (P input positions), and col2im adds each tap into the output position
// it lands on. The transposed kernel is made once per node when w is a constant.
#include <algorithm>

#include "cactus/kernels/dispatch.hpp"
#include "cactus/ops/op.hpp"

namespace cactus::ops {

struct conv_transpose_op {
  static constexpr std::string_view name = "conv_transpose";
  static constexpr arity inputs{8};

  struct geom {
    std::size_t k = 0;  // spatial dims
    std::int64_t N = 0, C = 0, O = 0, G = 1;
    shape_t in, out, kernel;
    std::vector<std::int64_t> stride, pad, dil;
  };

  static std::vector<std::int64_t> spatial_arg(const context& c, std::size_t i, std::size_t k, const char* what) {
    auto v = c.ints_at(i);
    if (v.size() == 1 && k > 1) v.assign(k, v[0]);
    c.require(v.size() == k, what, " ", to_string(v), " for ", k, " spatial dims");
    return v;
  }

  static geom geometry(const context& c) {
    const slot& x = c.tensor_in(0);
    const slot& w = c.tensor_in(1);
    geom g;
    c.require(x.shape.size() >= 3 && x.shape.size() <= 5 && w.shape.size() == x.shape.size(), "input ", to_string(x.shape), " and weight ",
              to_string(w.shape), " must be [N, C, *spatial] and [C, O/groups, *kernel] with 1 to 3 spatial dims");
    g.k = x.shape.size() - 2;
    g.N = x.shape[0];
    g.C = x.shape[1];
    g.G = c.int_at(6);
    c.require(g.G > 0 && g.C % g.G == 0 && w.shape[0] == g.C, "weight ", to_string(w.shape), " does not fit ", g.C, " input channels in ", g.G, " groups");
    g.O = w.shape[1] * g.G;
    g.stride = spatial_arg(c, 3, g.k, "stride");
    g.pad = spatial_arg(c, 4, g.k, "padding");
    const auto opad = spatial_arg(c, 5, g.k, "output_padding");
    g.dil = spatial_arg(c, 7, g.k, "dilation");
    for (std::size_t d = 0; d < g.k; ++d) {
      g.in.push_back(x.shape[2 + d]);
      g.kernel.push_back(w.shape[2 + d]);
      c.require(g.stride[d] > 0 && g.dil[d] > 0 && g.pad[d] >= 0 && opad[d] >= 0, "stride and dilation must be positive, padding not negative");
      c.require(opad[d] < g.stride[d] || opad[d] < g.dil[d], "output_padding ", opad[d], " must be smaller than the stride or the dilation");
      const std::int64_t o = (g.in[d] - 1) * g.stride[d] - 2 * g.pad[d] + g.dil[d] * (g.kernel[d] - 1) + opad[d] + 1;
      c.require(o > 0, "the output would have size ", o, " in spatial dim ", d);
      g.out.push_back(o);
    }
    return g;
  }

  static void infer(context& c) {
    const geom g = geometry(c);
    if (!c.is_none(2)) c.require(c.tensor_in(2).numel() == g.O, "bias must hold ", g.O, " values");
    shape_t s{g.N, g.O};
    s.insert(s.end(), g.out.begin(), g.out.end());
    c.set_tensor(0, dtype::f32, s);
  }

  // A_g[(o * taps + t), ci] = w[g * C/G + ci, o, t]: the GEMM's left operand for each group
  static std::vector<float> transposed_kernel(const geom& g, const float* w) {
    const std::int64_t Cg = g.C / g.G, Og = g.O / g.G, taps = numel(g.kernel);
    std::vector<float> a(static_cast<std::size_t>(g.C * Og * taps));
    for (std::int64_t gi = 0; gi < g.G; ++gi)
      for (std::int64_t ci = 0; ci < Cg; ++ci)
        for (std::int64_t o = 0; o < Og; ++o)
          for (std::int64_t t = 0; t < taps; ++t)
            a[static_cast<std::size_t>(((gi * Og + o) * taps + t) * Cg + ci)] = w[((gi * Cg + ci) * Og + o) * taps + t];
    return a;
  }

  static void run(context& c) {
    const geom g = geometry(c);
    const slot& ws = c.in(1);
    const float* w = c.f32_in(1).ptr<float>();
    std::shared_ptr<const std::vector<float>> a;
    if (ws.is_const) a = c.prepared<std::vector<float>>(ws.data, [&] { return transposed_kernel(g, w); });
    else a = std::make_shared<const std::vector<float>>(transposed_kernel(g, w));
    const float* bias = c.is_none(2) ? nullptr : c.f32_in(2).ptr<float>();
    const std::int64_t Cg = g.C / g.G, Og = g.O / g.G, taps = numel(g.kernel), P = numel(g.in), Q = numel(g.out);
    const float* x = c.f32_in(0).ptr<float>();
    float* y = c.out(0).ptr<float>();
    std::vector<float> cols(static_cast<std::size_t>(Og * taps * P));
    // for each tap and input position: the output position it lands on, or -1
    std::vector<std::int64_t> land(static_cast<std::size_t>(taps * P));
    {
      std::vector<std::int64_t> t(g.k, 0), p(g.k, 0);
      for (std::int64_t ti = 0; ti < taps; ++ti) {
        std::int64_t r = ti;
        for (std::size_t d = g.k; d-- > 0;) { t[d] = r % g.kernel[d]; r /= g.kernel[d]; }
        for (std::int64_t pi = 0; pi < P; ++pi) {
          std::int64_t q = pi, at = 0;
          bool inside = true;
          for (std::size_t d = g.k; d-- > 0;) { p[d] = q % g.in[d]; q /= g.in[d]; }
          for (std::size_t d = 0; d < g.k && inside; ++d) {
            const std::int64_t o = p[d] * g.stride[d] - g.pad[d] + t[d] * g.dil[d];
            inside = o >= 0 && o < g.out[d];
            at = at * g.out[d] + o;
          }
          land[static_cast<std::size_t>(ti * P + pi)] = inside ? at : -1;
        }
      }
    }
    for (std::int64_t n = 0; n < g.N; ++n)
      for (std::int64_t gi = 0; gi < g.G; ++gi) {
        const float* xg = x + (n * g.C + gi * Cg) * P;
        kernels::gemm_nn(static_cast<std::size_t>(Og * taps), static_cast<std::size_t>(P), static_cast<std::size_t>(Cg), a->data() + gi * Og * taps * Cg,
                         static_cast<std::size_t>(Cg), xg, static_cast<std::size_t>(P), cols.data(), static_cast<std::size_t>(P), nullptr);
        for (std::int64_t o = 0; o < Og; ++o) {
          float* yo = y + (n * g.O + gi * Og + o) * Q;
          std::fill(yo, yo + Q, bias ? bias[gi * Og + o] : 0.0f);
          for (std::int64_t ti = 0; ti < taps; ++ti) {
            const float* cr = cols.data() + (o * taps + ti) * P;
            const std::int64_t* lr = land.data() + ti * P;
            for (std::int64_t pi = 0; pi < P; ++pi)
              if (lr[pi] >= 0) yo[lr[pi]] += cr[pi];
          }
        }
      }
  }
};

}  // namespace cactus::ops
