#pragma once
// attention: the eager scaled dot-product attention HF models write by hand (Llama, Qwen2/3,
// Mistral, Gemma "eager"; GPT-2, BERT, ViT, Whisper):
//     w = torch.matmul(q, k.transpose(2, 3)) * scaling        (or / math.sqrt(head_dim), or none)
//     w = w + attention_mask                                   (optional; f32, added)
//       or torch.where(causal_mask, w, mask_value)             (GPT-2: bool, true = attend,
//                                                               masked scores = mask_value)
//     w = softmax(w, dim=-1[, dtype=float32])                  (dropout and .to(dtype) are gone)
//     out = torch.matmul(w, v)
// with k and v optionally through repeat_kv (grouped-query attention):
//     kv[:, :, None, :, :].expand(b, kvh, n_rep, s, d).reshape(b, kvh * n_rep, s, d)
// which the fused op reads without materializing the repeated heads. 3-D (bmm-style) q, k, v
// work too. aten::_scaled_dot_product_attention is mapped to the same op by canonicalize.
// Not fused: softmax over another dim, k not transposed (q @ k), a mask added before the
// scaling, a repeat along another dim.
#include "cactus/patterns/dsl.hpp"

namespace cactus::patterns::rules {

namespace attn {
template <fixed_string N>
using kv = alt<node<"reshape", node<"expand", node<"unsqueeze", where<var<N>, rank_is<4>>, lit<2>>, any, any>, any>, var<N>>;
using scores = node<"matmul", var<"q">, node<"permute", kv<"k">, alt<ints<0, 1, 3, 2>, ints<0, 2, 1>>>>;
template <class Scaled>
using masked = alt<node<"add", Scaled, var<"mask">, lit<1>>, node<"where", where<var<"mask">, dtype_is<dtype::b8>>, Scaled, where<var<"fill">, scalar>>,
                   Scaled>;
template <class Scaled>
using pattern = node<"matmul", node<"softmax", as<var<"s">, masked<Scaled>>, where<any, last_dim_of<var<"s">>>, any>, kv<"v">>;
template <class Scale, int Divide>
using fused = make<"attention", var<"q">, var<"k">, var<"v">, var<"mask">, Scale, lit<false>, lit<Divide>, var<"fill">>;
}  // namespace attn

using attention_scaled = rule<"attention", attn::pattern<node<"mul", attn::scores, where<var<"scale">, scalar>>>, attn::fused<var<"scale">, 0>>;
using attention_divided = rule<"attention", attn::pattern<node<"div", attn::scores, where<var<"scale">, scalar>>>, attn::fused<var<"scale">, 1>>;
using attention_unscaled = rule<"attention", attn::pattern<attn::scores>, attn::fused<lit<1.0>, 0>>;

}  // namespace cactus::patterns::rules
