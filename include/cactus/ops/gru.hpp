#pragma once
// gru over a sequence (PyTorch's nn.GRU, aten::gru.input): the recurrent driver (recurrent.hpp)
// with the GRU cell, gates in PyTorch's order (reset, update, new), b_hn inside the reset:
//   r = sigmoid(x_r + h_r),  z = sigmoid(x_z + h_z),  n = tanh(x_n + r * h_n),  h' = n + z * (h - n)
// where x_* = W_i* x + b_i* and h_* = W_h* h + b_h*.
#include <cmath>

#include "cactus/ops/recurrent.hpp"

namespace cactus::ops {

struct gru_cell_step {
  static constexpr std::string_view name = "gru";
  static constexpr std::int64_t gates = 3;
  static constexpr std::size_t states = 1;
  static void step(const float* gx, const float* gh, float* const* state, std::size_t H) {
    float* h = state[0];
    for (std::size_t j = 0; j < H; ++j) {
      const float r = 1.0f / (1.0f + std::exp(-(gx[j] + gh[j])));
      const float z = 1.0f / (1.0f + std::exp(-(gx[H + j] + gh[H + j])));
      const float n = std::tanh(gx[2 * H + j] + r * gh[2 * H + j]);
      h[j] = n + z * (h[j] - n);
    }
  }
};

using gru_op = recurrent_op<gru_cell_step>;

}  // namespace cactus::ops
