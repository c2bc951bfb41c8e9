#pragma once
// Scalar oracles of the fused kernels (kernels/fused-inl.hpp), in double precision: rotary rows,
// the gated activation product, the conv epilogue, an LSTM cell step and one attention head.
// The tests check every Highway target against them; nothing at run time calls them.
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <numbers>
#include <utility>
#include <vector>

#include "cactus/kernels/kinds.hpp"

namespace cactus::kernels::reference {

// y = x * cos + rotate(x) * sin. rotate_half at split h: the first D - h outputs take -x[h + i],
// the rest x[i - (D - h)]; interleaved (GPT-J): pairs (2i, 2i + 1) take (-x[2i + 1], x[2i]).
inline std::vector<double> rope_row(const float* x, const float* c, const float* s, std::size_t D, std::size_t h, bool interleaved) {
  std::vector<double> y(D);
  for (std::size_t i = 0; i < D; ++i) {
    const double rot = interleaved ? (i % 2 == 0 ? -static_cast<double>(x[i + 1]) : x[i - 1])
                                   : (i < D - h ? -static_cast<double>(x[h + i]) : x[i - (D - h)]);
    y[i] = x[i] * static_cast<double>(c[i]) + rot * s[i];
  }
  return y;
}

// The activations the fused kernels apply (silu, gelu with erf or tanh, relu, clamp to [p0, p1]).
inline double activation(unary_kind k, double v, double p0 = 0, double p1 = 0) {
  switch (k) {
    case unary_kind::silu: return v / (1 + std::exp(-v));
    case unary_kind::gelu_erf: return 0.5 * v * (1 + std::erf(v / std::sqrt(2.0)));
    case unary_kind::gelu_tanh: return 0.5 * v * (1 + std::tanh(std::sqrt(2 / std::numbers::pi) * (v + 0.044715 * v * v * v)));
    case unary_kind::relu: return std::max(v, 0.0);
    case unary_kind::clamp: return std::clamp(v, p0, p1);
    default: return v;
  }
}

// y = act(g) * u, as gated_act.
inline std::vector<double> gated_act(unary_kind k, const float* g, const float* u, std::size_t n) {
  std::vector<double> y(n);
  for (std::size_t i = 0; i < n; ++i) y[i] = activation(k, g[i]) * u[i];
  return y;
}

// y = act(x * scale + shift) (no activation when !has_act), as affine_act.
inline std::vector<double> affine_act(const float* x, std::size_t n, double scale, double shift, bool has_act, unary_kind k, double p0 = 0,
                                      double p1 = 0) {
  std::vector<double> y(n);
  for (std::size_t i = 0; i < n; ++i) y[i] = has_act ? activation(k, x[i] * scale + shift, p0, p1) : x[i] * scale + shift;
  return y;
}

// One LSTM step from gate pre-activations a (+ b when given), gates i, f, g, o of H each:
// c' = sigmoid(f) c + sigmoid(i) tanh(g), h = sigmoid(o) tanh(c'). Returns (h, c').
inline std::pair<std::vector<double>, std::vector<double>> lstm_cell(const float* a, const float* b, const float* c, std::size_t H) {
  auto sig = [](double v) { return 1 / (1 + std::exp(-v)); };
  std::vector<double> h(H), cn(H);
  for (std::size_t j = 0; j < H; ++j) {
    auto g = [&](std::size_t k) { return static_cast<double>(a[k * H + j]) + (b ? b[k * H + j] : 0.0); };
    cn[j] = sig(g(1)) * c[j] + sig(g(0)) * std::tanh(g(2));
    h[j] = sig(g(3)) * std::tanh(cn[j]);
  }
  return {h, cn};
}

// softmax(scale * q k^T + mask) v for one head (q [L, E], k [S, E], v [S, Ev]); `keep` false
// puts `fill` instead of the score; causal keeps keys j <= i + offset, and a row with no key is
// NaN, as PyTorch's softmax over nothing but -inf.
inline std::vector<double> attention_head(const float* q, const float* k, const float* v, std::size_t L, std::size_t S, std::size_t E,
                                          std::size_t Ev, double scale, const float* mask, const std::uint8_t* keep, double fill, bool causal,
                                          std::int64_t offset) {
  std::vector<double> out(L * Ev, 0.0);
  for (std::size_t i = 0; i < L; ++i) {
    std::vector<double> s(S);
    double mx = -INFINITY;
    std::size_t n = S;
    if (causal) n = static_cast<std::size_t>(std::clamp<std::int64_t>(static_cast<std::int64_t>(i) + offset + 1, 0, static_cast<std::int64_t>(S)));
    for (std::size_t j = 0; j < n; ++j) {
      double acc = 0;
      for (std::size_t e = 0; e < E; ++e) acc += static_cast<double>(q[i * E + e]) * k[j * E + e];
      s[j] = acc * scale + (mask ? mask[i * S + j] : 0.0);
      if (keep && !keep[i * S + j]) s[j] = fill;
      mx = std::max(mx, s[j]);
    }
    if (n == 0) {
      for (std::size_t c = 0; c < Ev; ++c) out[i * Ev + c] = NAN;
      continue;
    }
    double sum = 0;
    for (std::size_t j = 0; j < n; ++j) sum += s[j] = std::exp(s[j] - mx);
    for (std::size_t j = 0; j < n; ++j)
      for (std::size_t c = 0; c < Ev; ++c) out[i * Ev + c] += s[j] / sum * v[j * Ev + c];
  }
  return out;
}

}  // namespace cactus::kernels::reference
