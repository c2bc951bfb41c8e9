#pragma once
// group_norm(x, groups, weight?, bias?, eps, cudnn_enabled): ATen's group_norm (torch.export's
// native_group_norm is read into it). The channels of each sample are split into `groups`
// groups; each group is normalized by its own mean and biased variance (computed in double), then
// scaled and shifted per channel. InstanceNorm is group_norm with one channel per group.
// Outputs 1 and 2, present only when the graph reads them (native_group_norm's statistics), are
// the mean and 1/sqrt(var + eps) of each group, [N, groups].
#include <cmath>

#include "cactus/core/parallel.hpp"
#include "cactus/ops/op.hpp"

namespace cactus::ops {

struct group_norm_op {
  static constexpr std::string_view name = "group_norm";
  static constexpr dims_rule fixed_dims = dims_rule::same;
  static constexpr arity inputs{5, 6};
  static constexpr arity outputs{1, 3};  // y[, mean, rstd]
  static void infer(context& c) {
    const slot& x = c.tensor_in(0);
    c.require(x.shape.size() >= 2, "input must be [N, C, ...], got ", to_string(x.shape));
    const std::int64_t g = c.int_at(1);
    c.require(g > 0 && x.shape[1] % g == 0, "the channels (", x.shape[1], ") must split into ", g, " groups");
    for (std::size_t i : {std::size_t{2}, std::size_t{3}})
      if (!c.is_none(i)) c.require(c.tensor_in(i).numel() == x.shape[1], "input ", i, " must hold one value per channel (", x.shape[1], ")");
    c.set_tensor(0, dtype::f32, x.shape);
    for (std::size_t o = 1; o < c.num_outputs(); ++o) c.set_tensor(o, dtype::f32, {x.shape[0], g});
  }
  static void run(context& c) {
    const slot& x = c.f32_in(0);
    const std::int64_t N = x.shape[0], C = x.shape[1], G = c.int_at(1), inner = N * C == 0 ? 0 : x.numel() / (N * C);
    const std::int64_t per = C / G * inner;  // elements of one group
    const float* w = c.is_none(2) ? nullptr : c.f32_in(2).ptr<float>();
    const float* b = c.is_none(3) ? nullptr : c.f32_in(3).ptr<float>();
    const double eps = c.num_at(4);
    const float* xp = x.ptr<float>();
    float* y = c.out(0).ptr<float>();
    float* mean_out = c.num_outputs() > 1 ? c.out(1).ptr<float>() : nullptr;
    float* rstd_out = c.num_outputs() > 1 ? c.out(2).ptr<float>() : nullptr;
    global_pool().parallel_for(static_cast<std::size_t>(N * G), 1, [&](std::size_t g0, std::size_t g1) {
      for (std::size_t gi = g0; gi < g1; ++gi) {
        const float* xr = xp + static_cast<std::int64_t>(gi) * per;
        float* yr = y + static_cast<std::int64_t>(gi) * per;
        double mean = 0, ss = 0;
        for (std::int64_t i = 0; i < per; ++i) mean += xr[i];
        mean /= static_cast<double>(std::max<std::int64_t>(per, 1));
        for (std::int64_t i = 0; i < per; ++i) ss += (xr[i] - mean) * (xr[i] - mean);
        const double rstd = 1.0 / std::sqrt(ss / static_cast<double>(std::max<std::int64_t>(per, 1)) + eps);
        if (mean_out) {
          mean_out[gi] = static_cast<float>(mean);
          rstd_out[gi] = static_cast<float>(rstd);
        }
        const std::int64_t c0 = static_cast<std::int64_t>(gi) % G * (C / G);
        for (std::int64_t ch = 0; ch < C / G; ++ch) {
          const double scale = rstd * (w ? w[c0 + ch] : 1.0f);
          const double shift = (b ? b[c0 + ch] : 0.0f) - mean * scale;
          const float s = static_cast<float>(scale), t = static_cast<float>(shift);
          for (std::int64_t i = 0; i < inner; ++i) yr[ch * inner + i] = xr[ch * inner + i] * s + t;
        }
      }
    });
  }
};

}  // namespace cactus::ops
