#pragma once
// gelu: GELU written by hand, caught in both of its forms.
//   tanh form (GPT-2's gelu_new, HF NewGELUActivation, BERT-era code):
//     0.5 * x * (1 + tanh(sqrt(2 / pi) * (x + 0.044715 * x^3)))      (pow(x, 3), x * x * x, 0.044715 * x * x * x)
//   erf form (HF's gelu in older BERT/ViT code):
//     x * 0.5 * (1 + erf(x / sqrt(2)))                               (or erf(x * 0.70710678))
// The 0.5 may sit on x, on the bracket, or on the product of the two; constants match within a
// relative 1e-6, so math.sqrt(2 / math.pi) and 0.7978845608 both do. Not fused: another
// coefficient (e.g. 0.044 or 1.702 * x, the sigmoid approximation), a bracket on another value.
#include "cactus/patterns/dsl.hpp"

namespace cactus::patterns::rules {

namespace gelu_form {
using x = var<"x">;
// 0.5 * x * T in its three associations
template <class T>
using half_x_times = alt<node<"mul", node<"mul", x, lit<0.5>>, T>, node<"mul", x, node<"mul", T, lit<0.5>>>, node<"mul", node<"mul", x, T>, lit<0.5>>>;
template <class T>
using one_plus = node<"add", T, lit<1>, lit<1>>;
using cube = alt<node<"pow", x, lit<3>>, node<"mul", node<"mul", x, x>, x>>;
using c = approx<0.044715>;
// 0.044715 * x^3, also as 0.044715 * x * x * x (left to right)
using cubic = alt<node<"mul", cube, c>, node<"mul", node<"mul", node<"mul", x, c>, x>, x>>;
using tanh_arg = node<"mul", node<"add", x, cubic, lit<1>>, approx<0.7978845608028654>>;
using erf_arg = alt<node<"div", x, approx<1.4142135623730951>>, node<"mul", x, approx<0.7071067811865476>>>;
}  // namespace gelu_form

using gelu_tanh = rule<"gelu", gelu_form::half_x_times<gelu_form::one_plus<node<"tanh", gelu_form::tanh_arg>>>, make<"gelu", gelu_form::x, str<"tanh">>>;
using gelu_erf = rule<"gelu", gelu_form::half_x_times<gelu_form::one_plus<node<"erf", gelu_form::erf_arg>>>, make<"gelu", gelu_form::x, none>>;

}  // namespace cactus::patterns::rules
