#pragma once
// softmax / log_softmax along any dim (other dims are moved last through a strided copy).
#include "cactus/kernels/dispatch.hpp"
#include "cactus/ops/op.hpp"

namespace cactus::ops {

namespace detail {
inline void softmax_along(const context& c, bool log) {
  const slot& x = c.f32_in(0);
  float* y = c.out(0).ptr<float>();
  const auto r = static_cast<std::int64_t>(x.shape.size());
  const auto d = static_cast<std::size_t>(wrap_dim(c.int_at(1), r));
  if (x.numel() == 0) return;
  if (r == 0 || d + 1 == static_cast<std::size_t>(r)) {
    const auto cols = r == 0 ? 1 : x.shape.back();
    kernels::softmax_rows(x.ptr<float>(), y, static_cast<std::size_t>(x.numel() / cols), static_cast<std::size_t>(cols), log);
    return;
  }
  shape_t moved = x.shape;
  moved.erase(moved.begin() + static_cast<std::ptrdiff_t>(d));
  moved.push_back(x.shape[d]);
  auto st = strides_of(x.shape);
  std::vector<std::int64_t> ms = st;
  ms.erase(ms.begin() + static_cast<std::ptrdiff_t>(d));
  ms.push_back(st[d]);
  std::vector<float> tmp(static_cast<std::size_t>(x.numel())), tmp2(tmp.size());
  copy_strided(x.data, ms, tmp.data(), moved, 4);
  kernels::softmax_rows(tmp.data(), tmp2.data(), static_cast<std::size_t>(x.numel() / x.shape[d]), static_cast<std::size_t>(x.shape[d]), log);
  // move back: y[idx] = tmp2[moved idx]; strides of `moved` seen in x order
  auto mst = strides_of(moved);
  std::vector<std::int64_t> back(static_cast<std::size_t>(r));
  for (std::size_t i = 0, j = 0; i < static_cast<std::size_t>(r); ++i) back[i] = i == d ? mst.back() : mst[j++];
  copy_strided(tmp2.data(), back, y, x.shape, 4);
}
}  // namespace detail

struct softmax_op {
  static constexpr std::string_view name = "softmax";
  static constexpr dims_rule fixed_dims = dims_rule::same;
  static constexpr arity inputs{2, 3};
  static void infer(context& c) { c.set_tensor(0, dtype::f32, c.tensor_in(0).shape); }
  static void run(context& c) { detail::softmax_along(c, false); }
};

struct log_softmax_op {
  static constexpr std::string_view name = "log_softmax";
  static constexpr dims_rule fixed_dims = dims_rule::same;
  static constexpr arity inputs{2, 3};
  static void infer(context& c) { c.set_tensor(0, dtype::f32, c.tensor_in(0).shape); }
  static void run(context& c) { detail::softmax_along(c, true); }
};

}  // namespace cactus::ops
