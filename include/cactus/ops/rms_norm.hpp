#pragma once
// rms_norm(x, weight, eps, offset) = x / sqrt(mean(x^2 over the last dim) + eps) * (weight + offset)
// The fused form of the RMSNorm HF models write by hand (offset 1 is Gemma's (1 + weight));
// produced by patterns/rules/rms_norm.hpp, never by TorchScript directly.
#include "cactus/kernels/dispatch.hpp"
#include "cactus/ops/op.hpp"

namespace cactus::ops {

struct rms_norm_op {
  static constexpr std::string_view name = "rms_norm";
  static constexpr arity inputs{4};
  static void infer(context& c) {
    const slot& x = c.tensor_in(0);
    c.require(!x.shape.empty(), "input must have at least one dim");
    c.require(c.tensor_in(1).numel() == x.shape.back(), "weight has ", c.in(1).numel(), " elements, the last dim is ", x.shape.back());
    c.set_tensor(0, dtype::f32, x.shape);
  }
  static void run(context& c) {
    const slot& x = c.f32_in(0);
    const slot& w = c.f32_in(1);
    const auto cols = static_cast<std::size_t>(x.shape.back());
    if (x.numel() == 0) return;
    kernels::rms_norm_rows(x.ptr<float>(), c.out(0).ptr<float>(), static_cast<std::size_t>(x.numel()) / cols, cols, w.ptr<float>(),
                           static_cast<float>(c.num_at(2)), static_cast<float>(c.num_at(3)));
  }
};

}  // namespace cactus::ops
