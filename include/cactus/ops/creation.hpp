#pragma once
// Ops that make tensors from sizes (ones, zeros, full, arange, *_like, fill).
#include <cmath>

#include "cactus/core/parallel.hpp"
#include "cactus/ops/dtype_arg.hpp"
#include "cactus/ops/elementwise.hpp"

namespace cactus::ops {

namespace detail {
inline void fill(const slot& y, double v) {
  const std::int64_t n = y.numel();
  for (std::int64_t i = 0; i < n; ++i) store_as(y.data, y.type, i, v);
}
}  // namespace detail

// ones/zeros(size, dtype?, layout?, device?, pin?) and full(size, value, dtype?, ...)
template <int Value>
struct fill_body {
  static constexpr bool is_full = Value < 0;
  static void infer(context& c) {
    auto s = c.ints_at(0);
    dtype fallback = is_full && c.in(1).k == kind::int_ ? dtype::i64 : dtype::f32;
    c.set_tensor(0, detail::dtype_arg(c, is_full ? 2 : 1, fallback), s);
  }
  static void run(context& c) { detail::fill(c.out(0), is_full ? c.num_at(1) : Value); }
};
struct ones_op : fill_body<1> {
  static constexpr std::string_view name = "ones";
  static constexpr arity inputs{1, 5};
};
// also empty(size, dtype?, layout?, device?, pin?, memory_format?): zero-filled
struct zeros_op : fill_body<0> {
  static constexpr std::string_view name = "zeros";
  static constexpr arity inputs{1, 6};
};
struct full_op : fill_body<-1> {
  static constexpr std::string_view name = "full";
  static constexpr arity inputs{2, 6};
};

// ones_like/zeros_like(x, dtype?, ...) (empty_like too: zero-filled), full_like(x, value, dtype?, ...)
template <int Value>
struct fill_like_body {
  static constexpr bool is_full = Value < 0;
  static void infer(context& c) {
    const slot& x = c.tensor_in(0);
    c.set_tensor(0, detail::dtype_arg(c, is_full ? 2 : 1, x.type), x.shape);
  }
  static void run(context& c) { detail::fill(c.out(0), is_full ? c.num_at(1) : Value); }
};
struct ones_like_op : fill_like_body<1> {
  static constexpr std::string_view name = "ones_like";
  static constexpr arity inputs{1, 6};
};
struct zeros_like_op : fill_like_body<0> {
  static constexpr std::string_view name = "zeros_like";
  static constexpr arity inputs{1, 6};
};
struct full_like_op : fill_like_body<-1> {
  static constexpr std::string_view name = "full_like";
  static constexpr arity inputs{2, 7};
};

// fill(x, value): x's shape and dtype, every element the value (a number, or a 0-d tensor read
// at run time); torch.export's functional form of x.fill_(v) and x[...] = v
struct fill_op {
  static constexpr std::string_view name = "fill";
  static constexpr dims_rule fixed_dims = dims_rule::same;
  static constexpr arity inputs{2};
  static void infer(context& c) {
    const slot& x = c.tensor_in(0);
    if (c.in(1).is_tensor()) c.require(c.in(1).numel() == 1, "fill value must be a number or a 0-d tensor, got shape ", to_string(c.in(1).shape));
    c.set_tensor(0, x.type, x.shape);
  }
  static void run(context& c) {
    const slot& v = c.in(1);
    detail::fill(c.out(0), v.is_tensor() ? make_operand(v, v.shape).at(0) : v.m.as_double());
  }
};

// arange(end, dtype?, layout?, device?, pin?) | arange(start, end, dtype?, ...) |
// arange(start, end, step, dtype?, ...): told apart by how many leading numbers there are.
struct arange_op {
  static constexpr std::string_view name = "arange";
  static constexpr arity inputs{5, 7};
  static void parse(const context& c, double& start, double& step, std::int64_t& n, dtype& t) {
    const std::size_t total = c.num_inputs();
    const std::size_t nums = total == 5 ? 1 : total == 6 ? 2 : 3;
    start = nums >= 2 ? c.num_at(0) : 0;
    const double end = c.num_at(nums >= 2 ? 1 : 0);
    step = nums == 3 ? c.num_at(2) : 1;
    c.require(step != 0, "arange step must be non-zero");
    const double count = std::ceil((end - start) / step);
    c.require(std::isfinite(count) && count < 9.0e15, "arange(", start, ", ", end, ", ", step, ") has no finite length that fits");
    n = std::max<std::int64_t>(0, static_cast<std::int64_t>(count));
    bool any_float = false;
    for (std::size_t i = 0; i < nums; ++i) any_float |= c.in(i).k == kind::float_;
    t = detail::dtype_arg(c, nums, any_float ? dtype::f32 : dtype::i64);
  }
  static void infer(context& c) {
    double s, st;
    std::int64_t n;
    dtype t;
    parse(c, s, st, n, t);
    c.set_tensor(0, t, {n});
  }
  static void run(context& c) {
    double s, st;
    std::int64_t n;
    dtype t;
    parse(c, s, st, n, t);
    for (std::int64_t i = 0; i < n; ++i) store_as(c.out(0).data, t, i, s + static_cast<double>(i) * st);
  }
};


}  // namespace cactus::ops
