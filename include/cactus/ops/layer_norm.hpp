#pragma once
// layer_norm over the trailing normalized_shape dims, with optional affine weight and bias.
// Outputs 1 and 2, present only when the graph reads them (torch.export's native_layer_norm), are
// the mean and 1/sqrt(biased var + eps) of each row, shaped as the input with the normalized dims
// set to 1, computed in double.
#include <algorithm>
#include <cmath>

#include "cactus/kernels/dispatch.hpp"
#include "cactus/ops/op.hpp"

namespace cactus::ops {

// layer_norm(x, normalized_shape, weight?, bias?, eps, cudnn_enable)
struct layer_norm_op {
  static constexpr std::string_view name = "layer_norm";
  static constexpr dims_rule fixed_dims = dims_rule::same;
  static constexpr arity inputs{5, 6};
  static constexpr arity outputs{1, 3};  // y[, mean, rstd]
  static void infer(context& c) {
    const slot& x = c.tensor_in(0);
    auto ns = c.ints_at(1);
    c.require(ns.size() <= x.shape.size() && std::equal(ns.begin(), ns.end(), x.shape.end() - static_cast<std::ptrdiff_t>(ns.size())),
              "normalized_shape ", to_string(ns), " does not match the end of input ", to_string(x.shape));
    c.set_tensor(0, dtype::f32, x.shape);
    if (c.num_outputs() > 1) {
      shape_t s = x.shape;
      std::fill(s.end() - static_cast<std::ptrdiff_t>(ns.size()), s.end(), 1);
      c.set_tensor(1, dtype::f32, s);
      c.set_tensor(2, dtype::f32, s);
    }
  }
  static void run(context& c) {
    const slot& x = c.f32_in(0);
    const auto cols = numel(c.ints_at(1));
    const float* w = c.is_none(2) ? nullptr : c.f32_in(2).ptr<float>();
    const float* b = c.is_none(3) ? nullptr : c.f32_in(3).ptr<float>();
    if (c.num_outputs() > 1) statistics(c, x, cols);
    if (x.numel() == 0) return;
    kernels::layer_norm_rows(x.ptr<float>(), c.out(0).ptr<float>(), static_cast<std::size_t>(x.numel() / cols),
                             static_cast<std::size_t>(cols), w, b, static_cast<float>(c.num_at(4)));
  }

 private:
  static void statistics(context& c, const slot& x, std::int64_t cols) {
    const std::int64_t rows = c.out(1).numel();
    const double eps = c.num_at(4);
    float* mean = c.out(1).ptr<float>();
    float* rstd = c.out(2).ptr<float>();
    for (std::int64_t r = 0; r < rows; ++r) {
      const float* xr = x.ptr<float>() + r * cols;
      double m = 0, ss = 0;
      for (std::int64_t i = 0; i < cols; ++i) m += xr[i];
      m = cols ? m / static_cast<double>(cols) : 0.0;
      for (std::int64_t i = 0; i < cols; ++i) ss += (xr[i] - m) * (xr[i] - m);
      mean[r] = static_cast<float>(m);
      rstd[r] = static_cast<float>(1.0 / std::sqrt((cols ? ss / static_cast<double>(cols) : 0.0) + eps));
    }
  }
};

}  // namespace cactus::ops
