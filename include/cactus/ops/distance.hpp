#pragma once
// Pairwise p-norm distances: cdist(x1 [*, P, M], x2 [*, R, M], p) -> [*, P, R] (ATen's
// _cdist_forward; the batch dims must match) and pdist(x [N, M], p) -> the N(N-1)/2 distances of
// the rows i < j, in row-major order (ATen's _pdist_forward). p = 0 counts the differing
// features, p = inf takes the largest difference. Accumulated in double, exactly (ATen may take a
// matrix-product shortcut for p = 2 on large inputs, which differs in the last bits).
#include <cmath>
#include <limits>

#include "cactus/ops/op.hpp"

namespace cactus::ops {

namespace detail {
inline float p_distance(const float* a, const float* b, std::int64_t m, double p) {
  double acc = 0;
  for (std::int64_t i = 0; i < m; ++i) {
    const double d = std::fabs(static_cast<double>(a[i]) - b[i]);
    if (p == 0) acc += d != 0;
    else if (std::isinf(p)) acc = std::max(acc, d);
    else if (p == 1) acc += d;
    else if (p == 2) acc += d * d;
    else acc += std::pow(d, p);
  }
  if (p == 0 || p == 1 || std::isinf(p)) return static_cast<float>(acc);
  return static_cast<float>(p == 2 ? std::sqrt(acc) : std::pow(acc, 1.0 / p));
}
}  // namespace detail

// cdist(x1, x2, p, compute_mode?)
struct cdist_op {
  static constexpr std::string_view name = "cdist";
  static constexpr arity inputs{3, 4};
  static void infer(context& c) {
    const slot& a = c.tensor_in(0);
    const slot& b = c.tensor_in(1);
    c.require(a.shape.size() >= 2 && a.shape.size() == b.shape.size() && a.shape.back() == b.shape.back() &&
                  std::equal(a.shape.begin(), a.shape.end() - 2, b.shape.begin()),
              "x1 ", to_string(a.shape), " and x2 ", to_string(b.shape), " must be [*, P, M] and [*, R, M] with the same batch dims");
    c.require(c.num_at(2) >= 0, "p must not be negative, got ", c.num_at(2));
    shape_t s(a.shape.begin(), a.shape.end() - 1);
    s.push_back(b.shape[b.shape.size() - 2]);
    c.set_tensor(0, dtype::f32, s);
  }
  static void run(context& c) {
    const slot& a = c.f32_in(0);
    const slot& b = c.f32_in(1);
    const std::int64_t M = a.shape.back(), P = a.shape[a.shape.size() - 2], R = b.shape[b.shape.size() - 2];
    const std::int64_t B = M * P == 0 ? 0 : a.numel() / (P * M);
    const double p = c.num_at(2);
    float* y = c.out(0).ptr<float>();
    for (std::int64_t n = 0; n < B; ++n)
      for (std::int64_t i = 0; i < P; ++i)
        for (std::int64_t j = 0; j < R; ++j)
          y[(n * P + i) * R + j] = detail::p_distance(a.ptr<float>() + (n * P + i) * M, b.ptr<float>() + (n * R + j) * M, M, p);
  }
};

// pdist(x, p)
struct pdist_op {
  static constexpr std::string_view name = "pdist";
  static constexpr arity inputs{2};
  static void infer(context& c) {
    const slot& x = c.tensor_in(0);
    c.require(x.shape.size() == 2, "input must be [N, M], got ", to_string(x.shape));
    c.require(c.num_at(1) >= 0, "p must not be negative, got ", c.num_at(1));
    const std::int64_t n = x.shape[0];
    c.set_tensor(0, dtype::f32, {n * (n - 1) / 2});
  }
  static void run(context& c) {
    const slot& x = c.f32_in(0);
    const std::int64_t N = x.shape[0], M = x.shape[1];
    const double p = c.num_at(1);
    float* y = c.out(0).ptr<float>();
    std::int64_t k = 0;
    for (std::int64_t i = 0; i < N; ++i)
      for (std::int64_t j = i + 1; j < N; ++j) y[k++] = detail::p_distance(x.ptr<float>() + i * M, x.ptr<float>() + j * M, M, p);
  }
};

}  // namespace cactus::ops
