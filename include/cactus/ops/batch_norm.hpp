#pragma once
// batch_norm: per-channel scale and shift, from the running statistics (inference form; fusion
// folds it into a preceding conv: ops/conv_module.hpp) or, in training form, from the batch's own
// mean and biased variance over N and the spatial dims (torch.export's _native_batch_norm_legit,
// which InstanceNorm decomposes into). The running statistics are not updated: there is no state.
#include <algorithm>
#include <cmath>

#include "cactus/core/parallel.hpp"
#include "cactus/ops/op.hpp"

namespace cactus::ops {

// batch_norm(x, w?, b?, running_mean?, running_var?, training, momentum, eps, cudnn)
struct batch_norm_op {
  static constexpr std::string_view name = "batch_norm";
  static constexpr dims_rule fixed_dims = dims_rule::same;
  static constexpr arity inputs{9};
  static void infer(context& c) {
    const slot& x = c.tensor_in(0);
    c.require(x.shape.size() >= 2, "input must have a channel dim, got ", to_string(x.shape));
    c.require(c.bool_at(5) || (!c.is_none(3) && !c.is_none(4)), "batch_norm in inference form needs running statistics");
    c.set_tensor(0, dtype::f32, x.shape);
  }
  static void run(context& c) {
    const slot& x = c.f32_in(0);
    const std::int64_t C = x.shape[1], inner = x.numel() / std::max<std::int64_t>(1, x.shape[0] * C);
    const float* w = c.is_none(1) ? nullptr : c.f32_in(1).ptr<float>();
    const float* b = c.is_none(2) ? nullptr : c.f32_in(2).ptr<float>();
    const double eps = c.num_at(7);
    std::vector<float> batch_mean, batch_var;
    if (c.bool_at(5)) batch_stats(x, batch_mean, batch_var);
    const float* mean = c.bool_at(5) ? batch_mean.data() : c.f32_in(3).ptr<float>();
    const float* var = c.bool_at(5) ? batch_var.data() : c.f32_in(4).ptr<float>();
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
  // per-channel mean and biased variance over N and the spatial dims, in double
  static void batch_stats(const slot& x, std::vector<float>& mean, std::vector<float>& var) {
    const std::int64_t N = x.shape[0], C = x.shape[1], inner = N * C == 0 ? 0 : x.numel() / (N * C);
    const float* p = x.ptr<float>();
    mean.assign(static_cast<std::size_t>(C), 0.0f);
    var.assign(static_cast<std::size_t>(C), 0.0f);
    const double count = static_cast<double>(std::max<std::int64_t>(1, N * inner));
    for (std::int64_t ch = 0; ch < C; ++ch) {
      double m = 0, ss = 0;
      for (std::int64_t n = 0; n < N; ++n)
        for (std::int64_t i = 0; i < inner; ++i) m += p[(n * C + ch) * inner + i];
      m /= count;
      for (std::int64_t n = 0; n < N; ++n)
        for (std::int64_t i = 0; i < inner; ++i) ss += (p[(n * C + ch) * inner + i] - m) * (p[(n * C + ch) * inner + i] - m);
      mean[static_cast<std::size_t>(ch)] = static_cast<float>(m);
      var[static_cast<std::size_t>(ch)] = static_cast<float>(ss / count);
    }
  }
};

}  // namespace cactus::ops
