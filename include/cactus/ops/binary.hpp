#pragma once
// Binary arithmetic and comparisons with NumPy broadcasting. Two plan-time numbers give a
// plan-time number (shape arithmetic); otherwise a tensor. add/sub take PyTorch's alpha.
#include "cactus/ops/elementwise.hpp"

namespace cactus::ops {

namespace detail {

enum class arith { add, sub, rsub, mul, div, floordiv, pow, max, min, fmod, remainder, atan2, band, bor, bxor,
                   eq, ne, lt, le, gt, ge, land, lor, lxor };

inline bool is_compare(arith a) { return a >= arith::eq && a <= arith::lxor; }
constexpr bool is_bitwise(arith a) { return a == arith::band || a == arith::bor || a == arith::bxor; }
// a op b == b op a (for add, only when alpha is 1: the matcher checks)
constexpr bool commutes(arith a) {
  return a == arith::add || a == arith::mul || a == arith::max || a == arith::min || a == arith::eq || a == arith::ne ||
         a == arith::land || a == arith::lor || a == arith::lxor || a == arith::band || a == arith::bor || a == arith::bxor;
}

// a, b, and for add/sub/rsub PyTorch's alpha, for div its rounding mode
constexpr arity binary_inputs(arith a) {
  return a == arith::add || a == arith::sub || a == arith::rsub || a == arith::div ? arity{2, 3} : arity{2};
}

inline double arith_scalar(arith op, double a, double b, double alpha) {
  switch (op) {
    case arith::add: return a + alpha * b;
    case arith::sub: return a - alpha * b;
    case arith::rsub: return b - alpha * a;
    case arith::mul: return a * b;
    case arith::div: return a / b;
    case arith::floordiv: return std::floor(a / b);
    case arith::pow: return std::pow(a, b);
    case arith::max: return std::max(a, b);
    case arith::min: return std::min(a, b);
    case arith::fmod: return std::fmod(a, b);                  // the sign of a (C's fmod)
    case arith::remainder: return a - std::floor(a / b) * b;  // the sign of b (Python's %)
    case arith::atan2: return std::atan2(a, b);
    case arith::band: return static_cast<double>(static_cast<std::int64_t>(a) & static_cast<std::int64_t>(b));
    case arith::bor: return static_cast<double>(static_cast<std::int64_t>(a) | static_cast<std::int64_t>(b));
    case arith::bxor: return static_cast<double>(static_cast<std::int64_t>(a) ^ static_cast<std::int64_t>(b));
    case arith::eq: return a == b;
    case arith::ne: return a != b;
    case arith::lt: return a < b;
    case arith::le: return a <= b;
    case arith::gt: return a > b;
    case arith::ge: return a >= b;
    case arith::land: return (a != 0) && (b != 0);
    case arith::lor: return (a != 0) || (b != 0);
    case arith::lxor: return (a != 0) != (b != 0);
  }
  return 0;
}

template <class Op>
struct binary_body {
  static double alpha(const context& c) {
    if constexpr (Op::op == arith::add || Op::op == arith::sub || Op::op == arith::rsub)
      return c.num_inputs() > 2 && !c.is_none(2) ? c.num_at(2) : 1.0;
    return 1.0;
  }
  // div(a, b, rounding_mode='trunc'|'floor')
  static std::string rounding(const context& c) {
    if constexpr (Op::op == arith::div) return c.num_inputs() > 2 && c.in(2).k == kind::string ? c.string_at(2) : std::string{};
    return {};
  }
  static double apply(const context& c, double a, double b, double al) {
    double v = arith_scalar(Op::op, a, b, al);
    if constexpr (Op::op == arith::div) {
      const std::string r = rounding(c);
      if (r == "trunc") v = std::trunc(v);
      else if (r == "floor") v = std::floor(v);
    }
    return v;
  }
  static void infer(context& c) {
    const slot& a = c.in(0);
    const slot& b = c.in(1);
    if (!a.is_tensor() && !b.is_tensor()) {
      c.require(a.m.is_number() && b.m.is_number(), "needs tensors or numbers");
      double v = apply(c, a.m.as_double(), b.m.as_double(), alpha(c));
      bool ints = a.k != kind::float_ && b.k != kind::float_ && (Op::op != arith::div || !rounding(c).empty());
      if (is_compare(Op::op)) c.set_meta(0, meta::of_bool(v != 0));
      else c.set_meta(0, ints ? meta::of_int(static_cast<std::int64_t>(v)) : meta::of_float(v));
      return;
    }
    dtype t = is_compare(Op::op) ? dtype::b8 : promote(a, b);
    if ((Op::op == arith::div && rounding(c).empty()) || Op::op == arith::atan2) t = is_floating(t) ? t : dtype::f32;
    if constexpr (is_bitwise(Op::op)) c.require(!is_floating(t), "takes integer or bool tensors, got ", name_of(t));
    c.set_tensor(0, t, out_shape_of(c, 2));
  }
  static void run(context& c) {
    slot& y = c.out(0);
    operand a = make_operand(c.in(0), y.shape), b = make_operand(c.in(1), y.shape);
    const double al = alpha(c);
    auto fast = [&](kernels::binary_kind k) {
      return y.type == dtype::f32 && (a.is_scalar || a.type == dtype::f32) && (b.is_scalar || b.type == dtype::f32) && al == 1.0 &&
             (binary_f32(k, a, b, y.shape, y.ptr<float>()), true);
    };
    switch (Op::op) {
      case arith::add: if (fast(kernels::binary_kind::add)) return; break;
      case arith::sub: if (fast(kernels::binary_kind::sub)) return; break;
      case arith::mul: if (fast(kernels::binary_kind::mul)) return; break;
      case arith::div: if (rounding(c).empty() && fast(kernels::binary_kind::div)) return; break;
      case arith::max: if (fast(kernels::binary_kind::max)) return; break;
      case arith::min: if (fast(kernels::binary_kind::min)) return; break;
      case arith::pow:
        if (b.is_scalar && b.scalar == 2.0 && y.type == dtype::f32 && !a.is_scalar && a.type == dtype::f32) {
          binary_f32(kernels::binary_kind::mul, a, a, y.shape, y.ptr<float>());
          return;
        }
        break;
      default: break;
    }
    map_scalar(y.shape, y.data, y.type, {a, b}, [&](const double* v) { return apply(c, v[0], v[1], al); });
  }
};
}  // namespace detail

#define CACTUS_BINARY_OP(STRUCT, NAME, OP)                                        \
  struct STRUCT : detail::binary_body<STRUCT> {                                   \
    static constexpr std::string_view name = NAME;                                \
    static constexpr dims_rule fixed_dims = dims_rule::broadcast;                 \
    static constexpr detail::arith op = detail::arith::OP;                        \
    static constexpr bool commutative = detail::commutes(op);                     \
    static constexpr arity inputs = detail::binary_inputs(op);                    \
  }

CACTUS_BINARY_OP(add_op, "add", add);
CACTUS_BINARY_OP(sub_op, "sub", sub);
CACTUS_BINARY_OP(rsub_op, "rsub", rsub);
CACTUS_BINARY_OP(mul_op, "mul", mul);
CACTUS_BINARY_OP(div_op, "div", div);
CACTUS_BINARY_OP(floor_divide_op, "floor_divide", floordiv);
CACTUS_BINARY_OP(pow_op, "pow", pow);
CACTUS_BINARY_OP(maximum_op, "maximum", max);
CACTUS_BINARY_OP(minimum_op, "minimum", min);
CACTUS_BINARY_OP(fmod_op, "fmod", fmod);
CACTUS_BINARY_OP(remainder_op, "remainder", remainder);
CACTUS_BINARY_OP(atan2_op, "atan2", atan2);
CACTUS_BINARY_OP(bitwise_and_op, "bitwise_and", band);
CACTUS_BINARY_OP(bitwise_or_op, "bitwise_or", bor);
CACTUS_BINARY_OP(bitwise_xor_op, "bitwise_xor", bxor);
CACTUS_BINARY_OP(eq_op, "eq", eq);
CACTUS_BINARY_OP(ne_op, "ne", ne);
CACTUS_BINARY_OP(lt_op, "lt", lt);
CACTUS_BINARY_OP(le_op, "le", le);
CACTUS_BINARY_OP(gt_op, "gt", gt);
CACTUS_BINARY_OP(ge_op, "ge", ge);
CACTUS_BINARY_OP(logical_and_op, "logical_and", land);
CACTUS_BINARY_OP(logical_or_op, "logical_or", lor);
CACTUS_BINARY_OP(logical_xor_op, "logical_xor", lxor);
#undef CACTUS_BINARY_OP

struct logical_not_op {
  static constexpr std::string_view name = "logical_not";
  static constexpr arity inputs{1};
  static void infer(context& c) { c.set_tensor(0, dtype::b8, c.tensor_in(0).shape); }
  static void run(context& c) {
    slot& y = c.out(0);
    map_scalar(y.shape, y.data, y.type, {make_operand(c.in(0), y.shape)}, [](const double* v) { return v[0] == 0 ? 1.0 : 0.0; });
  }
};

// bitwise_not(x): ~x for integers, not for bool (floats are refused, as in PyTorch)
struct bitwise_not_op {
  static constexpr std::string_view name = "bitwise_not";
  static constexpr dims_rule fixed_dims = dims_rule::same;
  static constexpr arity inputs{1};
  static void infer(context& c) {
    const slot& x = c.tensor_in(0);
    c.require(!is_floating(x.type) && !is_packed(x.type), "bitwise_not of ", name_of(x.type), " elements (integers and bool only)");
    c.set_tensor(0, x.type, x.shape);
  }
  static void run(context& c) {
    const slot& x = c.in(0);
    slot& y = c.out(0);
    const std::int64_t n = x.numel();
    switch (x.type) {
      case dtype::i64: for (std::int64_t i = 0; i < n; ++i) y.ptr<std::int64_t>()[i] = ~x.ptr<std::int64_t>()[i]; break;
      case dtype::i32: for (std::int64_t i = 0; i < n; ++i) y.ptr<std::int32_t>()[i] = ~x.ptr<std::int32_t>()[i]; break;
      case dtype::b8: for (std::int64_t i = 0; i < n; ++i) y.ptr<std::uint8_t>()[i] = x.ptr<std::uint8_t>()[i] == 0; break;
      default:  // i8, u8
        for (std::int64_t i = 0; i < n; ++i) y.ptr<std::uint8_t>()[i] = static_cast<std::uint8_t>(~x.ptr<std::uint8_t>()[i]);
    }
  }
};

// where(cond, a, b)
struct where_op {
  static constexpr std::string_view name = "where";
  static constexpr dims_rule fixed_dims = dims_rule::broadcast;
  static constexpr arity inputs{3};
  static void infer(context& c) {
    c.require(c.num_inputs() == 3, "where(condition) with one argument is data-dependent and not supported");
    c.set_tensor(0, promote(c.in(1), c.in(2)), out_shape_of(c, 3));
  }
  static void run(context& c) {
    slot& y = c.out(0);
    map_scalar(y.shape, y.data, y.type, {make_operand(c.in(0), y.shape), make_operand(c.in(1), y.shape), make_operand(c.in(2), y.shape)},
               [](const double* v) { return v[0] != 0 ? v[1] : v[2]; });
  }
};

// masked_fill(x, mask, value)
struct masked_fill_op {
  static constexpr std::string_view name = "masked_fill";
  static constexpr dims_rule fixed_dims = dims_rule::broadcast;
  static constexpr arity inputs{3};
  static void infer(context& c) {
    const slot& x = c.tensor_in(0);
    shape_t s = broadcast_shapes(x.shape, c.tensor_in(1).shape);
    c.require(s == x.shape, "mask of shape ", to_string(c.in(1).shape), " does not broadcast to ", to_string(x.shape));
    c.set_tensor(0, x.type, x.shape);
  }
  static void run(context& c) {
    slot& y = c.out(0);
    map_scalar(y.shape, y.data, y.type, {make_operand(c.in(0), y.shape), make_operand(c.in(1), y.shape), make_operand(c.in(2), y.shape)},
               [](const double* v) { return v[1] != 0 ? v[2] : v[0]; });
  }
};

}  // namespace cactus::ops
