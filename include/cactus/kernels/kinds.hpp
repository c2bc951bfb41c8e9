#pragma once
// Enumerations shared by the kernels and the ops that call them (no Highway here).
#include <cstdint>

namespace cactus::kernels {

enum class unary_kind : std::uint8_t {
  relu, gelu_erf, gelu_tanh, silu, sigmoid, tanh, exp, log, sqrt, rsqrt, neg, abs, sin, cos,
  reciprocal, erf, clamp /* p0=min p1=max */, leaky_relu /* p0=slope */, square
};

enum class binary_kind : std::uint8_t { add, sub, mul, div, max, min, pow };

}  // namespace cactus::kernels
