#pragma once
// gated_mlp(x, w_gate, b_gate?, w_up, b_up?, w_down, b_down?, act) =
//     linear(act(linear(x, w_gate, b_gate)) * linear(x, w_up, b_up), w_down, b_down)
// with act 0 = silu (Llama, Qwen, Mistral), 1 = gelu tanh (Gemma), 2 = gelu erf. Produced by
// patterns/rules/gated_mlp.hpp. The gate and up projections run as one parallel pass over
// both weight matrices (quantized ones share a single quantization of x), and each task
// applies act(gate) * up to its slice of hidden features while it is in cache.
#include <array>
#include <string>

#include "cactus/kernels/dispatch.hpp"
#include "cactus/ops/op.hpp"

namespace cactus::ops {

struct gated_mlp_op {
  static constexpr std::string_view name = "gated_mlp";
  static constexpr arity inputs{8};
  static constexpr bool f16_weights = true;
  static constexpr std::uint32_t packed_inputs = (1u << 1) | (1u << 3) | (1u << 5);

  static kernels::unary_kind act(const context& c) {
    const auto a = c.int_at(7);
    c.require(a >= 0 && a <= 2, "unknown gated_mlp activation code ", a);
    return a == 0 ? kernels::unary_kind::silu : a == 1 ? kernels::unary_kind::gelu_tanh : kernels::unary_kind::gelu_erf;
  }
  static void infer(context& c) {
    const slot& x = c.f32_in(0);
    const slot& wg = c.tensor_in(1);
    const slot& wu = c.tensor_in(3);
    const slot& wd = c.tensor_in(5);
    c.require(wg.shape.size() == 2 && wu.shape == wg.shape, "gate ", to_string(wg.shape), " and up ", to_string(wu.shape), " must be the same 2-D shape");
    c.require(wd.shape.size() == 2 && wd.shape[1] == wg.shape[0], "down ", to_string(wd.shape), " must take the ", wg.shape[0], " hidden features");
    c.require(!x.shape.empty() && x.shape.back() == wg.shape[1], "input ", to_string(x.shape), " does not match gate ", to_string(wg.shape));
    for (std::size_t b : {2u, 4u, 6u})
      if (!c.is_none(b)) c.require(c.tensor_in(b).numel() == (b == 6 ? wd.shape[0] : wg.shape[0]), "bias ", b, " has the wrong size");
    act(c);
    shape_t s = x.shape;
    s.back() = wd.shape[0];
    c.set_tensor(0, dtype::f32, s);
  }

  // The kernel plan, once per plan of the graph (kernels::choose_quant_path on the batch M), a
  // path per projection: gate, up and down, each packed or not ("f32", which covers f16 weights
  // too); and the int8 instructions the packed ones run with (kernels::choose_int8_isa, one for
  // the node). Code: 64 * isa + 16 * gate + 4 * up + down, with 3 for "not packed". Gate and up
  // share one quantization of x when their paths and formats are the same.
  static constexpr int unpacked = 3;
  static int choose(const context& c) {
    const slot &wg = c.in(1), &wu = c.in(3), &wd = c.in(5);
    if (wg.shape.size() != 2 || wg.shape[1] == 0) return -1;
    const auto M = static_cast<std::size_t>(c.in(0).numel() / wg.shape[1]);
    auto path = [&](const slot& w) { return is_packed(w.type) ? static_cast<int>(kernels::choose_quant_path(w.type, M)) : unpacked; };
    const int g = path(wg), u = path(wu), d = path(wd);
    if (g == unpacked && u == unpacked && d == unpacked) return -1;
    const int i16 = static_cast<int>(kernels::quant_path::int16_rows);
    const bool int8 = (g != unpacked && g != i16) || (u != unpacked && u != i16) || (d != unpacked && d != i16);
    return 64 * (int8 ? static_cast<int>(kernels::choose_int8_isa()) : 0) + 16 * g + 4 * u + d;
  }
  static const char* choice_name(int code) {
    static const auto names = [] {
      std::array<std::string, 256> n;
      auto one = [](int p) { return p == unpacked ? std::string("f32") : std::string(kernels::name_of(kernels::quant_path_of(p))); };
      for (int i = 0; i < 4; ++i)
        for (int g = 0; g < 4; ++g)
          for (int u = 0; u < 4; ++u)
            for (int d = 0; d < 4; ++d) {
              std::string s = g == u && u == d ? one(g) : g == u ? "gate/up " + one(g) + ", down " + one(d) : "gate " + one(g) + ", up " + one(u) + ", down " + one(d);
              if (i) s += std::string("; ") + kernels::name_of(static_cast<kernels::int8_isa>(i));
              n[static_cast<std::size_t>(64 * i + 16 * g + 4 * u + d)] = s;
            }
      return n;
    }();
    check(code >= 0 && code < 256, "unknown gated_mlp kernel plan ", code);
    return names[static_cast<std::size_t>(code)].c_str();
  }

  // y[M, N] = x[M, K] . W^T (+ b): the linear op's kernels (`path` and `isa` for a packed W).
  static void project(const slot& w, const float* bias, const float* x, std::size_t M, float* y, int path, kernels::int8_isa isa) {
    const auto N = static_cast<std::size_t>(w.shape[0]), K = static_cast<std::size_t>(w.shape[1]);
    if (is_packed(w.type)) return kernels::quant_matmul(kernels::plan_of(kernels::quant_path_of(path), isa), w.type, w.data, N, K, M, x, y, N, bias);
    kernels::gemm_nt(M, N, K, x, K, w.data, w.type == dtype::f16, K, y, N, bias);
  }

  static void run(context& c) {
    const slot& x = c.in(0);
    const slot& wg = c.in(1);
    const slot& wu = c.in(3);
    const slot& wd = c.in(5);
    auto bias = [&](std::size_t i) { return c.is_none(i) ? nullptr : c.f32_in(i).ptr<float>(); };
    const auto F = static_cast<std::size_t>(wg.shape[0]), K = static_cast<std::size_t>(wg.shape[1]);
    const std::size_t M = static_cast<std::size_t>(x.numel()) / K;
    if (M == 0) return;
    const kernels::unary_kind a = act(c);
    float* g = aligned_scratch<float, 10>(M * F);
    float* u = aligned_scratch<float, 11>(M * F);
    const float* xp = x.ptr<float>();
    const float *bg = bias(2), *bu = bias(4);
    // hidden features [b, e): both projections, then act(gate) * up while the slice is in cache
    auto finish = [&](std::size_t b, std::size_t e) {
      for (std::size_t m = 0; m < M; ++m) kernels::gated_act_serial(a, g + m * F + b, u + m * F + b, g + m * F + b, e - b);
    };
    const int code = c.kernel_choice(choose);
    const int gp = code < 0 ? unpacked : code / 16 % 4, up = code < 0 ? unpacked : code / 4 % 4, down = code < 0 ? unpacked : code % 4;
    const auto isa = static_cast<kernels::int8_isa>(code < 0 ? 0 : code / 64);
    // gate and up on one quantization of x (same format and path), else one after the other
    const bool quant = gp != unpacked && gp == up && wg.type == wu.type;
    const std::size_t Kp = (K + packed_group - 1) / packed_group * packed_group, G = Kp / packed_group;
    const std::size_t min_rows = std::max<std::size_t>(quant ? 1 : 4, serial_work / (2 * M * (quant ? Kp : K) + 1));
    if (quant && kernels::quant_path_of(gp) != kernels::quant_path::int16_rows) {
      // one quantization of x for both projections (as kernels::quant_matmul: the matrix-matrix
      // microkernel on activations packed in blocks of 16 rows where the target runs it)
      std::int8_t* xq = scratch<std::int8_t, 7>(M * Kp);
      float* steps = scratch<float, 7>(M * G);
      std::int32_t* sums = scratch<std::int32_t, 7>(M * G);
      kernels::quantize_activations_i8(xp, M, K, wg.type != dtype::q8, xq, steps, sums);
      const bool gemm8 = kernels::quant_path_of(gp) == kernels::quant_path::gemm8 && kernels::quant_gemm8();
      const std::size_t Mp = (M + 15) / 16 * 16;
      std::uint8_t* xpk = gemm8 ? aligned_scratch<std::uint8_t, 10>(Mp * Kp) : nullptr;
      float* sp = gemm8 ? aligned_scratch<float, 19>(Mp * G) : nullptr;
      if (gemm8) kernels::pack_activations_i8(xq, steps, M, K, xpk, sp);
      global_pool().parallel_for(F, min_rows, [&](std::size_t b, std::size_t e) {
        if (gemm8) {
          kernels::quant_gemm8_rows(wg.type, wg.data, F, K, M, xpk, sp, b, e, g, F, bg, false, isa);
          kernels::quant_gemm8_rows(wu.type, wu.data, F, K, M, xpk, sp, b, e, u, F, bu, false, isa);
        } else {
          kernels::quant_matmul_rows_i8(wg.type, wg.data, F, K, M, xq, steps, sums, b, e, g, F, bg, isa);
          kernels::quant_matmul_rows_i8(wu.type, wu.data, F, K, M, xq, steps, sums, b, e, u, F, bu, isa);
        }
        finish(b, e);
      });
    } else if (quant) {
      std::int16_t* xq = scratch<std::int16_t, 7>(M * Kp);
      float* steps = scratch<float, 7>(M * G);
      kernels::quantize_activations(xp, M, K, wg.type != dtype::q8, xq, steps);
      global_pool().parallel_for(F, min_rows, [&](std::size_t b, std::size_t e) {
        kernels::quant_matmul_rows(wg.type, wg.data, F, K, M, xq, steps, b, e, g, F, bg);
        kernels::quant_matmul_rows(wu.type, wu.data, F, K, M, xq, steps, b, e, u, F, bu);
        finish(b, e);
      });
    } else if (gp == unpacked && up == unpacked) {
      // column blocks of 4 (the NT kernel's tile), both projections per task
      global_pool().parallel_for((F + 3) / 4, (min_rows + 3) / 4, [&](std::size_t b, std::size_t e) {
        const std::size_t n0 = b * 4, n1 = std::min(F, e * 4);
        kernels::gemm_nt_columns(M, n0, n1, K, xp, K, wg.data, wg.type == dtype::f16, K, g, F, bg);
        kernels::gemm_nt_columns(M, n0, n1, K, xp, K, wu.data, wu.type == dtype::f16, K, u, F, bu);
        finish(n0, n1);
      });
    } else {  // mixed formats (e.g. --keep on one of them): one projection after the other
      project(wg, bg, xp, M, g, gp, isa);
      project(wu, bu, xp, M, u, up, isa);
      global_pool().parallel_for(F, 64, [&](std::size_t b, std::size_t e) { finish(b, e); });
    }
    project(wd, bias(6), g, M, c.out(0).ptr<float>(), down, isa);
  }
};

}  // namespace cactus::ops
