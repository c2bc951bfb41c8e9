#pragma once
// Ordering along one dim: sort(x, dim, descending) -> (values, indices), argsort (indices
// only) and topk(x, k, dim, largest, sorted) -> (values, indices). The sort is stable, so equal
// elements keep their order (PyTorch's CPU sort is stable too), and NaN orders above every
// number, as in PyTorch: last ascending, first descending. f32, int64 and int32 elements.
#include <algorithm>
#include <cmath>
#include <numeric>

#include "cactus/ops/op.hpp"

namespace cactus::ops {

namespace detail {
template <class T>
bool sorts_before(T a, T b, bool descending) {
  if constexpr (std::is_floating_point_v<T>) {
    if (std::isnan(a) || std::isnan(b)) return descending ? std::isnan(a) && !std::isnan(b) : !std::isnan(a) && std::isnan(b);
  }
  return descending ? a > b : a < b;
}

// Each line along dim d, ordered; the first k of each written to vals (may be null) and idx.
template <class T>
void order_lines(const slot& x, std::size_t d, std::int64_t k, bool descending, T* vals, std::int64_t* idx) {
  std::int64_t outer = 1, n = x.shape.empty() ? 1 : x.shape[d], inner = 1;
  for (std::size_t i = 0; i < d && !x.shape.empty(); ++i) outer *= x.shape[i];
  if (n > 0) inner = x.numel() / (outer * n);
  const T* p = x.ptr<T>();
  std::vector<std::int64_t> order(static_cast<std::size_t>(n));
  for (std::int64_t o = 0; o < outer; ++o)
    for (std::int64_t i = 0; i < inner; ++i) {
      const T* line = p + o * n * inner + i;
      std::iota(order.begin(), order.end(), 0);
      auto before = [&](std::int64_t a, std::int64_t b) { return sorts_before(line[a * inner], line[b * inner], descending); };
      if (k < n) {
        std::partial_sort(order.begin(), order.begin() + k, order.end(), [&](std::int64_t a, std::int64_t b) {
          return before(a, b) || (!before(b, a) && a < b);  // ties by position, as a stable sort would
        });
      } else {
        std::stable_sort(order.begin(), order.end(), before);
      }
      for (std::int64_t j = 0; j < k; ++j) {
        const std::int64_t at = (o * k + j) * inner + i;
        if (vals) vals[at] = line[order[static_cast<std::size_t>(j)] * inner];
        idx[at] = order[static_cast<std::size_t>(j)];
      }
    }
}

inline void order(const context& c, std::size_t d, std::int64_t k, bool descending, void* vals, std::int64_t* idx) {
  const slot& x = c.in(0);
  switch (x.type) {
    case dtype::f32: order_lines(x, d, k, descending, static_cast<float*>(vals), idx); break;
    case dtype::i64: order_lines(x, d, k, descending, static_cast<std::int64_t*>(vals), idx); break;
    case dtype::i32: order_lines(x, d, k, descending, static_cast<std::int32_t*>(vals), idx); break;
    default: c.fail("ordering ", name_of(x.type), " elements is not supported (f32, int64 and int32 are)");
  }
}

inline void check_sortable(const context& c, const slot& x) {
  c.require(x.type == dtype::f32 || x.type == dtype::i64 || x.type == dtype::i32, "ordering ", name_of(x.type),
            " elements is not supported (f32, int64 and int32 are)");
}

// sort / argsort inputs: (x, dim, descending), or with TorchScript's stable overload
// (x, stable, dim, descending); the sort is always stable.
struct sort_args {
  std::size_t dim;
  bool descending;
};
inline sort_args sort_args_of(const context& c) {
  const slot& x = c.tensor_in(0);
  const std::size_t at = c.num_inputs() == 4 ? 2 : 1;
  const std::int64_t d = c.num_inputs() > at && !c.is_none(at) ? c.int_at(at) : -1;
  return {x.shape.empty() ? 0 : static_cast<std::size_t>(wrap_dim(d, static_cast<std::int64_t>(x.shape.size()))),
          c.num_inputs() > at + 1 && !c.is_none(at + 1) && c.bool_at(at + 1)};
}
}  // namespace detail

struct sort_op {
  static constexpr std::string_view name = "sort";
  static constexpr arity inputs{1, 4};
  static constexpr arity outputs{2};
  static void infer(context& c) {
    const slot& x = c.tensor_in(0);
    detail::check_sortable(c, x);
    detail::sort_args_of(c);
    c.set_tensor(0, x.type, x.shape);
    c.set_tensor(1, dtype::i64, x.shape);
  }
  static void run(context& c) {
    const auto a = detail::sort_args_of(c);
    const slot& x = c.in(0);
    detail::order(c, a.dim, x.shape.empty() ? 1 : x.shape[a.dim], a.descending, c.out(0).data, c.out(1).ptr<std::int64_t>());
  }
};

struct argsort_op {
  static constexpr std::string_view name = "argsort";
  static constexpr arity inputs{1, 4};
  static void infer(context& c) {
    const slot& x = c.tensor_in(0);
    detail::check_sortable(c, x);
    detail::sort_args_of(c);
    c.set_tensor(0, dtype::i64, x.shape);
  }
  static void run(context& c) {
    const auto a = detail::sort_args_of(c);
    const slot& x = c.in(0);
    detail::order(c, a.dim, x.shape.empty() ? 1 : x.shape[a.dim], a.descending, nullptr, c.out(0).ptr<std::int64_t>());
  }
};

// topk(x, k, dim = -1, largest = true, sorted = true): always sorted (PyTorch leaves the order
// unspecified when sorted is false)
struct topk_op {
  static constexpr std::string_view name = "topk";
  static constexpr arity inputs{2, 5};
  static constexpr arity outputs{2};
  static std::size_t dim(const context& c) {
    const slot& x = c.tensor_in(0);
    const std::int64_t d = c.num_inputs() > 2 && !c.is_none(2) ? c.int_at(2) : -1;
    return x.shape.empty() ? 0 : static_cast<std::size_t>(wrap_dim(d, static_cast<std::int64_t>(x.shape.size())));
  }
  static void infer(context& c) {
    const slot& x = c.tensor_in(0);
    detail::check_sortable(c, x);
    const std::size_t d = dim(c);
    const std::int64_t n = x.shape.empty() ? 1 : x.shape[d], k = c.int_at(1);
    c.require(k >= 0 && k <= n, "k = ", k, " is out of range for a dim of size ", n);
    shape_t s = x.shape;
    if (!s.empty()) s[d] = k;
    c.set_tensor(0, x.type, s);
    c.set_tensor(1, dtype::i64, s);
  }
  static void run(context& c) {
    const bool largest = c.num_inputs() <= 3 || c.is_none(3) || c.bool_at(3);
    detail::order(c, dim(c), c.int_at(1), largest, c.out(0).data, c.out(1).ptr<std::int64_t>());
  }
};

}  // namespace cactus::ops
