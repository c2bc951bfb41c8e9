#pragma once
// rope: rotary position embedding applied element-wise, in its two common spellings.
//   rotate_half (HF Llama / Qwen2 / Qwen3 / Mistral / Gemma):
//     x1, x2 = x[..., : d // 2], x[..., d // 2 :]
//     x * cos + torch.cat((-x2, x1), dim=-1) * sin
//   interleaved (HF GPT-J / CodeGen's rotate_every_two):
//     torch.stack((-x[..., 1::2], x[..., ::2]), dim=-1).flatten(-2)  in place of the cat
// cos and sin are whatever the model multiplies by (computed from position ids at run time, or
// constants); either product order and either side of the add. The split point is one value
// used by both slices (any point works; d // 2 in practice). Not fused: slices along another
// dim, cat(x1, -x2) (the rotation the other way), step 2 slices in the wrong order.
#include "cactus/patterns/dsl.hpp"

namespace cactus::patterns::rules {

namespace rope_form {
using x = var<"x">;
using cos = var<"cos">;
using sin = var<"sin">;
using h = var<"h">;
using last = last_dim_of<x>;
using rotate_half = node<"cat", node<"neg", node<"slice", x, where<any, last>, h, any, lit<1>>>, node<"slice", x, where<any, last>, lit<0>, h, lit<1>>,
                         where<any, last>>;
using rotate_every_two = node<"flatten", node<"stack", node<"neg", node<"slice", x, where<any, last>, lit<1>, any, lit<2>>>,
                                              node<"slice", x, where<any, last>, lit<0>, any, lit<2>>, lit<-1>>,
                              lit<-2>, lit<-1>>;
// the rotation first: it binds x, so that x * cos then matches in either operand order
template <class Rot>
using apply = node<"add", node<"mul", Rot, sin>, node<"mul", x, cos>, lit<1>>;
}  // namespace rope_form

using rope_rotate_half = rule<"rope", rope_form::apply<rope_form::rotate_half>, make<"rope", rope_form::x, rope_form::cos, rope_form::sin, rope_form::h, lit<0>>>;
using rope_interleaved = rule<"rope", rope_form::apply<rope_form::rotate_every_two>, make<"rope", rope_form::x, rope_form::cos, rope_form::sin, lit<0>, lit<1>>>;

}  // namespace cactus::patterns::rules
