#pragma once
// conv_module(x, w, b?, stride, padding, dilation, groups, bn_weight?, bn_bias?, bn_mean?, bn_var?,
//             eps?, act) = act(batch_norm(conv(x, w, b, ...))), act 0 = none, 1 = relu, 2 = silu,
// 3 = relu6. Without batch-norm inputs (None) it is act(conv(...)). Produced by
// patterns/rules/conv_module.hpp.
// The batch norm folds into one scale and shift per output channel,
//     s = bn_weight / sqrt(bn_var + eps),  t = bn_bias + (b - bn_mean) * s,
// applied with the activation in a single pass over each output plane (kernels::affine_act):
// the conv weights themselves stay as converted (mmapped, possibly f16 or quantized) instead
// of being rewritten into a folded copy.
#include <cmath>

#include "cactus/ops/conv.hpp"

namespace cactus::ops {

struct conv_module_op {
  static constexpr std::string_view name = "conv_module";
  static constexpr std::array<std::string_view, 0> aten{};
  static constexpr bool f16_weights = false;
  static bool has_bn(const context& c) { return !c.is_none(9) && !c.is_none(10); }
  static void infer(context& c) {
    conv_op::infer(c);
    const std::int64_t O = c.tensor_in(1).shape[0];
    if (has_bn(c))
      for (std::size_t i = 7; i <= 10; ++i)
        if (!c.is_none(i)) c.require(c.tensor_in(i).numel() == O, "batch norm input ", i, " has ", c.in(i).numel(), " elements for ", O, " channels");
    c.require(c.int_at(12) >= 0 && c.int_at(12) <= 3, "unknown conv_module activation code ", c.int_at(12));
  }
  static void run(context& c) {
    const auto g = detail::conv_geometry(c);
    const float* bias = c.is_none(2) ? nullptr : c.f32_in(2).ptr<float>();
    const bool bn = has_bn(c);
    float* y = c.out(0).ptr<float>();
    detail::conv_forward(g, c.f32_in(0).ptr<float>(), c.f32_in(1).ptr<float>(), bn ? nullptr : bias, y);
    const auto a = c.int_at(12);
    if (!bn && a == 0) return;
    const kernels::unary_kind act = a == 2 ? kernels::unary_kind::silu : a == 3 ? kernels::unary_kind::clamp : kernels::unary_kind::relu;
    // per-channel scale and shift (identity without batch norm)
    float* st = scratch<float, 12>(static_cast<std::size_t>(2 * g.O));
    for (std::int64_t o = 0; o < g.O; ++o) {
      double s = 1, t = 0;
      if (bn) {
        const double gamma = c.is_none(7) ? 1.0 : c.f32_in(7).ptr<float>()[o], beta = c.is_none(8) ? 0.0 : c.f32_in(8).ptr<float>()[o];
        s = gamma / std::sqrt(static_cast<double>(c.f32_in(10).ptr<float>()[o]) + c.num_at(11));
        t = beta + ((bias ? bias[o] : 0.0) - c.f32_in(9).ptr<float>()[o]) * s;
      }
      st[static_cast<std::size_t>(2 * o)] = static_cast<float>(s);
      st[static_cast<std::size_t>(2 * o + 1)] = static_cast<float>(t);
    }
    const std::size_t P = static_cast<std::size_t>(g.OH * g.OW), planes = static_cast<std::size_t>(g.N * g.O);
    global_pool().parallel_for(planes, std::max<std::size_t>(1, elementwise_grain / std::max<std::size_t>(P, 1)), [&](std::size_t b, std::size_t e) {
      for (std::size_t p = b; p < e; ++p) {
        const std::size_t o = p % static_cast<std::size_t>(g.O);
        kernels::affine_act(y + p * P, y + p * P, P, st[2 * o], st[2 * o + 1], a != 0, act, 0.0f, 6.0f);
      }
    });
  }
};

}  // namespace cactus::ops
