#pragma once
// Unary elementwise ops. Each is one line naming its kernel and TorchScript spellings; the
// shared body handles f32 tensors by SIMD and plan-time numbers (e.g. neg of a size) exactly.
#include "cactus/ops/elementwise.hpp"

namespace cactus::ops {

namespace detail {
inline double unary_scalar(kernels::unary_kind k, double x, double p0, double p1) {
  using K = kernels::unary_kind;
  switch (k) {
    case K::relu: return x > 0 ? x : 0;
    case K::gelu_erf: return 0.5 * x * (1 + std::erf(x / std::sqrt(2.0)));
    case K::gelu_tanh: return 0.5 * x * (1 + std::tanh(0.7978845608028654 * (x + 0.044715 * x * x * x)));
    case K::silu: return x / (1 + std::exp(-x));
    case K::sigmoid: return 1 / (1 + std::exp(-x));
    case K::tanh: return std::tanh(x);
    case K::exp: return std::exp(x);
    case K::log: return std::log(x);
    case K::sqrt: return std::sqrt(x);
    case K::rsqrt: return 1 / std::sqrt(x);
    case K::neg: return -x;
    case K::abs: return std::fabs(x);
    case K::sin: return std::sin(x);
    case K::cos: return std::cos(x);
    case K::reciprocal: return 1 / x;
    case K::erf: return std::erf(x);
    case K::clamp: return std::min(std::max(x, p0), p1);
    case K::leaky_relu: return x < 0 ? x * p0 : x;
    case K::square: return x * x;
    case K::floor: return std::floor(x);
    case K::ceil: return std::ceil(x);
    case K::round: return std::nearbyint(x);  // the default rounding mode: half to even
    case K::trunc: return std::trunc(x);
    case K::sign: return (x > 0) - (x < 0);
    case K::hardswish: return x * std::min(std::max(x + 3, 0.0), 6.0) / 6;
    case K::hardsigmoid: return std::min(std::max(x + 3, 0.0), 6.0) / 6;
    case K::expm1: return std::expm1(x);
    case K::log1p: return std::log1p(x);
    case K::log2: return std::log2(x);
    case K::log10: return std::log10(x);
    case K::tan: return std::tan(x);
    case K::asin: return std::asin(x);
    case K::acos: return std::acos(x);
    case K::atan: return std::atan(x);
    case K::sinh: return std::sinh(x);
    case K::cosh: return std::cosh(x);
    case K::asinh: return std::asinh(x);
    case K::acosh: return std::acosh(x);
    case K::atanh: return std::atanh(x);
  }
  return x;
}

// Reads the op's parameters: (kind, p0, p1) from the inputs after x.
template <class Op>
void unary_params(const context& c, kernels::unary_kind& k, double& p0, double& p1) {
  k = Op::kernel;
  p0 = 0;
  p1 = 0;
  if constexpr (requires { Op::params(c, k, p0, p1); }) Op::params(c, k, p0, p1);
}

template <class Op>
struct unary_body {
  static void infer(context& c) {
    const slot& x = c.in(0);
    kernels::unary_kind k;
    double p0, p1;
    unary_params<Op>(c, k, p0, p1);
    if (!x.is_tensor()) {
      c.require(x.is_tensor() || x.m.is_number(), "needs a tensor or number");
      double v = unary_scalar(k, x.m.as_double(), p0, p1);
      c.set_meta(0, x.k == kind::int_ && (k == kernels::unary_kind::neg || k == kernels::unary_kind::abs) ? meta::of_int(static_cast<std::int64_t>(v)) : meta::of_float(v));
      return;
    }
    c.set_tensor(0, is_floating(x.type) || !Op::keeps_int ? dtype::f32 : x.type, x.shape);
  }
  static void run(context& c) {
    const slot& x = c.in(0);
    slot& y = c.out(0);
    kernels::unary_kind k;
    double p0, p1;
    unary_params<Op>(c, k, p0, p1);
    if (x.type == dtype::f32 && y.type == dtype::f32) {
      kernels::unary(k, x.ptr<float>(), y.ptr<float>(), static_cast<std::size_t>(x.numel()), static_cast<float>(p0), static_cast<float>(p1));
      return;
    }
    operand a = make_operand(x, y.shape);
    map_scalar(y.shape, y.data, y.type, {a}, [&](const double* v) { return unary_scalar(k, v[0], p0, p1); });
  }
};
}  // namespace detail

#define CACTUS_UNARY_OP(STRUCT, NAME, KERNEL, KEEPS_INT)                                           \
  struct STRUCT : detail::unary_body<STRUCT> {                                                     \
    static constexpr std::string_view name = NAME;                                                 \
    static constexpr dims_rule fixed_dims = dims_rule::same;                                       \
    static constexpr kernels::unary_kind kernel = kernels::unary_kind::KERNEL;                     \
    static constexpr bool keeps_int = KEEPS_INT;                                                   \
    static constexpr arity inputs{1};                                                              \
  }

CACTUS_UNARY_OP(relu_op, "relu", relu, true);
CACTUS_UNARY_OP(silu_op, "silu", silu, false);
CACTUS_UNARY_OP(sigmoid_op, "sigmoid", sigmoid, false);
CACTUS_UNARY_OP(tanh_op, "tanh", tanh, false);
CACTUS_UNARY_OP(exp_op, "exp", exp, false);
CACTUS_UNARY_OP(log_op, "log", log, false);
CACTUS_UNARY_OP(sqrt_op, "sqrt", sqrt, false);
CACTUS_UNARY_OP(rsqrt_op, "rsqrt", rsqrt, false);
CACTUS_UNARY_OP(neg_op, "neg", neg, true);
CACTUS_UNARY_OP(abs_op, "abs", abs, true);
CACTUS_UNARY_OP(sin_op, "sin", sin, false);
CACTUS_UNARY_OP(cos_op, "cos", cos, false);
CACTUS_UNARY_OP(reciprocal_op, "reciprocal", reciprocal, false);
CACTUS_UNARY_OP(erf_op, "erf", erf, false);
CACTUS_UNARY_OP(floor_op, "floor", floor, true);
CACTUS_UNARY_OP(ceil_op, "ceil", ceil, true);
CACTUS_UNARY_OP(round_op, "round", round, true);
CACTUS_UNARY_OP(trunc_op, "trunc", trunc, true);
CACTUS_UNARY_OP(sign_op, "sign", sign, true);
CACTUS_UNARY_OP(hardswish_op, "hardswish", hardswish, false);
CACTUS_UNARY_OP(hardsigmoid_op, "hardsigmoid", hardsigmoid, false);
CACTUS_UNARY_OP(expm1_op, "expm1", expm1, false);
CACTUS_UNARY_OP(log1p_op, "log1p", log1p, false);
CACTUS_UNARY_OP(log2_op, "log2", log2, false);
CACTUS_UNARY_OP(log10_op, "log10", log10, false);
CACTUS_UNARY_OP(tan_op, "tan", tan, false);
CACTUS_UNARY_OP(asin_op, "asin", asin, false);
CACTUS_UNARY_OP(acos_op, "acos", acos, false);
CACTUS_UNARY_OP(atan_op, "atan", atan, false);
CACTUS_UNARY_OP(sinh_op, "sinh", sinh, false);
CACTUS_UNARY_OP(cosh_op, "cosh", cosh, false);
CACTUS_UNARY_OP(asinh_op, "asinh", asinh, false);
CACTUS_UNARY_OP(acosh_op, "acosh", acosh, false);
CACTUS_UNARY_OP(atanh_op, "atanh", atanh, false);
#undef CACTUS_UNARY_OP

// gelu(x, approximate='none'|'tanh')
struct gelu_op : detail::unary_body<gelu_op> {
  static constexpr std::string_view name = "gelu";
  static constexpr dims_rule fixed_dims = dims_rule::same;
  static constexpr arity inputs{1, 2};
  static constexpr kernels::unary_kind kernel = kernels::unary_kind::gelu_erf;
  static constexpr bool keeps_int = false;
  static void params(const context& c, kernels::unary_kind& k, double&, double&) {
    if (c.is_none(1)) return;
    std::string a = c.string_at(1);
    if (a == "tanh") k = kernels::unary_kind::gelu_tanh;
    else if (a != "none") c.fail("unknown gelu approximation '", a, "'");
  }
};

// clamp(x, min, max), hardtanh(x, min, max), relu6(x)
struct clamp_op : detail::unary_body<clamp_op> {
  static constexpr std::string_view name = "clamp";
  static constexpr dims_rule fixed_dims = dims_rule::same;
  static constexpr arity inputs{1, 3};
  static constexpr kernels::unary_kind kernel = kernels::unary_kind::clamp;
  static constexpr bool keeps_int = true;
  static void params(const context& c, kernels::unary_kind&, double& lo, double& hi) {
    if (c.num_inputs() == 1) { lo = 0; hi = 6; return; }  // relu6
    lo = c.is_none(1) ? -INFINITY : c.num_at(1);
    hi = c.is_none(2) ? INFINITY : c.num_at(2);
  }
};

struct leaky_relu_op : detail::unary_body<leaky_relu_op> {
  static constexpr std::string_view name = "leaky_relu";
  static constexpr dims_rule fixed_dims = dims_rule::same;
  static constexpr arity inputs{1, 2};
  static constexpr kernels::unary_kind kernel = kernels::unary_kind::leaky_relu;
  static constexpr bool keeps_int = false;
  static void params(const context& c, kernels::unary_kind&, double& slope, double&) {
    slope = c.is_none(1) ? 0.01 : c.num_at(1);
  }
};

// elu(x, alpha, scale, input_scale) = scale * (x > 0 ? x : alpha * (exp(input_scale * x) - 1)),
// ATen's form, which selu and celu are spelled in. Computed per element in double.
struct elu_op {
  static constexpr std::string_view name = "elu";
  static constexpr dims_rule fixed_dims = dims_rule::same;
  static constexpr arity inputs{1, 4};
  static void infer(context& c) {
    const slot& x = c.tensor_in(0);
    c.require(is_floating(x.type), "takes floating-point tensors, got ", name_of(x.type));
    c.set_tensor(0, x.type, x.shape);
  }
  static void run(context& c) {
    const double alpha = c.is_none(1) ? 1.0 : c.num_at(1), scale = c.is_none(2) ? 1.0 : c.num_at(2), in_scale = c.is_none(3) ? 1.0 : c.num_at(3);
    slot& y = c.out(0);
    map_scalar(y.shape, y.data, y.type, {make_operand(c.in(0), y.shape)},
               [&](const double* v) { return scale * (v[0] > 0 ? v[0] : alpha * std::expm1(in_scale * v[0])); });
  }
};

// isnan / isinf(x) -> bool; integers are never either
template <bool Nan>
struct classify_body {
  static constexpr dims_rule fixed_dims = dims_rule::same;
  static constexpr arity inputs{1};
  static void infer(context& c) { c.set_tensor(0, dtype::b8, c.tensor_in(0).shape); }
  static void run(context& c) {
    slot& y = c.out(0);
    map_scalar(y.shape, y.data, y.type, {make_operand(c.in(0), y.shape)},
               [](const double* v) { return (Nan ? std::isnan(v[0]) : std::isinf(v[0])) ? 1.0 : 0.0; });
  }
};
struct isnan_op : classify_body<true> {
  static constexpr std::string_view name = "isnan";
};
struct isinf_op : classify_body<false> {
  static constexpr std::string_view name = "isinf";
};

}  // namespace cactus::ops
