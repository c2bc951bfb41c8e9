#pragma once
// layer_norm: LayerNorm over the last dim written by hand (ConvNeXt's channels-last LayerNorm,
// nanoGPT-era code, many re-implementations):
//     u = x.mean(-1, keepdim=True)
//     s = (x - u).pow(2).mean(-1, keepdim=True)           (or (x - u) * (x - u))
//     x = (x - u) / torch.sqrt(s + eps)                    (or * torch.rsqrt(s + eps))
//     return weight * x + bias                              (either order; bias or both optional)
// Not fused: statistics over another dim (ConvNeXt's channels-first form), keepdim=False, a
// non-constant weight, bias or eps.
#include "cactus/patterns/dsl.hpp"

namespace cactus::patterns::rules {

namespace ln {
using x = var<"x">;
using w = var<"w">;
using b = var<"b">;
using eps = var<"eps">;
template <class T>
using mean_last = node<"mean", T, ints<-1>, lit<true>, none>;
using centered = node<"sub", x, mean_last<x>, lit<1>>;
using variance = mean_last<alt<node<"pow", centered, lit<2>>, node<"mul", centered, centered>>>;
using shifted = node<"add", variance, where<eps, constant>, lit<1>>;
using normalized = alt<node<"div", centered, node<"sqrt", shifted>>, node<"mul", centered, node<"rsqrt", shifted>>>;
using scaled = node<"mul", where<w, constant>, normalized>;
using pattern = alt<node<"add", scaled, where<b, constant>, lit<1>>, scaled, normalized>;
}  // namespace ln

using layer_norm = rule<"layer_norm", ln::pattern, make<"layer_norm", ln::x, last_dims<ln::x, 1>, ln::w, ln::b, ln::eps>>;

}  // namespace cactus::patterns::rules
