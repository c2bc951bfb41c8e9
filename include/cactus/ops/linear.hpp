#pragma once
// linear(x[..., K], W[N, K], b[N]?) -> [..., N]; W f32 or f16 (widened in the kernel), or packed
// q8 / CQ (integer kernels, kernels/quant_*-inl.hpp).
#include "cactus/kernels/dispatch.hpp"
#include "cactus/ops/op.hpp"

namespace cactus::ops {

struct linear_op {
  static constexpr std::string_view name = "linear";
  static constexpr dims_rule fixed_dims = dims_rule::linear;
  static constexpr arity inputs{2, 3};
  static constexpr bool f16_weights = true;
  static constexpr std::uint32_t packed_inputs = 1u << 1;  // W may be q8 / CQ
  static void infer(context& c) {
    const slot& x = c.tensor_in(0);
    const slot& w = c.tensor_in(1);
    c.require(w.shape.size() == 2, "weight must be 2-D, got ", to_string(w.shape));
    c.require(!x.shape.empty() && x.shape.back() == w.shape[1], "input ", to_string(x.shape),
              " does not match weight ", to_string(w.shape), " (last dim must be ", w.shape[1], ")");
    if (!c.is_none(2)) c.require(c.tensor_in(2).numel() == w.shape[0], "bias has ", c.in(2).numel(), " elements, expected ", w.shape[0]);
    shape_t s = x.shape;
    s.back() = w.shape[0];
    c.set_tensor(0, dtype::f32, s);
  }
  // The kernel plan, once per plan of the graph: a packed W's path and int8 instructions
  // (kernels::choose_quant_plan on its format, the batch M and the CPU); f32 and f16 W have one
  // path (-1).
  static int choose(const context& c) {
    const slot& w = c.in(1);
    if (!is_packed(w.type) || w.shape.size() != 2 || w.shape[1] == 0) return -1;
    return kernels::code_of(kernels::choose_quant_plan(w.type, static_cast<std::size_t>(c.in(0).numel() / w.shape[1])));
  }
  static const char* choice_name(int code) { return kernels::name_of(kernels::quant_plan_of(code)); }
  static void run(context& c) {
    const slot& x = c.f32_in(0);
    const slot& w = c.in(1);
    const float* bias = c.is_none(2) ? nullptr : c.f32_in(2).ptr<float>();
    const auto N = static_cast<std::size_t>(w.shape[0]), K = static_cast<std::size_t>(w.shape[1]);
    const auto M = static_cast<std::size_t>(x.numel()) / K;
    if (is_packed(w.type))
      return kernels::quant_matmul(kernels::quant_plan_of(c.kernel_choice(choose)), w.type, w.data, N, K, M, x.ptr<float>(), c.out(0).ptr<float>(), N, bias);
    kernels::gemm_nt(M, N, K, x.ptr<float>(), K, w.data, w.type == dtype::f16, K, c.out(0).ptr<float>(), N, bias);
  }
};

}  // namespace cactus::ops
