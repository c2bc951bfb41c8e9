#pragma once
// The Elman RNN over a sequence (PyTorch's nn.RNN: aten::rnn_tanh.input, aten::rnn_relu.input):
// the recurrent driver (recurrent.hpp) with one gate, h' = act(W_ih x + b_ih + W_hh h + b_hh).
#include <algorithm>
#include <cmath>

#include "cactus/ops/recurrent.hpp"

namespace cactus::ops {

template <bool Tanh>
struct rnn_cell_step {
  static constexpr std::string_view name = Tanh ? "rnn_tanh" : "rnn_relu";
  static constexpr std::int64_t gates = 1;
  static constexpr std::size_t states = 1;
  static void step(const float* gx, const float* gh, float* const* state, std::size_t H) {
    float* h = state[0];
    for (std::size_t j = 0; j < H; ++j) h[j] = Tanh ? std::tanh(gx[j] + gh[j]) : std::max(gx[j] + gh[j], 0.0f);
  }
};

using rnn_tanh_op = recurrent_op<rnn_cell_step<true>>;
using rnn_relu_op = recurrent_op<rnn_cell_step<false>>;

}  // namespace cactus::ops
