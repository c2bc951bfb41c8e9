#pragma once
// rope(x, cos, sin, h, interleaved) = x * cos + rot(x) * sin, rotating pairs along the last dim:
//   interleaved 0: rot(x) = cat(-x[..., h:], x[..., :h])   (rotate_half, h = D / 2 for Llama/Qwen)
//   interleaved 1: rot(x)[2i] = -x[2i+1], rot(x)[2i+1] = x[2i]   (GPT-J's rotate_every_two)
// cos and sin broadcast to x with their last dim equal to x's. Produced by
// patterns/rules/rope.hpp from the element-wise spelling; the kernel is kernels::rope_row.
#include "cactus/kernels/dispatch.hpp"
#include "cactus/ops/op.hpp"

namespace cactus::ops {

struct rope_op {
  static constexpr std::string_view name = "rope";
  static constexpr arity inputs{5};
  static void infer(context& c) {
    const slot& x = c.f32_in(0);
    c.require(!x.shape.empty(), "input must have at least one dim");
    const std::int64_t D = x.shape.back();
    for (std::size_t i : {1u, 2u}) {
      const slot& t = c.f32_in(i);
      c.require(!t.shape.empty() && t.shape.back() == D, i == 1 ? "cos" : "sin", " ", to_string(t.shape), " must end in ", D, " like the input ",
                to_string(x.shape));
      c.require(broadcast_shapes(t.shape, x.shape) == x.shape, i == 1 ? "cos" : "sin", " ", to_string(t.shape), " does not broadcast to ",
                to_string(x.shape));
    }
    if (c.bool_at(4)) c.require(D % 2 == 0, "interleaved rotation needs an even last dim, got ", D);
    else c.require(c.int_at(3) >= 0 && c.int_at(3) <= D, "rotation split ", c.int_at(3), " is outside the last dim ", D);
    c.set_tensor(0, dtype::f32, x.shape);
  }
  static void run(context& c) {
    const slot& x = c.in(0);
    const slot& cs = c.in(1);
    const slot& sn = c.in(2);
    const std::int64_t D = x.shape.back();
    const bool inter = c.bool_at(4);
    const auto h = static_cast<std::size_t>(inter ? 0 : c.int_at(3));
    if (x.numel() == 0) return;
    const shape_t lead(x.shape.begin(), x.shape.end() - 1);
    const auto sc = broadcast_strides(cs.shape, x.shape), ss = broadcast_strides(sn.shape, x.shape);
    const std::int64_t rows = x.numel() / D;
    const float* xp = x.ptr<float>();
    const float* cp = cs.ptr<float>();
    const float* sp = sn.ptr<float>();
    float* y = c.out(0).ptr<float>();
    global_pool().parallel_for(static_cast<std::size_t>(rows), std::max<std::size_t>(1, 4096 / static_cast<std::size_t>(D)),
                               [&](std::size_t b, std::size_t e) {
      for (std::size_t r = b; r < e; ++r) {
        std::int64_t oc = 0, os = 0, rem = static_cast<std::int64_t>(r);
        for (std::size_t d = lead.size(); d-- > 0;) {
          const std::int64_t k = rem % lead[d];
          rem /= lead[d];
          oc += k * sc[d];
          os += k * ss[d];
        }
        kernels::rope_row(xp + static_cast<std::int64_t>(r) * D, cp + oc, sp + os, y + static_cast<std::int64_t>(r) * D, static_cast<std::size_t>(D), h,
                          inter);
      }
    });
  }
};

}  // namespace cactus::ops
