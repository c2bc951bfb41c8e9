#pragma once
// Every fusion rule, in the order the fusion pass tries them. A rule is one file under rules/
// (pattern and replacement side by side) and one entry here; its name gives the CLI its
// --no-fuse-<name> flag (rules sharing a name, e.g. one per activation, share the flag).
// layer_norm comes before rms_norm (a centered x times rsqrt is also an RMS norm of x - mean);
// gelu before gated_mlp, whose gelu variants read the fused gelu; each activation variant
// of conv_module before the bare conv + batch norm.
#include <string>
#include <string_view>
#include <utility>

#include "cactus/patterns/rules/attention.hpp"
#include "cactus/patterns/rules/conv_module.hpp"
#include "cactus/patterns/rules/gated_mlp.hpp"
#include "cactus/patterns/rules/gelu.hpp"
#include "cactus/patterns/rules/layer_norm.hpp"
#include "cactus/patterns/rules/lstm_cell.hpp"
#include "cactus/patterns/rules/rms_norm.hpp"
#include "cactus/patterns/rules/rope.hpp"

namespace cactus::patterns {

inline constexpr auto all_rules =
    hana::tuple_t<rules::layer_norm, rules::rms_norm, rules::gelu_tanh, rules::gelu_erf, rules::rope_rotate_half, rules::rope_interleaved,
                  rules::attention_scaled, rules::attention_divided, rules::attention_unscaled, rules::gated_mlp_silu, rules::gated_mlp_gelu_tanh,
                  rules::gated_mlp_gelu, rules::conv_bn_relu, rules::conv_bn_silu, rules::conv_bn_relu6, rules::conv_bn, rules::conv_relu,
                  rules::conv_silu, rules::conv_relu6, rules::lstm_cell>;

// What each fusion name rewrites, in a few words: the CLI's --help line for its --no-fuse flag.
// Every name in all_rules has one (tests/patterns/dsl_test.cpp checks both ways).
inline constexpr std::pair<std::string_view, std::string_view> fusion_summaries[] = {
    {"layer_norm", "LayerNorm written by hand"},
    {"rms_norm", "Llama/Qwen/Gemma RMSNorm"},
    {"gelu", "tanh and erf GELU written by hand"},
    {"rope", "rotate_half and GPT-J interleaved rotary embedding"},
    {"attention", "matmul-scale-mask-softmax-matmul, repeat_kv; SDPA is one op regardless"},
    {"gated_mlp", "down(act(gate(x)) * up(x)), silu / gelu"},
    {"conv_module", "conv + batch norm + relu/silu/relu6, and conv + activation"},
    {"lstm_cell", "an LSTM step's gate arithmetic"},
};

inline std::string_view fusion_summary(std::string_view rule) {
  for (auto& [name, about] : fusion_summaries)
    if (name == rule) return about;
  return {};
}

// "rms_norm" -> "rms-norm", as in --no-fuse-rms-norm
inline std::string flag_name(std::string_view rule) {
  std::string s(rule);
  for (char& c : s)
    if (c == '_') c = '-';
  return s;
}

}  // namespace cactus::patterns
