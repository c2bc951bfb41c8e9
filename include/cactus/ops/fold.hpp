#pragma once
// Sliding blocks: im2col(x [N, C, H, W], kernel, dilation, padding, stride) -> [N, C*kh*kw, L]
// (F.unfold) and its adjoint col2im(cols [N, C*kh*kw, L], output_size, kernel, dilation,
// padding, stride) -> [N, C, H, W] (F.fold), which adds the blocks where they overlap. L is the
// number of block positions. Unbatched inputs (no N) are taken as N = 1 and given back so.
#include "cactus/ops/op.hpp"

namespace cactus::ops {

namespace detail {
struct fold_geom {
  std::int64_t kh, kw, dh, dw, ph, pw, sh, sw, H, W, bh, bw;  // bh, bw: block positions per dim
};
// (kernel, dilation, padding, stride) from inputs first..first+3, over an H x W image
inline fold_geom fold_geometry(const context& c, std::size_t first, std::int64_t H, std::int64_t W) {
  auto two = [&](std::size_t i, const char* what) {
    auto v = c.ints_at(i);
    if (v.size() == 1) v.push_back(v[0]);
    c.require(v.size() == 2, what, " ", to_string(v), " must have 2 values");
    return v;
  };
  const auto k = two(first, "kernel_size"), d = two(first + 1, "dilation"), p = two(first + 2, "padding"), s = two(first + 3, "stride");
  fold_geom g{k[0], k[1], d[0], d[1], p[0], p[1], s[0], s[1], H, W, 0, 0};
  c.require(g.kh > 0 && g.kw > 0 && g.dh > 0 && g.dw > 0 && g.sh > 0 && g.sw > 0 && g.ph >= 0 && g.pw >= 0,
            "kernel, dilation and stride must be positive, padding not negative");
  g.bh = (H + 2 * g.ph - g.dh * (g.kh - 1) - 1) / g.sh + 1;
  g.bw = (W + 2 * g.pw - g.dw * (g.kw - 1) - 1) / g.sw + 1;
  c.require(g.bh > 0 && g.bw > 0, "a ", H, "x", W, " image holds no ", g.kh, "x", g.kw, " block");
  return g;
}
// visits (channel-tap row r = (ch * kh + i) * kw + j, block l, image offset or -1)
template <class F>
void for_each_tap(const fold_geom& g, std::int64_t C, F&& f) {
  for (std::int64_t ch = 0; ch < C; ++ch)
    for (std::int64_t i = 0; i < g.kh; ++i)
      for (std::int64_t j = 0; j < g.kw; ++j) {
        const std::int64_t r = (ch * g.kh + i) * g.kw + j;
        for (std::int64_t bi = 0; bi < g.bh; ++bi) {
          const std::int64_t y = bi * g.sh - g.ph + i * g.dh;
          for (std::int64_t bj = 0; bj < g.bw; ++bj) {
            const std::int64_t x = bj * g.sw - g.pw + j * g.dw;
            const bool in = y >= 0 && y < g.H && x >= 0 && x < g.W;
            f(r, bi * g.bw + bj, in ? (ch * g.H + y) * g.W + x : -1);
          }
        }
      }
}
}  // namespace detail

struct im2col_op {
  static constexpr std::string_view name = "im2col";
  static constexpr arity inputs{5};
  static void infer(context& c) {
    const slot& x = c.tensor_in(0);
    c.require(x.shape.size() == 3 || x.shape.size() == 4, "input must be [N, C, H, W] or [C, H, W], got ", to_string(x.shape));
    const auto r = x.shape.size();
    const auto g = detail::fold_geometry(c, 1, x.shape[r - 2], x.shape[r - 1]);
    shape_t s{x.shape[r - 3] * g.kh * g.kw, g.bh * g.bw};
    if (r == 4) s.insert(s.begin(), x.shape[0]);
    c.set_tensor(0, dtype::f32, s);
  }
  static void run(context& c) {
    const slot& x = c.f32_in(0);
    const auto r = x.shape.size();
    const std::int64_t N = r == 4 ? x.shape[0] : 1, C = x.shape[r - 3];
    const auto g = detail::fold_geometry(c, 1, x.shape[r - 2], x.shape[r - 1]);
    const std::int64_t L = g.bh * g.bw, rows = C * g.kh * g.kw;
    float* y = c.out(0).ptr<float>();
    for (std::int64_t n = 0; n < N; ++n) {
      const float* xp = x.ptr<float>() + n * C * g.H * g.W;
      float* yp = y + n * rows * L;
      detail::for_each_tap(g, C, [&](std::int64_t row, std::int64_t l, std::int64_t at) { yp[row * L + l] = at < 0 ? 0.0f : xp[at]; });
    }
  }
};

struct col2im_op {
  static constexpr std::string_view name = "col2im";
  static constexpr arity inputs{6};
  static void infer(context& c) {
    const slot& x = c.tensor_in(0);
    c.require(x.shape.size() == 2 || x.shape.size() == 3, "input must be [N, C*kh*kw, L] or [C*kh*kw, L], got ", to_string(x.shape));
    auto os = c.ints_at(1);
    if (os.size() == 1) os.push_back(os[0]);
    c.require(os.size() == 2, "output_size ", to_string(os), " must have 2 values");
    const auto g = detail::fold_geometry(c, 2, os[0], os[1]);
    const auto r = x.shape.size();
    c.require(x.shape[r - 2] % (g.kh * g.kw) == 0, "dim ", r - 2, " (", x.shape[r - 2], ") is not a multiple of the kernel's ", g.kh * g.kw, " taps");
    c.require(x.shape[r - 1] == g.bh * g.bw, "holds ", x.shape[r - 1], " blocks; a ", os[0], "x", os[1], " image has ", g.bh * g.bw);
    shape_t s{x.shape[r - 2] / (g.kh * g.kw), os[0], os[1]};
    if (r == 3) s.insert(s.begin(), x.shape[0]);
    c.set_tensor(0, dtype::f32, s);
  }
  static void run(context& c) {
    const slot& x = c.f32_in(0);
    const auto r = x.shape.size();
    auto os = c.ints_at(1);
    if (os.size() == 1) os.push_back(os[0]);
    const auto g = detail::fold_geometry(c, 2, os[0], os[1]);
    const std::int64_t N = r == 3 ? x.shape[0] : 1, C = x.shape[r - 2] / (g.kh * g.kw), L = g.bh * g.bw;
    float* y = c.out(0).ptr<float>();
    std::fill(y, y + N * C * g.H * g.W, 0.0f);
    for (std::int64_t n = 0; n < N; ++n) {
      const float* xp = x.ptr<float>() + n * C * g.kh * g.kw * L;
      float* yp = y + n * C * g.H * g.W;
      detail::for_each_tap(g, C, [&](std::int64_t row, std::int64_t l, std::int64_t at) { if (at >= 0) yp[at] += xp[row * L + l]; });
    }
  }
};

}  // namespace cactus::ops
