#pragma once
// rms_norm: the RMSNorm HF Llama / Qwen3 / Mistral write by hand,
//     variance = x.pow(2).mean(-1, keepdim=True)     (or x * x)
//     x = x * torch.rsqrt(variance + eps)
//     return weight * x                                (either operand order)
// and Gemma's `x * (1 + weight)`, whose (1 + weight) torch.jit.freeze folds into one constant,
// so the same rule catches it. The casts to float32 and back are no-ops on f32 graphs and are
// gone before fusion. Not fused: a mean over another dim or without keepdim, a positive
// spelling of the last dim, a non-constant weight or eps.
#include "cactus/patterns/dsl.hpp"

namespace cactus::patterns::rules {

namespace rms {
using x = var<"x">;
using w = var<"w">;
using eps = var<"eps">;
using mean_of_squares = node<"mean", alt<node<"pow", x, lit<2>>, node<"mul", x, x>>, ints<-1>, lit<true>, none>;
using normalized = node<"mul", x, node<"rsqrt", node<"add", mean_of_squares, where<eps, constant>, lit<1>>>>;
}  // namespace rms

using rms_norm = rule<"rms_norm", node<"mul", where<rms::w, constant>, rms::normalized>, make<"rms_norm", rms::x, rms::w, rms::eps, lit<0>>>;

}  // namespace cactus::patterns::rules
