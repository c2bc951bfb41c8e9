#pragma once
// lstm over a sequence: PyTorch's lstm with its tensor lists flattened by import into
//   x, h0, c0, w_ih_0, w_hh_0, [b_ih_0, b_hh_0], ... , has_biases, num_layers, dropout, train,
//   bidirectional, batch_first  ->  output, h_n, c_n
// Input projections for all steps are one GEMM; the recurrence does one GEMM per step.
#include "cactus/kernels/dispatch.hpp"
#include "cactus/ops/op.hpp"

namespace cactus::ops {

struct lstm_op {
  static constexpr std::string_view name = "lstm";
  static constexpr arity inputs{11, variadic};
  static constexpr arity outputs{3};
  static constexpr bool f16_weights = true;

  struct cfg {
    bool biases, bidir, batch_first;
    std::int64_t layers, T, B, I, H, dirs;
    std::size_t nparams;
  };
  static cfg config(const context& c) {
    const std::size_t n = c.num_inputs();
    c.require(n >= 9, "malformed lstm node");
    cfg g{};
    g.biases = c.bool_at(n - 6);
    g.layers = c.int_at(n - 5);
    c.require(!c.bool_at(n - 3), "training-mode lstm is not supported");
    g.bidir = c.bool_at(n - 2);
    g.batch_first = c.bool_at(n - 1);
    g.dirs = g.bidir ? 2 : 1;
    g.nparams = n - 9;
    c.require(g.nparams == static_cast<std::size_t>(g.layers * g.dirs * (g.biases ? 4 : 2)), "lstm has ", g.nparams,
              " weight tensors, expected ", g.layers * g.dirs * (g.biases ? 4 : 2), " (projections are not supported)");
    const slot& x = c.tensor_in(0);
    c.require(x.shape.size() == 3, "lstm input must be 3-D (batched), got ", to_string(x.shape));
    g.T = g.batch_first ? x.shape[1] : x.shape[0];
    g.B = g.batch_first ? x.shape[0] : x.shape[1];
    g.I = x.shape[2];
    g.H = c.tensor_in(4).shape[1];
    return g;
  }
  static void infer(context& c) {
    auto g = config(c);
    c.set_tensor(0, dtype::f32, g.batch_first ? shape_t{g.B, g.T, g.dirs * g.H} : shape_t{g.T, g.B, g.dirs * g.H});
    c.set_tensor(1, dtype::f32, {g.layers * g.dirs, g.B, g.H});
    c.set_tensor(2, dtype::f32, {g.layers * g.dirs, g.B, g.H});
  }
  static void run(context& c) {
    auto g = config(c);
    const std::size_t per = g.biases ? 4 : 2;
    // layer input in [T, B, F] layout
    const std::int64_t T = g.T, B = g.B, H = g.H;
    std::vector<float> in(static_cast<std::size_t>(T * B * g.I));
    const float* x = c.f32_in(0).ptr<float>();
    for (std::int64_t t = 0; t < T; ++t)
      for (std::int64_t b = 0; b < B; ++b)
        std::memcpy(in.data() + (t * B + b) * g.I, x + (g.batch_first ? (b * T + t) : (t * B + b)) * g.I, static_cast<std::size_t>(g.I) * 4);
    std::int64_t F = g.I;
    const float* h0 = c.f32_in(1).ptr<float>();
    const float* c0 = c.f32_in(2).ptr<float>();
    float* hn = c.out(1).ptr<float>();
    float* cn = c.out(2).ptr<float>();
    std::vector<float> out, gx(static_cast<std::size_t>(T * B * 4 * H)), gates(static_cast<std::size_t>(B * 4 * H)), bias(static_cast<std::size_t>(4 * H));
    for (std::int64_t l = 0; l < g.layers; ++l) {
      out.assign(static_cast<std::size_t>(T * B * g.dirs * H), 0.0f);
      for (std::int64_t dir = 0; dir < g.dirs; ++dir) {
        const std::size_t base = 3 + static_cast<std::size_t>(l * g.dirs + dir) * per;
        const slot& wih = c.in(base);
        const slot& whh = c.in(base + 1);
        c.require(wih.shape[1] == F, "lstm layer ", l, " weight_ih ", to_string(wih.shape), " does not match input size ", F);
        for (std::int64_t k = 0; k < 4 * H; ++k)
          bias[static_cast<std::size_t>(k)] = g.biases ? c.f32_in(base + 2).ptr<float>()[k] + c.f32_in(base + 3).ptr<float>()[k] : 0.0f;
        kernels::gemm_nt(static_cast<std::size_t>(T * B), static_cast<std::size_t>(4 * H), static_cast<std::size_t>(F), in.data(),
                         static_cast<std::size_t>(F), wih.data, wih.type == dtype::f16, static_cast<std::size_t>(F), gx.data(),
                         static_cast<std::size_t>(4 * H), bias.data());
        const std::int64_t sidx = l * g.dirs + dir;
        std::vector<float> h(h0 + sidx * B * H, h0 + (sidx + 1) * B * H), cc(c0 + sidx * B * H, c0 + (sidx + 1) * B * H);
        for (std::int64_t step = 0; step < T; ++step) {
          const std::int64_t t = dir ? T - 1 - step : step;
          kernels::gemm_nt(static_cast<std::size_t>(B), static_cast<std::size_t>(4 * H), static_cast<std::size_t>(H), h.data(),
                           static_cast<std::size_t>(H), whh.data, whh.type == dtype::f16, static_cast<std::size_t>(H), gates.data(),
                           static_cast<std::size_t>(4 * H), nullptr);
          for (std::int64_t b = 0; b < B; ++b) {
            float* hb = h.data() + b * H;
            float* cb = cc.data() + b * H;
            kernels::lstm_cell(gx.data() + (t * B + b) * 4 * H, gates.data() + b * 4 * H, cb, hb, cb, static_cast<std::size_t>(H));
            std::memcpy(out.data() + (t * B + b) * g.dirs * H + dir * H, hb, static_cast<std::size_t>(H) * 4);
          }
        }
        std::memcpy(hn + sidx * B * H, h.data(), h.size() * 4);
        std::memcpy(cn + sidx * B * H, cc.data(), cc.size() * 4);
      }
      in = out;
      F = g.dirs * H;
    }
    float* y = c.out(0).ptr<float>();
    for (std::int64_t t = 0; t < T; ++t)
      for (std::int64_t b = 0; b < B; ++b)
        std::memcpy(y + (g.batch_first ? (b * T + t) : (t * B + b)) * F, out.data() + (t * B + b) * F, static_cast<std::size_t>(F) * 4);
  }
};

}  // namespace cactus::ops
