#pragma once
// conv(x, w, b?, stride, padding, dilation, groups): 1-D and 2-D convolution, the canonical
// form of aten::conv1d/conv2d/_convolution. Dense groups run as im2col + the NT GEMM kernel
// (output lands in NCHW directly); depthwise convs run a direct loop.
#include "cactus/kernels/dispatch.hpp"
#include "cactus/ops/op.hpp"

namespace cactus::ops {

namespace detail {
struct conv_geom {
  std::int64_t N, C, H, W, O, kh, kw, sh, sw, ph, pw, dh, dw, G, OH, OW;
  bool one_d;
};

inline conv_geom conv_geometry(const context& c) {
  const slot& x = c.tensor_in(0);
  const slot& w = c.tensor_in(1);
  const std::size_t sd = w.shape.size() - 2;
  c.require(sd == 1 || sd == 2, "only 1-D and 2-D convolutions are supported (weight ", to_string(w.shape), ")");
  c.require(x.shape.size() == sd + 2, "input ", to_string(x.shape), " must be ", sd + 2, "-D (batched) for this weight ", to_string(w.shape));
  conv_geom g{};
  g.one_d = sd == 1;
  g.N = x.shape[0];
  g.C = x.shape[1];
  g.H = g.one_d ? 1 : x.shape[2];
  g.W = x.shape.back();
  g.O = w.shape[0];
  g.kh = g.one_d ? 1 : w.shape[2];
  g.kw = w.shape.back();
  auto stride = expand_arg(c.ints_at(3), sd), dil = expand_arg(c.ints_at(5), sd);
  g.G = c.int_at(6);
  std::vector<std::int64_t> pad;
  if (c.in(4).k == kind::string) {
    std::string p = c.string_at(4);
    if (p == "valid") pad.assign(sd, 0);
    else if (p == "same") {
      for (std::size_t i = 0; i < sd; ++i) {
        std::int64_t k = w.shape[2 + i], dd = dil[i];
        c.require((dd * (k - 1)) % 2 == 0, "padding='same' with an even kernel extent is not supported");
        pad.push_back(dd * (k - 1) / 2);
      }
    } else c.fail("unknown padding '", p, "'");
  } else pad = expand_arg(c.ints_at(4), sd);
  g.sh = g.one_d ? 1 : stride[0];
  g.sw = stride.back();
  g.ph = g.one_d ? 0 : pad[0];
  g.pw = pad.back();
  g.dh = g.one_d ? 1 : dil[0];
  g.dw = dil.back();
  c.require(g.G > 0 && g.C % g.G == 0 && g.O % g.G == 0 && w.shape[1] * g.G == g.C, "input channels ", g.C, " do not match weight ",
            to_string(w.shape), " with groups=", g.G);
  g.OH = (g.H + 2 * g.ph - g.dh * (g.kh - 1) - 1) / g.sh + 1;
  g.OW = (g.W + 2 * g.pw - g.dw * (g.kw - 1) - 1) / g.sw + 1;
  c.require(g.OH > 0 && g.OW > 0, "input ", to_string(x.shape), " is too small for kernel ", to_string(w.shape));
  return g;
}
}  // namespace detail

struct conv_op {
  static constexpr std::string_view name = "conv";
  static constexpr std::array<std::string_view, 0> aten{};  // canonicalize maps conv1d/conv2d/_convolution here
  static constexpr bool f16_weights = true;
  static void infer(context& c) {
    auto g = detail::conv_geometry(c);
    if (g.one_d) c.set_tensor(0, dtype::f32, {g.N, g.O, g.OW});
    else c.set_tensor(0, dtype::f32, {g.N, g.O, g.OH, g.OW});
  }
  static void run(context& c) {
    auto g = detail::conv_geometry(c);
    const slot& xs = c.f32_in(0);
    const slot& ws = c.in(1);
    const float* bias = c.is_none(2) ? nullptr : c.f32_in(2).ptr<float>();
    const float* x = xs.ptr<float>();
    float* y = c.out(0).ptr<float>();
    std::vector<float> wf;
    const float* w = ws.ptr<float>();
    if (ws.type == dtype::f16) {
      tensor t = ws.view().to_f32();
      wf.assign(t.ptr<float>(), t.ptr<float>() + t.numel());
      w = wf.data();
    }
    const std::int64_t Cg = g.C / g.G, Og = g.O / g.G, P = g.OH * g.OW, K = Cg * g.kh * g.kw;
    if (Cg == 1 && Og == 1) {  // depthwise
      for (std::int64_t n = 0; n < g.N; ++n)
        for (std::int64_t ch = 0; ch < g.C; ++ch) {
          const float* xc = x + (n * g.C + ch) * g.H * g.W;
          const float* wc = w + ch * g.kh * g.kw;
          float* yc = y + (n * g.O + ch) * P;
          for (std::int64_t oh = 0; oh < g.OH; ++oh)
            for (std::int64_t ow = 0; ow < g.OW; ++ow) {
              float acc = bias ? bias[ch] : 0.0f;
              for (std::int64_t i = 0; i < g.kh; ++i) {
                const std::int64_t ih = oh * g.sh - g.ph + i * g.dh;
                if (ih < 0 || ih >= g.H) continue;
                for (std::int64_t j = 0; j < g.kw; ++j) {
                  const std::int64_t iw = ow * g.sw - g.pw + j * g.dw;
                  if (iw >= 0 && iw < g.W) acc += xc[ih * g.W + iw] * wc[i * g.kw + j];
                }
              }
              yc[oh * g.OW + ow] = acc;
            }
        }
      return;
    }
    std::vector<float> col(static_cast<std::size_t>(P * K));
    for (std::int64_t n = 0; n < g.N; ++n)
      for (std::int64_t grp = 0; grp < g.G; ++grp) {
        // col[p, (c, i, j)] = x[n, grp*Cg + c, oh*sh - ph + i*dh, ow*sw - pw + j*dw]
        for (std::int64_t oh = 0; oh < g.OH; ++oh)
          for (std::int64_t ow = 0; ow < g.OW; ++ow) {
            float* row = col.data() + (oh * g.OW + ow) * K;
            for (std::int64_t ch = 0; ch < Cg; ++ch) {
              const float* xc = x + (n * g.C + grp * Cg + ch) * g.H * g.W;
              for (std::int64_t i = 0; i < g.kh; ++i) {
                const std::int64_t ih = oh * g.sh - g.ph + i * g.dh;
                for (std::int64_t j = 0; j < g.kw; ++j) {
                  const std::int64_t iw = ow * g.sw - g.pw + j * g.dw;
                  *row++ = (ih >= 0 && ih < g.H && iw >= 0 && iw < g.W) ? xc[ih * g.W + iw] : 0.0f;
                }
              }
            }
          }
        float* yg = y + (n * g.O + grp * Og) * P;
        kernels::gemm_nt(static_cast<std::size_t>(Og), static_cast<std::size_t>(P), static_cast<std::size_t>(K), w + grp * Og * K,
                         static_cast<std::size_t>(K), col.data(), false, static_cast<std::size_t>(K), yg, static_cast<std::size_t>(P), nullptr);
        if (bias)
          for (std::int64_t o = 0; o < Og; ++o) {
            const float b = bias[grp * Og + o];
            kernels::binary(kernels::binary_kind::add, yg + o * P, 1, &b, 0, yg + o * P, static_cast<std::size_t>(P));
          }
      }
  }
};

// batch_norm(x, w?, b?, running_mean, running_var, training, momentum, eps, cudnn): inference form.
struct batch_norm_op {
  static constexpr std::string_view name = "batch_norm";
  static constexpr std::array<std::string_view, 1> aten{"aten::batch_norm"};
  static void infer(context& c) {
    const slot& x = c.tensor_in(0);
    c.require(x.shape.size() >= 2, "input must have a channel dim, got ", to_string(x.shape));
    c.require(!c.bool_at(5), "training-mode batch_norm is not supported (call model.eval() before export)");
    c.require(!c.is_none(3) && !c.is_none(4), "batch_norm without running statistics is not supported");
    c.set_tensor(0, dtype::f32, x.shape);
  }
  static void run(context& c) {
    const slot& x = c.f32_in(0);
    const std::int64_t C = x.shape[1], inner = x.numel() / std::max<std::int64_t>(1, x.shape[0] * C);
    const float* w = c.is_none(1) ? nullptr : c.f32_in(1).ptr<float>();
    const float* b = c.is_none(2) ? nullptr : c.f32_in(2).ptr<float>();
    const float* mean = c.f32_in(3).ptr<float>();
    const float* var = c.f32_in(4).ptr<float>();
    const double eps = c.num_at(7);
    float* y = c.out(0).ptr<float>();
    for (std::int64_t n = 0; n < x.shape[0]; ++n)
      for (std::int64_t ch = 0; ch < C; ++ch) {
        const float scale = static_cast<float>((w ? w[ch] : 1.0) / std::sqrt(static_cast<double>(var[ch]) + eps));
        const float shift = (b ? b[ch] : 0.0f) - mean[ch] * scale;
        const float* xr = x.ptr<float>() + (n * C + ch) * inner;
        float* yr = y + (n * C + ch) * inner;
        for (std::int64_t i = 0; i < inner; ++i) yr[i] = xr[i] * scale + shift;
      }
  }
};

}  // namespace cactus::ops
