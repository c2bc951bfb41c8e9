#pragma once
// Enumerations shared by the kernels and the ops that call them (no Highway here).
#include <cstddef>
#include <cstdint>
#include <string>

namespace cactus::kernels {

// Weight rows the quantized matmul decodes per block (its scratch holds this many decoded rows).
inline constexpr std::size_t quant_row_block = 8;

// Rows per panel of a packed GEMM operand (kernels::gemm_pack_a): the same layout on every target.
inline constexpr std::size_t gemm_panel = 12;

enum class unary_kind : std::uint8_t {
  relu, gelu_erf, gelu_tanh, silu, sigmoid, tanh, exp, log, sqrt, rsqrt, neg, abs, sin, cos,
  reciprocal, erf, clamp /* p0=min p1=max */, leaky_relu /* p0=slope */, square,
  floor, ceil, round /* half to even */, trunc, sign, hardswish, hardsigmoid, expm1, log1p, log2, log10,
  tan, asin, acos, atan, sinh, cosh, asinh, acosh, atanh
};

enum class binary_kind : std::uint8_t { add, sub, mul, div, max, min, pow };

// The optional int8 instructions a quantized product runs with, chosen once per plan with its
// path (kernels::choose_int8_isa: the best the dispatched target and the CPU have) and passed
// to the kernels: vpdpbusd (AVX-512 VNNI); SDOT (FEAT_DotProd); SMMLA (FEAT_I8MM) beside SDOT.
enum class int8_isa : int { none = 0, vnni = 1, sdot = 2, i8mm = 3 };
inline const char* name_of(int8_isa i) {
  switch (i) {
    case int8_isa::vnni: return "VNNI";
    case int8_isa::sdot: return "SDOT";
    case int8_isa::i8mm: return "SMMLA";
    default: return "";
  }
}
// A planned path's name with its instructions ("gemm8/VNNI"; the path alone without any).
inline std::string with_isa(const char* path, int8_isa i) { return i == int8_isa::none ? std::string(path) : std::string(path) + "/" + name_of(i); }

}  // namespace cactus::kernels
