#pragma once
// max_pool / avg_pool (1-D, 2-D, 3-D; stride, padding, dilation, ceil_mode) and adaptive average
// pooling (1 to 3 spatial dims), on NCL / NCHW / NCDHW tensors. max_pool3d also gives the indices
// (within each plane) that max_pool3d_with_indices returns.
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
  const std::size_t n = one_d ? 1 : 2, rank = x.shape.size();
  c.require(rank == n + 1 || rank == n + 2, "input must be ", one_d ? "(N, C, L) or (C, L)" : "(N, C, H, W) or (C, H, W)", ", got ",
            to_string(x.shape));
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
  g.planes = 1;  // every dim before the pooled ones (an unbatched input is one batch)
  for (std::size_t i = 0; i + n < rank; ++i) g.planes *= x.shape[i];
  g.H = one_d ? 1 : x.shape[rank - 2];
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
  shape_t s = x.shape;
  s.back() = g.OW;
  if (!g.one_d) s[s.size() - 2] = g.OH;
  return s;
}

template <bool Max, bool OneD>
struct pool_body {
  static constexpr bool has_dilation = Max;
  static void infer(context& c) {
    const slot& x = c.tensor_in(0);
    const shape_t s = pool_shape(x, pool_geometry(c, OneD, has_dilation));
    c.set_tensor(0, dtype::f32, s);
    if (Max && c.num_outputs() > 1) c.set_tensor(1, dtype::i64, s);  // max_pool*_with_indices
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
      if (c.num_outputs() > 1) max_with_indices(g, x, y, c.out(1).ptr<std::int64_t>());
      else max_rows(g, x, y);
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

  // Max pooling with PyTorch's indices (the flat position in the input plane of the first
  // maximum; a NaN wins): one window at a time.
  static void max_with_indices(const pool_geom& g, const float* x, float* y, std::int64_t* yi) {
    for (std::int64_t pl = 0; pl < g.planes; ++pl)
      for (std::int64_t oh = 0; oh < g.OH; ++oh)
        for (std::int64_t ow = 0; ow < g.OW; ++ow) {
          float best = -std::numeric_limits<float>::infinity();
          std::int64_t at = -1;
          for (std::int64_t i = 0; i < g.kh; ++i) {
            const std::int64_t ih = oh * g.sh - g.ph + i * g.dh;
            if (ih < 0 || ih >= g.H) continue;
            for (std::int64_t j = 0; j < g.kw; ++j) {
              const std::int64_t iw = ow * g.sw - g.pw + j * g.dw;
              if (iw < 0 || iw >= g.W) continue;
              const float v = x[pl * g.H * g.W + ih * g.W + iw];
              if (at < 0 || v > best || (v != v && best == best)) { best = v; at = ih * g.W + iw; }
            }
          }
          y[(pl * g.OH + oh) * g.OW + ow] = best;
          yi[(pl * g.OH + oh) * g.OW + ow] = at;
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
  static constexpr arity outputs{1, 2};  // values[, indices]
};
struct max_pool1d_op : detail::pool_body<true, true> {
  static constexpr std::string_view name = "max_pool1d";
  static constexpr arity inputs{6};
  static constexpr arity outputs{1, 2};
};
struct avg_pool2d_op : detail::pool_body<false, false> {
  static constexpr std::string_view name = "avg_pool2d";
  static constexpr arity inputs{7};
};
struct avg_pool1d_op : detail::pool_body<false, true> {
  static constexpr std::string_view name = "avg_pool1d";
  static constexpr arity inputs{6};
};

namespace detail {
// 3-D pooling geometry: (x, kernel, stride, padding[, dilation]) for [N, C, D, H, W]
struct pool3_geom {
  std::int64_t planes;
  std::int64_t in[3], k[3], s[3], p[3], d[3], out[3];
};
inline pool3_geom pool3_geometry(const context& c, bool has_dilation) {
  const slot& x = c.tensor_in(0);
  c.require(x.shape.size() == 5 || x.shape.size() == 4, "input must be (N, C, D, H, W) or (C, D, H, W), got ", to_string(x.shape));
  const std::size_t lead = x.shape.size() - 3;
  auto three = [&](std::vector<std::int64_t> v, const char* what) {
    if (v.size() == 1) v.assign(3, v[0]);
    c.require(v.size() == 3, what, " ", to_string(v), " must have 3 values");
    return v;
  };
  const auto k = three(c.ints_at(1), "kernel_size");
  auto st = c.ints_at(2);
  st = three(st.empty() ? k : st, "stride");
  const auto p = three(c.ints_at(3), "padding");
  const auto d = has_dilation ? three(c.ints_at(4), "dilation") : std::vector<std::int64_t>{1, 1, 1};
  const bool ceil_mode = c.bool_at(has_dilation ? 5 : 4);
  pool3_geom g{};
  g.planes = lead == 2 ? x.shape[0] * x.shape[1] : x.shape[0];
  for (int i = 0; i < 3; ++i) {
    g.in[i] = x.shape[lead + static_cast<std::size_t>(i)];
    g.k[i] = k[static_cast<std::size_t>(i)]; g.s[i] = st[static_cast<std::size_t>(i)];
    g.p[i] = p[static_cast<std::size_t>(i)]; g.d[i] = d[static_cast<std::size_t>(i)];
    c.require(g.k[i] > 0 && g.s[i] > 0 && g.d[i] > 0 && g.p[i] >= 0 && 2 * g.p[i] <= g.k[i], "kernel, stride and dilation must be positive, padding at most half the kernel");
    g.out[i] = pool_out(g.in[i], g.k[i], g.s[i], g.p[i], g.d[i], ceil_mode);
    c.require(g.out[i] > 0, "input ", to_string(x.shape), " is too small for the pooling window");
  }
  return g;
}

// the output shape of a 3-D pool: the input's leading dims, then the pooled ones
inline shape_t pool3_shape(const slot& x, const pool3_geom& g) {
  shape_t s(x.shape.begin(), x.shape.end() - 3);
  s.insert(s.end(), {g.out[0], g.out[1], g.out[2]});
  return s;
}
}  // namespace detail

// max_pool3d(x, kernel, stride, padding, dilation, ceil_mode) -> values[, indices]: NaN wins
struct max_pool3d_op {
  static constexpr std::string_view name = "max_pool3d";
  static constexpr arity inputs{6};
  static constexpr arity outputs{1, 2};
  static void infer(context& c) {
    const auto g = detail::pool3_geometry(c, true);
    const slot& x = c.tensor_in(0);
    const shape_t s = detail::pool3_shape(x, g);
    c.set_tensor(0, dtype::f32, s);
    if (c.num_outputs() > 1) c.set_tensor(1, dtype::i64, s);
  }
  static void run(context& c) {
    const auto g = detail::pool3_geometry(c, true);
    const float* x = c.f32_in(0).ptr<float>();
    float* y = c.out(0).ptr<float>();
    std::int64_t* yi = c.num_outputs() > 1 ? c.out(1).ptr<std::int64_t>() : nullptr;
    const std::int64_t in_plane = g.in[0] * g.in[1] * g.in[2], out_plane = g.out[0] * g.out[1] * g.out[2];
    for (std::int64_t pl = 0; pl < g.planes; ++pl)
      for (std::int64_t o = 0; o < out_plane; ++o) {
        const std::int64_t od = o / (g.out[1] * g.out[2]), oh = o / g.out[2] % g.out[1], ow = o % g.out[2];
        float best = -std::numeric_limits<float>::infinity();
        std::int64_t at = -1;
        for (std::int64_t a = 0; a < g.k[0]; ++a) {
          const std::int64_t id = od * g.s[0] - g.p[0] + a * g.d[0];
          if (id < 0 || id >= g.in[0]) continue;
          for (std::int64_t b = 0; b < g.k[1]; ++b) {
            const std::int64_t ih = oh * g.s[1] - g.p[1] + b * g.d[1];
            if (ih < 0 || ih >= g.in[1]) continue;
            for (std::int64_t e = 0; e < g.k[2]; ++e) {
              const std::int64_t iw = ow * g.s[2] - g.p[2] + e * g.d[2];
              if (iw < 0 || iw >= g.in[2]) continue;
              const std::int64_t idx = (id * g.in[1] + ih) * g.in[2] + iw;
              const float v = x[pl * in_plane + idx];
              if (at < 0 || v > best || (v != v && best == best)) { best = v; at = idx; }
            }
          }
        }
        y[pl * out_plane + o] = best;
        if (yi) yi[pl * out_plane + o] = at;
      }
  }
};

// avg_pool3d(x, kernel, stride, padding, ceil_mode, count_include_pad, divisor_override?)
struct avg_pool3d_op {
  static constexpr std::string_view name = "avg_pool3d";
  static constexpr arity inputs{7};
  static void infer(context& c) {
    const auto g = detail::pool3_geometry(c, false);
    const slot& x = c.tensor_in(0);
    c.set_tensor(0, dtype::f32, detail::pool3_shape(x, g));
  }
  static void run(context& c) {
    const auto g = detail::pool3_geometry(c, false);
    const bool include_pad = c.bool_at(5);
    const std::int64_t divisor = c.is_none(6) ? 0 : c.int_at(6);
    const float* x = c.f32_in(0).ptr<float>();
    float* y = c.out(0).ptr<float>();
    const std::int64_t in_plane = g.in[0] * g.in[1] * g.in[2], out_plane = g.out[0] * g.out[1] * g.out[2];
    for (std::int64_t pl = 0; pl < g.planes; ++pl)
      for (std::int64_t o = 0; o < out_plane; ++o) {
        const std::int64_t oi[3] = {o / (g.out[1] * g.out[2]), o / g.out[2] % g.out[1], o % g.out[2]};
        std::int64_t lo[3], hi[3], padded = 1;
        for (int i = 0; i < 3; ++i) {
          const std::int64_t start = oi[i] * g.s[i] - g.p[i], end = std::min(start + g.k[i], g.in[i] + g.p[i]);
          padded *= end - start;
          lo[i] = std::max<std::int64_t>(start, 0);
          hi[i] = std::min(end, g.in[i]);
        }
        float acc = 0.0f;
        for (std::int64_t a = lo[0]; a < hi[0]; ++a)
          for (std::int64_t b = lo[1]; b < hi[1]; ++b)
            for (std::int64_t e = lo[2]; e < hi[2]; ++e) acc += x[pl * in_plane + (a * g.in[1] + b) * g.in[2] + e];
        const std::int64_t cnt = (hi[0] - lo[0]) * (hi[1] - lo[1]) * (hi[2] - lo[2]);
        y[pl * out_plane + o] = acc / static_cast<float>(divisor ? divisor : include_pad ? padded : cnt);
      }
  }
};

// adaptive_avg_pool{1,2,3}d(x, output_size): PyTorch's start/end index rule.
struct adaptive_avg_pool_op {
  static constexpr std::string_view name = "adaptive_avg_pool";
  static constexpr arity inputs{2};
  static void infer(context& c) {
    const slot& x = c.tensor_in(0);
    auto os = c.ints_at(1);
    c.require(!os.empty() && os.size() <= 3 && (x.shape.size() == os.size() + 2 || x.shape.size() == os.size() + 1), "input ",
              to_string(x.shape), " does not match output_size ", to_string(os), " (batched or not)");
    const std::size_t lead = x.shape.size() - os.size();
    shape_t s(x.shape.begin(), x.shape.begin() + static_cast<std::ptrdiff_t>(lead));
    for (std::size_t i = 0; i < os.size(); ++i) s.push_back(os[i] < 0 ? x.shape[lead + i] : os[i]);
    c.set_tensor(0, dtype::f32, s);
  }
  static void run(context& c) {
    const slot& x = c.f32_in(0);
    const slot& y = c.out(0);
    const std::size_t k = c.ints_at(1).size(), lead = x.shape.size() - k;
    std::int64_t in[3] = {1, 1, 1}, out[3] = {1, 1, 1};
    for (std::size_t i = 0; i < k; ++i) { in[3 - k + i] = x.shape[lead + i]; out[3 - k + i] = y.shape[lead + i]; }
    std::int64_t planes = 1;
    for (std::size_t i = 0; i < lead; ++i) planes *= x.shape[i];
    const std::int64_t in_plane = in[0] * in[1] * in[2], out_plane = out[0] * out[1] * out[2];
    const float* xp = x.ptr<float>();
    float* yp = y.ptr<float>();
    for (std::int64_t pl = 0; pl < planes; ++pl)
      for (std::int64_t o = 0; o < out_plane; ++o) {
        const std::int64_t oi[3] = {o / (out[1] * out[2]), o / out[2] % out[1], o % out[2]};
        std::int64_t lo[3], hi[3];
        for (int i = 0; i < 3; ++i) { lo[i] = oi[i] * in[i] / out[i]; hi[i] = ((oi[i] + 1) * in[i] + out[i] - 1) / out[i]; }
        double acc = 0;
        for (std::int64_t a = lo[0]; a < hi[0]; ++a)
          for (std::int64_t b = lo[1]; b < hi[1]; ++b)
            for (std::int64_t e = lo[2]; e < hi[2]; ++e) acc += xp[pl * in_plane + (a * in[1] + b) * in[2] + e];
        yp[pl * out_plane + o] = static_cast<float>(acc / static_cast<double>((hi[0] - lo[0]) * (hi[1] - lo[1]) * (hi[2] - lo[2])));
      }
  }
};

}  // namespace cactus::ops
