#pragma once
// batch_norm in inference form: per-channel scale and shift from the running statistics.
// (Fusion folds it into a preceding conv: ops/conv_module.hpp.)
#include <algorithm>
#include <cmath>

#include "cactus/core/parallel.hpp"
#include "cactus/ops/op.hpp"

namespace cactus::ops {

// batch_norm(x, w?, b?, running_mean, running_var, training, momentum, eps, cudnn): inference form.
struct batch_norm_op {
  static constexpr std::string_view name = "batch_norm";
  static constexpr dims_rule fixed_dims = dims_rule::same;
  static constexpr arity inputs{9};
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
    const float* xp = x.ptr<float>();
    const std::size_t planes = static_cast<std::size_t>(x.shape[0] * C);
    global_pool().parallel_for(planes, std::max<std::size_t>(1, elementwise_grain / static_cast<std::size_t>(std::max<std::int64_t>(inner, 1))),
                               [&](std::size_t p0, std::size_t p1) {
      for (std::size_t p = p0; p < p1; ++p) {
        const std::int64_t ch = static_cast<std::int64_t>(p) % C;
        const float scale = static_cast<float>((w ? w[ch] : 1.0) / std::sqrt(static_cast<double>(var[ch]) + eps));
        const float shift = (b ? b[ch] : 0.0f) - mean[ch] * scale;
        const float* xr = xp + static_cast<std::int64_t>(p) * inner;
        float* yr = y + static_cast<std::int64_t>(p) * inner;
        for (std::int64_t i = 0; i < inner; ++i) yr[i] = xr[i] * scale + shift;
      }
    });
  }
};

}  // namespace cactus::ops
