#pragma once
// lstm_cell(gates[..., 4H], c[..., H]) -> (h[..., H], c_new[..., H]): one LSTM step from its
// pre-activation gates (input, forget, cell, output, PyTorch's order):
//   c_new = sigmoid(f) * c + sigmoid(i) * tanh(z),  h = sigmoid(o) * tanh(c_new)
// Produced by patterns/rules/lstm_cell.hpp from the cell written by hand (the gate projections
// stay linear ops); the lstm op (ops/lstm.hpp) runs the same kernel, kernels::lstm_cell.
#include "cactus/kernels/dispatch.hpp"
#include "cactus/ops/op.hpp"

namespace cactus::ops {

struct lstm_cell_op {
  static constexpr std::string_view name = "lstm_cell";
  static constexpr arity inputs{2};
  static constexpr arity outputs{2};
  static void infer(context& c) {
    const slot& g = c.f32_in(0);
    const slot& cs = c.f32_in(1);
    c.require(!g.shape.empty() && g.shape.back() % 4 == 0, "gates ", to_string(g.shape), " must end in 4 * hidden");
    shape_t s = g.shape;
    s.back() /= 4;
    c.require(cs.shape == s, "cell state ", to_string(cs.shape), " must be ", to_string(s), " for gates ", to_string(g.shape));
    c.set_tensor(0, dtype::f32, s);
    c.set_tensor(1, dtype::f32, s);
  }
  static void run(context& c) {
    const slot& g = c.in(0);
    const std::int64_t H = g.shape.back() / 4, rows = H ? c.in(1).numel() / H : 0;
    const float* gp = g.ptr<float>();
    const float* cp = c.in(1).ptr<float>();
    float* h = c.out(0).ptr<float>();
    float* cn = c.out(1).ptr<float>();
    global_pool().parallel_for(static_cast<std::size_t>(rows), std::max<std::size_t>(1, 4096 / static_cast<std::size_t>(H + 1)),
                               [&](std::size_t b, std::size_t e) {
      for (std::size_t r = b; r < e; ++r) {
        const std::int64_t i = static_cast<std::int64_t>(r);
        kernels::lstm_cell(gp + i * 4 * H, nullptr, cp + i * H, h + i * H, cn + i * H, static_cast<std::size_t>(H));
      }
    });
  }
};

}  // namespace cactus::ops
