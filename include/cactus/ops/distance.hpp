#pragma once
// Pairwise p-norm distances: cdist(x1 [*, P, M], x2 [*, R, M], p) -> [*, P, R] (ATen's
// _cdist_forward; the batch dims broadcast) and pdist(x [N, M], p) -> the N(N-1)/2 distances of
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
    c.require(a.shape.size() >= 2 && b.shape.size() >= 2 && a.shape.back() == b.shape.back(), "x1 ", to_string(a.shape), " and x2 ",
              to_string(b.shape), " must be [*, P, M] and [*, R, M]");
    c.require(c.num_at(2) >= 0, "p must not be negative, got ", c.num_at(2));
    shape_t s = broadcast_shapes(batch_dims(a.shape), batch_dims(b.shape));
    s.push_back(a.shape[a.shape.size() - 2]);
    s.push_back(b.shape[b.shape.size() - 2]);
    c.set_tensor(0, dtype::f32, s);
  }
  static void run(context& c) {
    const slot& a = c.f32_in(0);
    const slot& b = c.f32_in(1);
    const std::int64_t M = a.shape.back(), P = a.shape[a.shape.size() - 2], R = b.shape[b.shape.size() - 2];
    const shape_t batch = broadcast_shapes(batch_dims(a.shape), batch_dims(b.shape));
    const auto sa = broadcast_strides(batch_dims(a.shape), batch), sb = broadcast_strides(batch_dims(b.shape), batch);
    const std::int64_t B = numel(batch);
    const double p = c.num_at(2);
    float* y = c.out(0).ptr<float>();
    for (std::int64_t n = 0; n < B; ++n) {
      // the batch index n, unravelled, gives each operand's (broadcast) matrix
      std::int64_t ia = 0, ib = 0, rest = n;
      for (std::size_t d = batch.size(); d-- > 0;) {
        const std::int64_t k = rest % batch[d];
        rest /= batch[d];
        ia += k * sa[d];
        ib += k * sb[d];
      }
      const float* xa = a.ptr<float>() + ia * P * M;
      const float* xb = b.ptr<float>() + ib * R * M;
      for (std::int64_t i = 0; i < P; ++i)
        for (std::int64_t j = 0; j < R; ++j) y[(n * P + i) * R + j] = detail::p_distance(xa + i * M, xb + j * M, M, p);
    }
  }

 private:
  static shape_t batch_dims(const shape_t& s) { return shape_t(s.begin(), s.end() - 2); }
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
