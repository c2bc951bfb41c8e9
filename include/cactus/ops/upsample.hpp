#pragma once
// upsample(x, output_size?, scales?, mode, align_corners): resizing the spatial dims of an
// [N, C, *spatial] tensor (1 to 3 of them), the op behind F.interpolate. Modes: "nearest"
// (PyTorch's floor rule), "nearest-exact" (pixel centres) and "linear" (linear, bilinear or
// trilinear: each output is a weighted sum of the 2^k nearest inputs). The output size is given,
// or floor(size * scale). As in PyTorch, a given scale sets the source-index step (1 / scale),
// otherwise it is in / out; coordinates are computed in float, as ATen's CPU kernels do. The
// front ends read ATen's upsample_nearest{1,2,3}d, _upsample_nearest_exact{1,2,3}d,
// upsample_linear1d, upsample_bilinear2d and upsample_trilinear3d into it.
#include <cmath>

#include "cactus/core/parallel.hpp"
#include "cactus/ops/op.hpp"

namespace cactus::ops {

struct upsample_op {
  static constexpr std::string_view name = "upsample";
  static constexpr arity inputs{5};

  struct axis {
    std::int64_t in, out;
    std::vector<std::int64_t> lo, hi;  // source indices (hi = lo for nearest)
    std::vector<float> w_hi;           // weight of hi (linear); lo gets 1 - w_hi
  };

  static std::vector<double> scales(const context& c, std::size_t spatial) {
    if (c.is_none(2)) return {};
    std::vector<double> s;
    const slot& a = c.in(2);
    if (a.k == kind::floats) s = a.m.floats;
    else if (a.k == kind::ints) for (auto v : a.m.ints) s.push_back(static_cast<double>(v));
    else s.push_back(c.num_at(2));
    if (s.size() == 1 && spatial > 1) s.assign(spatial, s[0]);
    c.require(s.size() == spatial, "scales ", s.size(), " for ", spatial, " spatial dims");
    return s;
  }

  static shape_t out_shape(const context& c, const shape_t& x) {
    c.require(x.size() >= 3 && x.size() <= 5, "input must be [N, C, ...] with 1 to 3 spatial dims, got ", to_string(x));
    const std::size_t k = x.size() - 2;
    shape_t s(x.begin(), x.begin() + 2);
    if (!c.is_none(1)) {
      auto o = c.ints_at(1);
      if (o.size() == 1 && k > 1) o.assign(k, o[0]);
      c.require(o.size() == k, "output_size ", to_string(o), " for ", k, " spatial dims");
      s.insert(s.end(), o.begin(), o.end());
    } else {
      const auto sc = scales(c, k);
      c.require(!sc.empty(), "needs an output size or scale factors");
      for (std::size_t d = 0; d < k; ++d) s.push_back(static_cast<std::int64_t>(std::floor(static_cast<double>(x[2 + d]) * sc[d])));
    }
    for (std::size_t d = 2; d < s.size(); ++d) c.require(s[d] > 0, "output size ", to_string(s), " must be positive");
    return s;
  }

  static void infer(context& c) {
    const slot& x = c.tensor_in(0);
    const std::string mode = c.string_at(3);
    c.require(mode == "nearest" || mode == "nearest-exact" || mode == "linear", "mode '", mode, "' (nearest, nearest-exact and linear are supported)");
    c.set_tensor(0, dtype::f32, out_shape(c, x.shape));
  }

  static axis make_axis(std::int64_t in, std::int64_t out, std::optional<double> scale, const std::string& mode, bool align) {
    axis a{in, out, {}, {}, {}};
    // ATen's area_pixel_compute_scale, in float
    float step;
    if (mode == "linear" && align) step = out > 1 ? static_cast<float>(in - 1) / static_cast<float>(out - 1) : 0.0f;
    else if (scale && *scale > 0) step = static_cast<float>(1.0 / *scale);
    else step = static_cast<float>(in) / static_cast<float>(out);
    for (std::int64_t o = 0; o < out; ++o) {
      if (mode == "nearest") {
        const std::int64_t i = out == in ? o : std::min(static_cast<std::int64_t>(std::floor(static_cast<float>(o) * step)), in - 1);
        a.lo.push_back(i);
        a.hi.push_back(i);
        a.w_hi.push_back(0.0f);
      } else if (mode == "nearest-exact") {
        const std::int64_t i = std::min(static_cast<std::int64_t>(std::floor((static_cast<float>(o) + 0.5f) * step)), in - 1);
        a.lo.push_back(i);
        a.hi.push_back(i);
        a.w_hi.push_back(0.0f);
      } else {
        float src = align ? step * static_cast<float>(o) : std::max(step * (static_cast<float>(o) + 0.5f) - 0.5f, 0.0f);
        const std::int64_t i = std::min(static_cast<std::int64_t>(src), in - 1);
        a.lo.push_back(i);
        a.hi.push_back(i < in - 1 ? i + 1 : i);
        a.w_hi.push_back(src - static_cast<float>(i));
      }
    }
    return a;
  }

  static void run(context& c) {
    const slot& x = c.f32_in(0);
    slot& y = c.out(0);
    const std::string mode = c.string_at(3);
    const bool align = !c.is_none(4) && c.bool_at(4);
    const std::size_t k = x.shape.size() - 2;
    const auto sc = scales(c, k);
    std::vector<axis> axes;
    for (std::size_t d = 0; d < k; ++d)
      axes.push_back(make_axis(x.shape[2 + d], y.shape[2 + d], sc.empty() ? std::nullopt : std::optional(sc[d]), mode, align));
    // strides of the spatial dims in x
    std::vector<std::int64_t> xs(k, 1);
    for (std::size_t d = k - 1; d-- > 0;) xs[d] = xs[d + 1] * x.shape[3 + d];
    const std::int64_t in_plane = xs[0] * x.shape[2];
    std::int64_t out_plane = 1;
    for (std::size_t d = 0; d < k; ++d) out_plane *= y.shape[2 + d];
    const std::int64_t planes = x.shape[0] * x.shape[1];
    const float* xp = x.ptr<float>();
    float* yp = y.ptr<float>();
    const std::size_t corners = mode == "linear" ? std::size_t{1} << k : 1;
    global_pool().parallel_for(static_cast<std::size_t>(planes), 1, [&](std::size_t p0, std::size_t p1) {
      std::vector<std::int64_t> idx(k);
      for (std::size_t p = p0; p < p1; ++p) {
        const float* src = xp + static_cast<std::int64_t>(p) * in_plane;
        float* dst = yp + static_cast<std::int64_t>(p) * out_plane;
        std::fill(idx.begin(), idx.end(), 0);
        for (std::int64_t o = 0; o < out_plane; ++o) {
          float acc = 0.0f;
          for (std::size_t m = 0; m < corners; ++m) {
            float w = 1.0f;
            std::int64_t off = 0;
            for (std::size_t d = 0; d < k; ++d) {
              const axis& a = axes[d];
              const auto i = static_cast<std::size_t>(idx[d]);
              const bool hi = (m >> (k - 1 - d)) & 1;
              off += (hi ? a.hi[i] : a.lo[i]) * xs[d];
              if (corners > 1) w *= hi ? a.w_hi[i] : 1.0f - a.w_hi[i];
            }
            acc += w * src[off];
          }
          dst[o] = acc;
          for (std::size_t d = k; d-- > 0;) {
            if (++idx[d] < y.shape[2 + d]) break;
            idx[d] = 0;
          }
        }
      }
    });
  }
};

}  // namespace cactus::ops
