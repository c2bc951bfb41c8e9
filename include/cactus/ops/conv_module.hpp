#pragma once
// conv_module(x, w, b?, stride, padding, dilation, groups, bn_weight?, bn_bias?, bn_mean?, bn_var?,
//             eps?, act) = act(batch_norm(conv(x, w, b, ...))), act 0 = none, 1 = relu, 2 = silu,
// 3 = relu6. Without batch-norm inputs (None) it is act(conv(...)). Produced by
// patterns/rules/conv_module.hpp.
// The batch norm folds into one scale and shift per output channel,
//     s = bn_weight / sqrt(bn_var + eps),  t = bn_bias + (b - bn_mean) * s,
// applied with the activation to each output tile as the conv writes it (ops/conv.hpp,
// conv_epilogue; kernels::affine_act): the conv weights themselves stay as converted
// (mmapped, possibly f16 or quantized) instead of being rewritten into a folded copy.
#include <cmath>

#include "cactus/ops/conv.hpp"

namespace cactus::ops {

struct conv_module_op {
  static constexpr std::string_view name = "conv_module";
  static constexpr arity inputs{13};
  static constexpr bool f16_weights = false;
  static constexpr std::uint32_t packed_on_request = 1u << 1;  // as conv's
  static bool packed_faster(std::size_t k, const shape_t& w) { return conv_op::packed_faster(k, w); }
  static int choose(const context& c) { return detail::conv_choose(c); }  // as conv's
  static const char* choice_name(int code) { return detail::conv_choice_name(code); }
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
    const auto a = c.int_at(12);
    float* y = c.out(0).ptr<float>();
    if (!bn && a == 0) return detail::conv_run(g, c, bias, y);
    // per-channel scale and shift: the batch norm folded, with the conv bias
    float* scale = scratch<float, 12>(static_cast<std::size_t>(2 * g.O));
    float* shift = scale + g.O;
    for (std::int64_t o = 0; o < g.O; ++o) {
      double s = 1, t = bias ? bias[o] : 0.0;
      if (bn) {
        const double gamma = c.is_none(7) ? 1.0 : c.f32_in(7).ptr<float>()[o], beta = c.is_none(8) ? 0.0 : c.f32_in(8).ptr<float>()[o];
        s = gamma / std::sqrt(static_cast<double>(c.f32_in(10).ptr<float>()[o]) + c.num_at(11));
        t = beta + (t - c.f32_in(9).ptr<float>()[o]) * s;
      }
      scale[o] = static_cast<float>(s);
      shift[o] = static_cast<float>(t);
    }
    const kernels::unary_kind act = a == 2 ? kernels::unary_kind::silu : a == 3 ? kernels::unary_kind::clamp : kernels::unary_kind::relu;
    const detail::conv_epilogue ep{scale, shift, a != 0, act, 0.0f, 6.0f};
    detail::conv_run(g, c, nullptr, y, &ep);
  }
};

}  // namespace cactus::ops
