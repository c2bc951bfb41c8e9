#pragma once
// Plan-time ops: they read shapes and combine sizes, producing meta values, so the shape
// arithmetic that tracing records (x.size(1), NumToTensor, ListConstruct...) is re-evaluated
// for each new input shape instead of being baked in.
#include <cmath>
#include "cactus/ops/op.hpp"

namespace cactus::ops {

struct size_op {
  static constexpr std::string_view name = "size";
  static constexpr dims_rule fixed_dims = dims_rule::shape_read;
  static constexpr arity inputs{1, 2};
  static void infer(context& c) {
    const slot& x = c.tensor_in(0);
    if (c.num_inputs() < 2) { c.set_meta(0, meta::of_ints(x.shape)); return; }
    auto d = wrap_dim(c.int_at(1), static_cast<std::int64_t>(x.shape.size()));
    c.set_meta(0, meta::of_int(x.shape.empty() ? 1 : x.shape[static_cast<std::size_t>(d)]));
  }
};

struct dim_op {
  static constexpr std::string_view name = "dim";
  static constexpr dims_rule fixed_dims = dims_rule::shape_read;
  static constexpr arity inputs{1};
  static void infer(context& c) { c.set_meta(0, meta::of_int(static_cast<std::int64_t>(c.tensor_in(0).shape.size()))); }
};

struct numel_op {
  static constexpr std::string_view name = "numel";
  static constexpr dims_rule fixed_dims = dims_rule::shape_read;
  static constexpr arity inputs{1};
  static void infer(context& c) { c.set_meta(0, meta::of_int(c.tensor_in(0).numel())); }
};

// A list of plan-time numbers (int[] or float[]).
struct list_op {
  static constexpr std::string_view name = "list";
  static constexpr arity inputs{0, variadic};
  static void infer(context& c) {
    bool any_float = false;
    for (std::size_t i = 0; i < c.num_inputs(); ++i) {
      const slot& s = c.in(i);
      c.require(s.k == kind::int_ || s.k == kind::float_ || s.k == kind::bool_,
                "list element ", i, " is a ", ir::kind_name(s.k), "; only lists of numbers are supported here");
      any_float |= s.k == kind::float_;
    }
    if (any_float) {
      std::vector<double> v;
      for (std::size_t i = 0; i < c.num_inputs(); ++i) v.push_back(c.num_at(i));
      c.set_meta(0, meta::of_floats(std::move(v)));
    } else {
      std::vector<std::int64_t> v;
      for (std::size_t i = 0; i < c.num_inputs(); ++i) v.push_back(c.int_at(i));
      c.set_meta(0, meta::of_ints(std::move(v)));
    }
  }
};

struct list_unpack_op {
  static constexpr std::string_view name = "list_unpack";
  static constexpr arity inputs{1};
  static constexpr arity outputs{0, variadic};
  static void infer(context& c) {
    auto v = c.ints_at(0);
    c.require(v.size() == c.num_outputs(), "unpacks ", c.num_outputs(), " values from a list of ", v.size());
    for (std::size_t i = 0; i < v.size(); ++i) c.set_meta(i, meta::of_int(v[i]));
  }
};

struct list_len_op {
  static constexpr std::string_view name = "list_len";
  static constexpr arity inputs{1};
  static void infer(context& c) { c.set_meta(0, meta::of_int(static_cast<std::int64_t>(c.ints_at(0).size()))); }
};

struct list_get_op {
  static constexpr std::string_view name = "list_get";
  static constexpr arity inputs{2};
  static void infer(context& c) {
    auto v = c.ints_at(0);
    auto i = wrap_dim(c.int_at(1), static_cast<std::int64_t>(v.size()), "list index");
    c.set_meta(0, meta::of_int(v[static_cast<std::size_t>(i)]));
  }
};

// Number conversions between TorchScript's scalar spellings (0-d "tensors" of sizes included).
struct to_int_op {
  static constexpr std::string_view name = "to_int";
  static constexpr arity inputs{1};
  static void infer(context& c) {
    const slot& s = c.in(0);
    if (s.k == kind::float_) c.set_meta(0, meta::of_int(static_cast<std::int64_t>(std::floor(s.m.f))));
    else if (s.k == kind::int_ || s.k == kind::bool_) c.set_meta(0, s.m);
    else c.fail("needs a number known at plan time; data-dependent sizes are not supported");
  }
};

struct to_float_op {
  static constexpr std::string_view name = "to_float";
  static constexpr arity inputs{1};
  static void infer(context& c) { c.set_meta(0, meta::of_float(c.num_at(0))); }
};

struct floordiv_op {
  static constexpr std::string_view name = "floordiv";
  static constexpr arity inputs{2};
  static void infer(context& c) {
    auto a = c.int_at(0), b = c.int_at(1);
    c.require(b != 0, "division by zero in shape arithmetic");
    std::int64_t q = a / b;
    if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
    c.set_meta(0, meta::of_int(q));
  }
};

}  // namespace cactus::ops
