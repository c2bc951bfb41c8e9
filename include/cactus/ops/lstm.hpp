#pragma once
// lstm over a sequence (PyTorch's nn.LSTM, aten::lstm.input): the recurrent driver
// (recurrent.hpp) with the LSTM cell, whose state is (h, c) and whose gates are PyTorch's
// (input, forget, cell, output), run by kernels::lstm_cell as the fused lstm_cell op is:
//   c' = sigmoid(f) * c + sigmoid(i) * tanh(z),  h' = sigmoid(o) * tanh(c')
#include "cactus/ops/recurrent.hpp"

namespace cactus::ops {

struct lstm_cell_step {
  static constexpr std::string_view name = "lstm";
  static constexpr std::int64_t gates = 4;
  static constexpr std::size_t states = 2;
  static void step(const float* gx, const float* gh, float* const* state, std::size_t H) {
    kernels::lstm_cell(gx, gh, state[1], state[0], state[1], H);
  }
};

using lstm_op = recurrent_op<lstm_cell_step>;

}  // namespace cactus::ops
