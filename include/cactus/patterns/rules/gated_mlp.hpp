#pragma once
// gated_mlp: the gated feed-forward block of Llama / Qwen / Mistral (silu) and Gemma (gelu
// tanh), as HF writes it:
//     down_proj(act_fn(gate_proj(x)) * up_proj(x))
// with nn.Linear projections (biases allowed), act silu, gelu(approximate='tanh') or exact
// gelu (a hand-written gelu is first turned into gelu by the gelu rule). Either product order.
// Not fused: gate and up reading different inputs, an activation on the up projection,
// non-constant weights, another activation (relu: nothing gained over the unfused ops).
#include "cactus/patterns/dsl.hpp"

namespace cactus::patterns::rules {

namespace gmlp {
using x = var<"x">;
using gate = node<"linear", x, where<var<"wg">, constant>, var<"bg">>;
using up = node<"linear", x, where<var<"wu">, constant>, var<"bu">>;
template <class Act>
using pattern = node<"linear", node<"mul", Act, up>, where<var<"wd">, constant>, var<"bd">>;
template <int Act>
using fused = make<"gated_mlp", x, var<"wg">, var<"bg">, var<"wu">, var<"bu">, var<"wd">, var<"bd">, lit<Act>>;
}  // namespace gmlp

using gated_mlp_silu = rule<"gated_mlp", gmlp::pattern<node<"silu", gmlp::gate>>, gmlp::fused<0>>;
using gated_mlp_gelu_tanh = rule<"gated_mlp", gmlp::pattern<node<"gelu", gmlp::gate, str<"tanh">>>, gmlp::fused<1>>;
using gated_mlp_gelu = rule<"gated_mlp", gmlp::pattern<node<"gelu", gmlp::gate, alt<none, str<"none">>>>, gmlp::fused<2>>;

}  // namespace cactus::patterns::rules
