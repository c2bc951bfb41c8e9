#pragma once
// Running sums and products along one dim: cumsum(x, dim, dtype?) and cumprod(x, dim, dtype?).
// As in PyTorch, integer and bool inputs accumulate in int64 unless a dtype is given; floats in
// their own type. The running value is kept in double and rounded once per output, as PyTorch's
// CPU kernel does (its accumulator type for float is double).
#include "cactus/ir/dtype_code.hpp"
#include "cactus/ops/elementwise.hpp"
#include "cactus/ops/op.hpp"

namespace cactus::ops {

namespace detail {
inline dtype scan_type(const context& c) {
  const slot& x = c.tensor_in(0);
  if (c.num_inputs() > 2 && !c.is_none(2)) {
    const auto t = ir::dtype_of_code(c.int_at(2));
    c.require(t.has_value(), "dtype code ", c.int_at(2), " has no cactus dtype");
    return *t;
  }
  return is_floating(x.type) ? x.type : dtype::i64;
}

template <bool Product>
void scan(context& c) {
  const slot& x = c.in(0);
  slot& y = c.out(0);
  const std::size_t r = x.shape.size();
  const std::size_t d = r == 0 ? 0 : static_cast<std::size_t>(wrap_dim(c.int_at(1), static_cast<std::int64_t>(r)));
  std::int64_t outer = 1, n = r == 0 ? 1 : x.shape[d], inner = 1;
  for (std::size_t i = 0; i < d && r; ++i) outer *= x.shape[i];
  inner = n == 0 ? 0 : x.numel() / (outer * n);
  if (x.type == dtype::f32 && y.type == dtype::f32) {
    const float* p = x.ptr<float>();
    float* q = y.ptr<float>();
    for (std::int64_t o = 0; o < outer; ++o)
      for (std::int64_t i = 0; i < inner; ++i) {
        double acc = Product ? 1 : 0;
        for (std::int64_t j = 0, at = o * n * inner + i; j < n; ++j, at += inner) {
          acc = Product ? acc * p[at] : acc + p[at];
          q[at] = static_cast<float>(acc);
        }
      }
    return;
  }
  operand in;
  in.data = x.data;
  in.type = x.type;
  const bool ints = !is_floating(y.type);
  for (std::int64_t o = 0; o < outer; ++o)
    for (std::int64_t i = 0; i < inner; ++i) {
      double f = Product ? 1 : 0;
      std::int64_t k = Product ? 1 : 0;
      for (std::int64_t j = 0; j < n; ++j) {
        const std::int64_t at = (o * n + j) * inner + i;
        const double v = in.at(at);
        if (ints) {  // wraps as int64 does in PyTorch
          const auto u = static_cast<std::uint64_t>(static_cast<std::int64_t>(v));
          k = static_cast<std::int64_t>(Product ? static_cast<std::uint64_t>(k) * u : static_cast<std::uint64_t>(k) + u);
          if (y.type == dtype::i64) y.ptr<std::int64_t>()[at] = k;
          else store_as(y.data, y.type, at, static_cast<double>(k));
        } else {
          f = Product ? f * v : f + v;
          store_as(y.data, y.type, at, f);
        }
      }
    }
}

inline void scan_infer(context& c) {
  const slot& x = c.tensor_in(0);
  if (!x.shape.empty()) wrap_dim(c.int_at(1), static_cast<std::int64_t>(x.shape.size()));
  c.set_tensor(0, scan_type(c), x.shape);
}
}  // namespace detail

struct cumsum_op {
  static constexpr std::string_view name = "cumsum";
  static constexpr dims_rule fixed_dims = dims_rule::same;
  static constexpr arity inputs{2, 3};
  static void infer(context& c) { detail::scan_infer(c); }
  static void run(context& c) { detail::scan<false>(c); }
};

struct cumprod_op {
  static constexpr std::string_view name = "cumprod";
  static constexpr dims_rule fixed_dims = dims_rule::same;
  static constexpr arity inputs{2, 3};
  static void infer(context& c) { detail::scan_infer(c); }
  static void run(context& c) { detail::scan<true>(c); }
};

}  // namespace cactus::ops
