#pragma once
// conv_module: a convolution followed by inference batch norm and/or an activation, as
// torchvision's Conv2dNormActivation, ResNet/MobileNet blocks and Whisper/Parakeet conv
// front ends write it:
//     act(bn(conv(x)))   act(conv(x))   bn(conv(x))
// for conv1d and conv2d (any stride, padding, dilation, groups), act relu, silu or relu6
// (hardtanh(0, 6) / clamp(0, 6)). The batch norm is folded into a per-channel scale and shift
// (ops/conv_module.hpp). Not fused: training-mode batch norm, an activation before the batch
// norm, a batch norm that does not read the conv directly, other activations.
#include "cactus/patterns/dsl.hpp"

namespace cactus::patterns::rules {

namespace cm {
using conv = node<"conv", var<"x">, var<"w">, var<"b">, var<"stride">, var<"pad">, var<"dil">, var<"groups">>;
using bn = node<"batch_norm", conv, var<"gamma">, var<"beta">, var<"mean">, var<"var">, lit<false>, any, var<"eps">, any>;
template <int Act>
using with_bn = make<"conv_module", var<"x">, var<"w">, var<"b">, var<"stride">, var<"pad">, var<"dil">, var<"groups">, var<"gamma">, var<"beta">,
                     var<"mean">, var<"var">, var<"eps">, lit<Act>>;
template <int Act>
using without_bn = make<"conv_module", var<"x">, var<"w">, var<"b">, var<"stride">, var<"pad">, var<"dil">, var<"groups">, none, none, none, none,
                        none, lit<Act>>;
template <class X>
using relu6 = node<"clamp", X, lit<0>, lit<6>>;
}  // namespace cm

// with an activation first, so that act(bn(conv)) is taken whole before bn(conv) alone
using conv_bn_relu = rule<"conv_module", node<"relu", cm::bn>, cm::with_bn<1>>;
using conv_bn_silu = rule<"conv_module", node<"silu", cm::bn>, cm::with_bn<2>>;
using conv_bn_relu6 = rule<"conv_module", cm::relu6<cm::bn>, cm::with_bn<3>>;
using conv_bn = rule<"conv_module", cm::bn, cm::with_bn<0>>;
using conv_relu = rule<"conv_module", node<"relu", cm::conv>, cm::without_bn<1>>;
using conv_silu = rule<"conv_module", node<"silu", cm::conv>, cm::without_bn<2>>;
using conv_relu6 = rule<"conv_module", cm::relu6<cm::conv>, cm::without_bn<3>>;

}  // namespace cactus::patterns::rules
