#pragma once
// max_pool / avg_pool (1-D, 2-D; stride, padding, dilation, ceil_mode) and adaptive average
// pooling, on NCHW / NCL tensors.
#include <cmath>
#include <limits>

#include "cactus/ops/op.hpp"

namespace cactus::ops {

namespace detail {
struct pool_geom {
  std::int64_t planes, H, W, kh, kw, sh, sw, ph, pw, dh, dw, OH, OW;
  bool one_d;
};

inline std::int64_t pool_out(std::int64_t in, std::int64_t k, std::int64_t s, std::int64_t p, std::int64_t d, bool ceil_mode) {
  std::int64_t num = in + 2 * p - d * (k - 1) - 1;
  std::int64_t o = (ceil_mode ? (num + s - 1) / s : num / s) + 1;
  if (ceil_mode && (o - 1) * s >= in + p) --o;  // last window must start inside the input
  return o;
}

// args: x, kernel, stride, padding, [dilation], ceil_mode position given by caller
inline pool_geom pool_geometry(const context& c, bool one_d, bool has_dilation) {
  const slot& x = c.tensor_in(0);
  c.require(x.shape.size() == (one_d ? 3u : 4u), "input must be ", one_d ? "3-D (N, C, L)" : "4-D (N, C, H, W)", ", got ", to_string(x.shape));
  const std::size_t n = one_d ? 1 : 2;
  auto k = expand_arg(c.ints_at(1), n);
  auto s = c.ints_at(2);
  if (s.empty()) s = k;
  s = expand_arg(s, n);
  auto p = expand_arg(c.ints_at(3), n);
  std::vector<std::int64_t> d(n, 1);
  if (has_dilation) d = expand_arg(c.ints_at(4), n);
  const bool ceil_mode = c.bool_at(has_dilation ? 5 : 4);
  pool_geom g{};
  g.one_d = one_d;
  g.planes = x.shape[0] * x.shape[1];
  g.H = one_d ? 1 : x.shape[2];
  g.W = x.shape.back();
  g.kh = one_d ? 1 : k[0]; g.kw = k.back();
  g.sh = one_d ? 1 : s[0]; g.sw = s.back();
  g.ph = one_d ? 0 : p[0]; g.pw = p.back();
  g.dh = one_d ? 1 : d[0]; g.dw = d.back();
  c.require(2 * g.pw <= g.kw && 2 * g.ph <= g.kh, "padding must be at most half the kernel size");
  g.OH = one_d ? 1 : pool_out(g.H, g.kh, g.sh, g.ph, g.dh, ceil_mode);
  g.OW = pool_out(g.W, g.kw, g.sw, g.pw, g.dw, ceil_mode);
  c.require(g.OH > 0 && g.OW > 0, "input ", to_string(x.shape), " is too small for the pooling window");
  return g;
}

inline shape_t pool_shape(const slot& x, const pool_geom& g) {
  return g.one_d ? shape_t{x.shape[0], x.shape[1], g.OW} : shape_t{x.shape[0], x.shape[1], g.OH, g.OW};
}

template <bool Max, bool OneD>
struct pool_body {
  static constexpr bool has_dilation = Max;
  static void infer(context& c) {
    const slot& x = c.tensor_in(0);
    c.set_tensor(0, dtype::f32, pool_shape(x, pool_geometry(c, OneD, has_dilation)));
  }
  static void run(context& c) {
    auto g = pool_geometry(c, OneD, has_dilation);
    const float* x = c.f32_in(0).ptr<float>();
    float* y = c.out(0).ptr<float>();
    bool count_include_pad = true;
    std::int64_t divisor = 0;
    if constexpr (!Max) {
      count_include_pad = c.bool_at(5);
      if (c.num_inputs() > 6 && !c.is_none(6)) divisor = c.int_at(6);
    }
    if constexpr (Max) {
      max_rows(g, x, y);
      return;
    }
    for (std::int64_t pl = 0; pl < g.planes; ++pl) {
      const float* xp = x + pl * g.H * g.W;
      float* yp = y + pl * g.OH * g.OW;
      for (std::int64_t oh = 0; oh < g.OH; ++oh)
        for (std::int64_t ow = 0; ow < g.OW; ++ow) {
          const std::int64_t h0 = oh * g.sh - g.ph, w0 = ow * g.sw - g.pw;
          float acc = 0.0f;
          std::int64_t cnt = 0;
          for (std::int64_t i = 0; i < g.kh; ++i) {
            const std::int64_t ih = h0 + i * g.dh;
            if (ih < 0 || ih >= g.H) continue;
            for (std::int64_t j = 0; j < g.kw; ++j) {
              const std::int64_t iw = w0 + j * g.dw;
              if (iw < 0 || iw >= g.W) continue;
              acc += xp[ih * g.W + iw];
              ++cnt;
            }
          }
          std::int64_t he = std::min(h0 + g.kh, g.H + g.ph), we = std::min(w0 + g.kw, g.W + g.pw);
          std::int64_t padded = (he - h0) * (we - w0);
          acc /= static_cast<float>(divisor ? divisor : count_include_pad ? padded : cnt);
          yp[oh * g.OW + ow] = acc;
        }
    }
  }

  // Max pooling row by row: for each kernel tap, one pass over the output columns where the tap
  // lands inside the input (no per-element bounds checks, so the compiler vectorizes it). NaN
  // propagates as in PyTorch: a NaN input wins, and stays.
  static void max_rows(const pool_geom& g, const float* x, float* y) {
    for (std::int64_t pl = 0; pl < g.planes; ++pl) {
      const float* xp = x + pl * g.H * g.W;
      for (std::int64_t oh = 0; oh < g.OH; ++oh) {
        float* yr = y + (pl * g.OH + oh) * g.OW;
        std::fill(yr, yr + g.OW, -std::numeric_limits<float>::infinity());
        for (std::int64_t i = 0; i < g.kh; ++i) {
          const std::int64_t ih = oh * g.sh - g.ph + i * g.dh;
          if (ih < 0 || ih >= g.H) continue;
          for (std::int64_t j = 0; j < g.kw; ++j) {
            const std::int64_t off = j * g.dw - g.pw;
            const auto [lo, hi] = tap_columns(off, g.sw, g.W, g.OW);
            const float* xr = xp + ih * g.W + off;
            const std::int64_t sw = g.sw;
            for (std::int64_t ow = lo; ow < hi; ++ow) {
              const float v = xr[ow * sw], a = yr[ow];
              yr[ow] = (v > a || v != v) ? v : a;
            }
          }
        }
      }
    }
  }
};
}  // namespace detail

struct max_pool2d_op : detail::pool_body<true, false> {
  static constexpr std::string_view name = "max_pool2d";
  static constexpr arity inputs{6};
};
struct max_pool1d_op : detail::pool_body<true, true> {
  static constexpr std::string_view name = "max_pool1d";
  static constexpr arity inputs{6};
};
struct avg_pool2d_op : detail::pool_body<false, false> {
  static constexpr std::string_view name = "avg_pool2d";
  static constexpr arity inputs{7};
};
struct avg_pool1d_op : detail::pool_body<false, true> {
  static constexpr std::string_view name = "avg_pool1d";
  static constexpr arity inputs{6};
};

// adaptive_avg_pool{1,2}d(x, output_size): PyTorch's start/end index rule.
struct adaptive_avg_pool_op {
  static constexpr std::string_view name = "adaptive_avg_pool";
  static constexpr arity inputs{2};
  static void infer(context& c) {
    const slot& x = c.tensor_in(0);
    auto os = c.ints_at(1);
    c.require(x.shape.size() == os.size() + 2, "input ", to_string(x.shape), " does not match output_size ", to_string(os));
    shape_t s = {x.shape[0], x.shape[1]};
    for (std::size_t i = 0; i < os.size(); ++i) s.push_back(os[i] < 0 ? x.shape[2 + i] : os[i]);
    c.set_tensor(0, dtype::f32, s);
  }
  static void run(context& c) {
    const slot& x = c.f32_in(0);
    const slot& y = c.out(0);
    const bool one_d = x.shape.size() == 3;
    const std::int64_t planes = x.shape[0] * x.shape[1];
    const std::int64_t H = one_d ? 1 : x.shape[2], W = x.shape.back();
    const std::int64_t OH = one_d ? 1 : y.shape[2], OW = y.shape.back();
    for (std::int64_t pl = 0; pl < planes; ++pl)
      for (std::int64_t oh = 0; oh < OH; ++oh) {
        const std::int64_t h0 = oh * H / OH, h1 = ((oh + 1) * H + OH - 1) / OH;
        for (std::int64_t ow = 0; ow < OW; ++ow) {
          const std::int64_t w0 = ow * W / OW, w1 = ((ow + 1) * W + OW - 1) / OW;
          double acc = 0;
          for (std::int64_t i = h0; i < h1; ++i)
            for (std::int64_t j = w0; j < w1; ++j) acc += x.ptr<float>()[(pl * H + i) * W + j];
          y.ptr<float>()[(pl * OH + oh) * OW + ow] = static_cast<float>(acc / static_cast<double>((h1 - h0) * (w1 - w0)));
        }
      }
  }
};

}  // namespace cactus::ops
