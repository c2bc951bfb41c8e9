#pragma once
// Scalar oracles of the row kernels (kernels/rows-inl.hpp): softmax, log_softmax and
// layer_norm of one row, in double precision. The tests check every Highway target against them.
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <vector>

namespace cactus::kernels::reference {

inline std::vector<double> softmax_row(const float* x, std::size_t n, bool log) {
  double mx = -INFINITY, sum = 0;
  for (std::size_t i = 0; i < n; ++i) mx = std::max<double>(mx, x[i]);
  for (std::size_t i = 0; i < n; ++i) sum += std::exp(x[i] - mx);
  std::vector<double> y(n);
  for (std::size_t i = 0; i < n; ++i) y[i] = log ? x[i] - mx - std::log(sum) : std::exp(x[i] - mx) / sum;
  return y;
}

// (x - mean) / sqrt(var + eps) * w + b, with the biased variance, as PyTorch's layer_norm.
inline std::vector<double> layer_norm_row(const float* x, std::size_t n, const float* w, const float* b, double eps) {
  double mean = 0, var = 0;
  for (std::size_t i = 0; i < n; ++i) mean += x[i] / static_cast<double>(n);
  for (std::size_t i = 0; i < n; ++i) var += (x[i] - mean) * (x[i] - mean) / static_cast<double>(n);
  std::vector<double> y(n);
  for (std::size_t i = 0; i < n; ++i) y[i] = (x[i] - mean) / std::sqrt(var + eps) * (w ? w[i] : 1.0f) + (b ? b[i] : 0.0f);
  return y;
}

}  // namespace cactus::kernels::reference
