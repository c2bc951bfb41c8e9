#pragma once
// cast: dtype conversion, and the dequantization of a packed weight to f32.
#include <cstring>

#include "cactus/core/parallel.hpp"
#include "cactus/ops/dtype_arg.hpp"
#include "cactus/ops/elementwise.hpp"
#include "cactus/quant/quantize.hpp"

namespace cactus::ops {

// cast(x, dtype): the canonical form of PyTorch's to / type_as / float / long / bool / _to_copy.
struct cast_op {
  static constexpr std::string_view name = "cast";
  static constexpr dims_rule fixed_dims = dims_rule::same;
  static constexpr arity inputs{2};
  static constexpr bool f16_weights = true;
  static void infer(context& c) {
    const slot& x = c.tensor_in(0);
    dtype t = c.in(1).is_tensor() ? c.in(1).type : detail::dtype_from_code(c, c.int_at(1));
    // a cast of an activation to f16 rounds it, as in PyTorch; ops then read it widened again
    // (passes/widen_half_activations.hpp), so compute stays f32
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
    if (x.type == dtype::f32 && y.type == dtype::f16) {  // rounding activations to f16: the vector kernel, same bits
      const auto n = static_cast<std::size_t>(y.numel());
      global_pool().parallel_for(n, elementwise_grain, [&](std::size_t b, std::size_t e) {
        kernels::f32_to_f16_span(x.ptr<float>() + b, static_cast<std::uint16_t*>(y.data) + b, e - b);
      });
      return;
    }
    map_scalar(y.shape, y.data, y.type, {make_operand(x, y.shape)}, [](const double* v) { return v[0]; });
  }
};

}  // namespace cactus::ops
