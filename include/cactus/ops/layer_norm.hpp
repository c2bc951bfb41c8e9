#pragma once
// layer_norm over the trailing normalized_shape dims, with optional affine weight and bias.
#include <algorithm>

#include "cactus/kernels/dispatch.hpp"
#include "cactus/ops/op.hpp"

namespace cactus::ops {

// layer_norm(x, normalized_shape, weight?, bias?, eps, cudnn_enable)
struct layer_norm_op {
  static constexpr std::string_view name = "layer_norm";
  static constexpr dims_rule fixed_dims = dims_rule::same;
  static constexpr arity inputs{5, 6};
  static void infer(context& c) {
    const slot& x = c.tensor_in(0);
    auto ns = c.ints_at(1);
    c.require(ns.size() <= x.shape.size() && std::equal(ns.begin(), ns.end(), x.shape.end() - static_cast<std::ptrdiff_t>(ns.size())),
              "normalized_shape ", to_string(ns), " does not match the end of input ", to_string(x.shape));
    c.set_tensor(0, dtype::f32, x.shape);
  }
  static void run(context& c) {
    const slot& x = c.f32_in(0);
    const auto cols = numel(c.ints_at(1));
    const float* w = c.is_none(2) ? nullptr : c.f32_in(2).ptr<float>();
    const float* b = c.is_none(3) ? nullptr : c.f32_in(3).ptr<float>();
    if (x.numel() == 0) return;
    kernels::layer_norm_rows(x.ptr<float>(), c.out(0).ptr<float>(), static_cast<std::size_t>(x.numel() / cols),
                             static_cast<std::size_t>(cols), w, b, static_cast<float>(c.num_at(4)));
  }
};

}  // namespace cactus::ops
