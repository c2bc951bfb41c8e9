#pragma once
// Ops that make tensors from sizes (ones, zeros, full, arange, *_like), triangular masks
// (triu, tril) and dtype casts. TorchScript passes dtypes as c10::ScalarType codes.
#include "cactus/core/parallel.hpp"
#include "cactus/ops/elementwise.hpp"
#include "cactus/quant/quantize.hpp"

namespace cactus::ops {

namespace detail {
// c10::ScalarType code -> our dtype (float64 computes as f32: we have no f64 kernels).
inline dtype dtype_from_code(const context& c, std::int64_t code) {
  switch (code) {
    case 0: return dtype::u8;
    case 1: return dtype::i8;
    case 3: return dtype::i32;
    case 4: return dtype::i64;
    case 5: return dtype::f16;
    case 6: case 7: return dtype::f32;
    case 11: return dtype::b8;
    default: c.fail("unsupported dtype code ", code, " (bfloat16, complex and int16 tensors are not supported)");
  }
}
inline dtype dtype_arg(const context& c, std::size_t i, dtype fallback) {
  return c.is_none(i) ? fallback : dtype_from_code(c, c.int_at(i));
}
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
  static constexpr std::array<std::string_view, 1> aten{"aten::ones"};
};
struct zeros_op : fill_body<0> {
  static constexpr std::string_view name = "zeros";
  static constexpr std::array<std::string_view, 1> aten{"aten::zeros"};
};
struct full_op : fill_body<-1> {
  static constexpr std::string_view name = "full";
  static constexpr std::array<std::string_view, 1> aten{"aten::full"};
};

// ones_like/zeros_like(x, dtype?, ...), full_like(x, value, dtype?, ...)
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
  static constexpr std::array<std::string_view, 1> aten{"aten::ones_like"};
};
struct zeros_like_op : fill_like_body<0> {
  static constexpr std::string_view name = "zeros_like";
  static constexpr std::array<std::string_view, 1> aten{"aten::zeros_like"};
};
struct full_like_op : fill_like_body<-1> {
  static constexpr std::string_view name = "full_like";
  static constexpr std::array<std::string_view, 1> aten{"aten::full_like"};
};

// arange(end, dtype?, layout?, device?, pin?) | arange(start, end, dtype?, ...) |
// arange(start, end, step, dtype?, ...): told apart by how many leading numbers there are.
struct arange_op {
  static constexpr std::string_view name = "arange";
  static constexpr std::array<std::string_view, 1> aten{"aten::arange"};
  static void parse(const context& c, double& start, double& step, std::int64_t& n, dtype& t) {
    const std::size_t total = c.num_inputs();
    const std::size_t nums = total == 5 ? 1 : total == 6 ? 2 : 3;
    start = nums >= 2 ? c.num_at(0) : 0;
    const double end = c.num_at(nums >= 2 ? 1 : 0);
    step = nums == 3 ? c.num_at(2) : 1;
    c.require(step != 0, "arange step must be non-zero");
    n = std::max<std::int64_t>(0, static_cast<std::int64_t>(std::ceil((end - start) / step)));
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

// triu/tril(x, diagonal) over the last two dims.
template <bool Upper>
struct tri_body {
  static void infer(context& c) {
    const slot& x = c.tensor_in(0);
    c.require(x.shape.size() >= 2, "needs at least 2 dims, got ", to_string(x.shape));
    c.set_tensor(0, x.type, x.shape);
  }
  static void run(context& c) {
    const slot& x = c.in(0);
    const slot& y = c.out(0);
    const std::int64_t diag = c.num_inputs() > 1 ? c.int_at(1) : 0;
    const std::int64_t R = x.shape[x.shape.size() - 2], C = x.shape.back(), B = x.numel() / std::max<std::int64_t>(1, R * C);
    const std::size_t es = size_of(x.type);
    std::memcpy(y.data, x.data, x.bytes());
    for (std::int64_t b = 0; b < B; ++b)
      for (std::int64_t r = 0; r < R; ++r)
        for (std::int64_t col = 0; col < C; ++col) {
          const bool keep = Upper ? col - r >= diag : col - r <= diag;
          if (!keep) std::memset(static_cast<unsigned char*>(y.data) + ((b * R + r) * C + col) * static_cast<std::int64_t>(es), 0, es);
        }
  }
};
struct triu_op : tri_body<true> {
  static constexpr std::string_view name = "triu";
  static constexpr std::array<std::string_view, 2> aten{"aten::triu", "aten::triu_"};
};
struct tril_op : tri_body<false> {
  static constexpr std::string_view name = "tril";
  static constexpr std::array<std::string_view, 2> aten{"aten::tril", "aten::tril_"};
};

// cast(x, dtype): the canonical form of aten::to / type_as / float / long / bool / _to_copy.
struct cast_op {
  static constexpr std::string_view name = "cast";
  static constexpr std::array<std::string_view, 0> aten{};
  static constexpr bool f16_weights = true;
  static void infer(context& c) {
    const slot& x = c.tensor_in(0);
    dtype t = c.in(1).is_tensor() ? c.in(1).type : detail::dtype_from_code(c, c.int_at(1));
    // a cast of an activation to f16 rounds it, as in PyTorch; ops then read it widened again
    // (passes/canonicalize.hpp: widen_half_activations), so compute stays f32
    c.require(!is_packed(x.type) || t == dtype::f32 || t == dtype::f16, "a ", name_of(x.type), " weight casts only to a float type");
    if (is_packed(x.type)) t = dtype::f32;  // dequantized
    c.set_tensor(0, t, x.shape);
  }
  static void run(context& c) {
    const slot& x = c.in(0);
    const slot& y = c.out(0);
    if (x.type == y.type) { std::memcpy(y.data, x.data, x.bytes()); return; }
    if (is_packed(x.type)) {
      const tensor p = x.view();
      const packed_layout l = packed_layout_of(p.type, p.shape);
      global_pool().parallel_for(static_cast<std::size_t>(l.rows), 1, [&](std::size_t r0, std::size_t r1) {
        quant::unpack_rows(p, static_cast<std::int64_t>(r0), static_cast<std::int64_t>(r1), y.ptr<float>() + static_cast<std::int64_t>(r0) * l.k);
      });
      return;
    }
    map_scalar(y.shape, y.data, y.type, {make_operand(x, y.shape)}, [](const double* v) { return v[0]; });
  }
};

}  // namespace cactus::ops
