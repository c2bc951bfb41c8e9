#pragma once
// The sequence driver PyTorch's recurrent layers share (lstm.hpp, gru.hpp, rnn.hpp): their node
// is the ATen call with its tensor lists flattened by import,
//   x, <states>, w_ih_0, w_hh_0, [b_ih_0, b_hh_0], ..., has_biases, num_layers, dropout, train,
//   bidirectional, batch_first  ->  output, <final states>
// with <states> h0 (GRU, RNN) or h0, c0 (LSTM). For each layer and direction the input
// projections of all steps are one GEMM (bias b_ih), the recurrence one GEMM per step (bias b_hh),
// and the cell turns the two into the next state: Cell::gates gate blocks of H, Cell::states
// state tensors, Cell::step(gx, gh, state..., H) on one batch row.
#include <cstring>
#include <vector>

#include "cactus/kernels/dispatch.hpp"
#include "cactus/ops/op.hpp"

namespace cactus::ops {

struct recurrent_config {
  bool biases, bidir, batch_first;
  std::int64_t layers, T, B, I, H, dirs;
};

template <class Cell>
recurrent_config recurrent_config_of(const context& c) {
  constexpr std::size_t S = Cell::states;
  const std::size_t n = c.num_inputs();
  c.require(n >= 7 + S, "malformed ", Cell::name, " node");
  recurrent_config g{};
  g.biases = c.bool_at(n - 6);
  g.layers = c.int_at(n - 5);
  c.require(!c.bool_at(n - 3), "training-mode ", Cell::name, " is not supported");
  g.bidir = c.bool_at(n - 2);
  g.batch_first = c.bool_at(n - 1);
  g.dirs = g.bidir ? 2 : 1;
  const std::size_t nparams = n - 7 - S;
  c.require(g.layers >= 1 && nparams == static_cast<std::size_t>(g.layers * g.dirs * (g.biases ? 4 : 2)), Cell::name, " has ", nparams,
            " weight tensors, expected ", g.layers * g.dirs * (g.biases ? 4 : 2), " (projections are not supported)");
  const slot& x = c.tensor_in(0);
  c.require(x.shape.size() == 3, Cell::name, " input must be 3-D (batched), got ", to_string(x.shape));
  g.T = g.batch_first ? x.shape[1] : x.shape[0];
  g.B = g.batch_first ? x.shape[0] : x.shape[1];
  g.I = x.shape[2];
  const slot& whh = c.tensor_in(1 + S + 1);
  c.require(whh.shape.size() == 2 && whh.shape[0] % Cell::gates == 0, Cell::name, " weight_hh_l0 ", to_string(whh.shape), " must be [",
            Cell::gates, " * hidden, hidden]");
  g.H = whh.shape[1];
  c.require(whh.shape[0] == Cell::gates * g.H, Cell::name, " weight_hh_l0 ", to_string(whh.shape), " must be [", Cell::gates, " * hidden, hidden]");
  for (std::size_t s = 0; s < S; ++s)
    c.require(c.tensor_in(1 + s).shape == shape_t{g.layers * g.dirs, g.B, g.H}, Cell::name, " initial state ", s, " ",
              to_string(c.tensor_in(1 + s).shape), " must be [", g.layers * g.dirs, ", ", g.B, ", ", g.H, "]");
  return g;
}

template <class Cell>
void recurrent_infer(context& c) {
  const auto g = recurrent_config_of<Cell>(c);
  c.set_tensor(0, dtype::f32, g.batch_first ? shape_t{g.B, g.T, g.dirs * g.H} : shape_t{g.T, g.B, g.dirs * g.H});
  for (std::size_t s = 0; s < Cell::states; ++s) c.set_tensor(1 + s, dtype::f32, {g.layers * g.dirs, g.B, g.H});
}

template <class Cell>
void recurrent_run(context& c) {
  constexpr std::size_t S = Cell::states;
  constexpr std::int64_t G = Cell::gates;
  const auto g = recurrent_config_of<Cell>(c);
  const std::size_t per = g.biases ? 4 : 2;
  const std::int64_t T = g.T, B = g.B, H = g.H;
  // the layer's input in [T, B, F] layout
  std::vector<float> in(static_cast<std::size_t>(T * B * g.I));
  const float* x = c.f32_in(0).ptr<float>();
  for (std::int64_t t = 0; t < T; ++t)
    for (std::int64_t b = 0; b < B; ++b)
      std::memcpy(in.data() + (t * B + b) * g.I, x + (g.batch_first ? (b * T + t) : (t * B + b)) * g.I, static_cast<std::size_t>(g.I) * 4);
  std::int64_t F = g.I;
  std::vector<float> out, gx(static_cast<std::size_t>(T * B * G * H)), gh(static_cast<std::size_t>(B * G * H));
  for (std::int64_t l = 0; l < g.layers; ++l) {
    out.assign(static_cast<std::size_t>(T * B * g.dirs * H), 0.0f);
    for (std::int64_t dir = 0; dir < g.dirs; ++dir) {
      const std::size_t base = 1 + S + static_cast<std::size_t>(l * g.dirs + dir) * per;
      const slot& wih = c.in(base);
      const slot& whh = c.in(base + 1);
      c.require(wih.shape == shape_t{G * H, F}, Cell::name, " layer ", l, " weight_ih ", to_string(wih.shape), " must be [", G * H, ", ", F, "]");
      c.require(whh.shape == shape_t{G * H, H}, Cell::name, " layer ", l, " weight_hh ", to_string(whh.shape), " must be [", G * H, ", ", H, "]");
      const float* bih = g.biases ? c.f32_in(base + 2).ptr<float>() : nullptr;
      const float* bhh = g.biases ? c.f32_in(base + 3).ptr<float>() : nullptr;
      kernels::gemm_nt(static_cast<std::size_t>(T * B), static_cast<std::size_t>(G * H), static_cast<std::size_t>(F), in.data(),
                       static_cast<std::size_t>(F), wih.data, wih.type == dtype::f16, static_cast<std::size_t>(F), gx.data(),
                       static_cast<std::size_t>(G * H), bih);
      const std::int64_t sidx = l * g.dirs + dir;
      std::vector<float> state[S];
      for (std::size_t s = 0; s < S; ++s) {
        const float* s0 = c.f32_in(1 + s).ptr<float>() + sidx * B * H;
        state[s].assign(s0, s0 + B * H);
      }
      for (std::int64_t step = 0; step < T; ++step) {
        const std::int64_t t = dir ? T - 1 - step : step;
        kernels::gemm_nt(static_cast<std::size_t>(B), static_cast<std::size_t>(G * H), static_cast<std::size_t>(H), state[0].data(),
                         static_cast<std::size_t>(H), whh.data, whh.type == dtype::f16, static_cast<std::size_t>(H), gh.data(),
                         static_cast<std::size_t>(G * H), bhh);
        for (std::int64_t b = 0; b < B; ++b) {
          float* rows[S];
          for (std::size_t s = 0; s < S; ++s) rows[s] = state[s].data() + b * H;
          Cell::step(gx.data() + (t * B + b) * G * H, gh.data() + b * G * H, rows, static_cast<std::size_t>(H));
          std::memcpy(out.data() + (t * B + b) * g.dirs * H + dir * H, rows[0], static_cast<std::size_t>(H) * 4);
        }
      }
      for (std::size_t s = 0; s < S; ++s) std::memcpy(c.out(1 + s).ptr<float>() + sidx * B * H, state[s].data(), state[s].size() * 4);
    }
    in = out;
    F = g.dirs * H;
  }
  float* y = c.out(0).ptr<float>();
  for (std::int64_t t = 0; t < T; ++t)
    for (std::int64_t b = 0; b < B; ++b)
      std::memcpy(y + (g.batch_first ? (b * T + t) : (t * B + b)) * F, out.data() + (t * B + b) * F, static_cast<std::size_t>(F) * 4);
}

// An op over a recurrent cell: its name, arity and the driver above.
template <class Cell>
struct recurrent_op {
  static constexpr std::string_view name = Cell::name;
  static constexpr arity inputs{7 + Cell::states + 2, variadic};
  static constexpr arity outputs{1 + Cell::states};
  static constexpr bool f16_weights = true;
  static void infer(context& c) { recurrent_infer<Cell>(c); }
  static void run(context& c) { recurrent_run<Cell>(c); }
};

}  // namespace cactus::ops
