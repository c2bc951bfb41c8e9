#pragma once
// The op registry: one Hana type list. The name table, the count check, the op properties
// passes ask for (commutativity, arity) and the dispatch table are all derived from it, so adding an op is one header plus
// one entry here (no enum, no switch to keep in sync).
#include <boost/hana.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "cactus/ops/attention.hpp"
#include "cactus/ops/batch_norm.hpp"
#include "cactus/ops/binary.hpp"
#include "cactus/ops/cached_attention.hpp"
#include "cactus/ops/cached_conv1d.hpp"
#include "cactus/ops/cast.hpp"
#include "cactus/ops/conv.hpp"
#include "cactus/ops/conv3d.hpp"
#include "cactus/ops/conv_module.hpp"
#include "cactus/ops/conv_transpose.hpp"
#include "cactus/ops/creation.hpp"
#include "cactus/ops/distance.hpp"
#include "cactus/ops/einsum.hpp"
#include "cactus/ops/embedding.hpp"
#include "cactus/ops/fold.hpp"
#include "cactus/ops/gated_mlp.hpp"
#include "cactus/ops/grid_sample.hpp"
#include "cactus/ops/group_norm.hpp"
#include "cactus/ops/gru.hpp"
#include "cactus/ops/indexing.hpp"
#include "cactus/ops/layer_norm.hpp"
#include "cactus/ops/linear.hpp"
#include "cactus/ops/lstm.hpp"
#include "cactus/ops/lstm_cell.hpp"
#include "cactus/ops/matmul.hpp"
#include "cactus/ops/meta_ops.hpp"
#include "cactus/ops/pad.hpp"
#include "cactus/ops/pool.hpp"
#include "cactus/ops/reduce.hpp"
#include "cactus/ops/rms_norm.hpp"
#include "cactus/ops/rnn.hpp"
#include "cactus/ops/rope.hpp"
#include "cactus/ops/scan.hpp"
#include "cactus/ops/shape_ops.hpp"
#include "cactus/ops/softmax.hpp"
#include "cactus/ops/sort.hpp"
#include "cactus/ops/triangular.hpp"
#include "cactus/ops/unary.hpp"
#include "cactus/ops/upsample.hpp"
#include "cactus/ops/view_scatter.hpp"

namespace cactus::ops {

namespace hana = boost::hana;

inline constexpr auto all_ops = hana::tuple_t<
    // plan-time
    size_op, dim_op, numel_op, list_op, list_unpack_op, list_len_op, list_get_op, to_int_op, to_float_op, floordiv_op,
    // elementwise
    relu_op, gelu_op, silu_op, sigmoid_op, tanh_op, exp_op, log_op, sqrt_op, rsqrt_op, neg_op, abs_op, sin_op, cos_op,
    reciprocal_op, erf_op, floor_op, ceil_op, round_op, trunc_op, sign_op, hardswish_op, hardsigmoid_op, expm1_op, log1p_op,
    log2_op, log10_op, tan_op, asin_op, acos_op, atan_op, sinh_op, cosh_op, asinh_op, acosh_op, atanh_op,
    clamp_op, leaky_relu_op, elu_op, isnan_op, isinf_op, add_op, sub_op, rsub_op, mul_op, div_op, floor_divide_op, pow_op,
    maximum_op, minimum_op, fmod_op, remainder_op, atan2_op, bitwise_and_op, bitwise_or_op, bitwise_xor_op,
    eq_op, ne_op, lt_op, le_op, gt_op, ge_op, logical_and_op, logical_or_op, logical_xor_op, logical_not_op, bitwise_not_op,
    where_op, masked_fill_op,
    // linear algebra and normalization
    linear_op, matmul_op, einsum_op, softmax_op, log_softmax_op, layer_norm_op, rms_norm_op, batch_norm_op, group_norm_op, embedding_op, embedding_bag_op, conv_op, conv3d_op, conv_transpose_op, lstm_op,
    gru_op, rnn_tanh_op, rnn_relu_op,    upsample_op, grid_sampler_2d_op, cdist_op, pdist_op, im2col_op, col2im_op,
    // fused (produced by the rules of patterns/rules/, or mapped from a fused PyTorch op)
    rope_op, attention_op, gated_mlp_op, conv_module_op, lstm_cell_op,
    // state (inserted by lowering: lower/kv_cache.hpp)
    cached_attention_op, cached_conv1d_op,
    // reductions and pooling
    mean_op, sum_op, amax_op, any_op, all_op, max_op, argmax_op, amin_op, min_op, argmin_op, var_op, std_op, prod_op, max_pool1d_op, max_pool2d_op, avg_pool1d_op, avg_pool2d_op, max_pool3d_op, avg_pool3d_op,
    adaptive_avg_pool_op, cumsum_op, cumprod_op,
    // ordering and indexing
    sort_op, argsort_op, topk_op, index_select_op, gather_op, scatter_op, scatter_add_op, scatter_reduce_op, masked_scatter_op, index_add_op, one_hot_op, index_op, index_put_op,
    // data movement and creation
    reshape_op, flatten_op, unflatten_op, squeeze_op, unsqueeze_op, identity_op, permute_op, slice_op, narrow_op, select_op, cat_op,
    stack_op, expand_op, repeat_op, flip_op, roll_op, diagonal_op, as_strided_op, repeat_interleave_op, split_op, constant_pad_nd_op, pad_op, reflection_pad_op,
    replication_pad_op, copy_op, slice_scatter_op, select_scatter_op, ones_op, zeros_op, full_op, ones_like_op, zeros_like_op, full_like_op, fill_op, arange_op,
    triu_op, tril_op, cast_op>;

// Compile-time checks of the op concept, with messages that say what is missing.
namespace detail {
template <class Op>
constexpr bool check_op() {
  static_assert(requires { { Op::name } -> std::convertible_to<std::string_view>; }, "an op needs `static constexpr std::string_view name`");
  static_assert(requires(context& c) { Op::infer(c); }, "an op needs `static void infer(context&)`");
  static_assert(requires { { Op::inputs } -> std::convertible_to<arity>; }, "an op needs `static constexpr arity inputs` (how many inputs its nodes take)");
  if constexpr (requires { Op::inputs.min; }) static_assert(Op::inputs.min <= Op::inputs.max, "an op's input arity needs min <= max");
  return true;
}
}  // namespace detail
static_assert(hana::all_of(all_ops, [](auto t) { return hana::bool_c<detail::check_op<typename decltype(t)::type>()>; }),
              "every registered op satisfies the op concept");

inline constexpr std::size_t op_count = hana::length(all_ops);

struct op_info {
  std::string_view name;
  void (*infer)(context&);
  void (*run)(context&);  // null for plan-time-only and view ops
  bool view;
  bool f16_weights;
  std::uint32_t packed_inputs;  // bit k: input k may be a packed (q8 / CQ) constant
  std::uint32_t packed_on_request;  // bit k: ... when the user asks (runtime::weight_precision)
  // of those, whether a packed constant of this shape at input k runs faster than f32 (then it
  // stays packed by default); null: never
  bool (*packed_faster)(std::size_t k, const shape_t& shape);
  arity inputs, outputs;
  dims_rule fixed_dims;
  // The kernel path a node runs (an integer code of the op's, >= 0), chosen once per plan from
  // the node's inferred inputs and the CPU: `static int choose(const context&)`, with
  // `static const char* choice_name(int)` for profiles and tests. Null: one path only.
  int (*choose)(const context&);
  const char* (*choice_name)(int);
};

namespace detail {
template <class Op>
constexpr arity outputs_of() {
  if constexpr (requires { Op::outputs; }) return Op::outputs;
  else return arity{1};
}
}  // namespace detail

inline const std::vector<op_info>& op_table() {
  static const std::vector<op_info> table = [] {
    std::vector<op_info> t;
    hana::for_each(all_ops, [&](auto type) {
      using Op = typename decltype(type)::type;
      op_info info{Op::name, &Op::infer, nullptr, false, false, 0, 0, nullptr, Op::inputs, detail::outputs_of<Op>(), dims_rule::none, nullptr, nullptr};
      if constexpr (requires(context& c) { Op::run(c); }) info.run = &Op::run;
      if constexpr (requires { Op::view; }) info.view = Op::view;
      if constexpr (requires { Op::f16_weights; }) info.f16_weights = Op::f16_weights;
      if constexpr (requires { Op::packed_inputs; }) info.packed_inputs = Op::packed_inputs;
      if constexpr (requires { Op::packed_on_request; }) info.packed_on_request = Op::packed_on_request;
      if constexpr (requires(const shape_t& s) { Op::packed_faster(std::size_t{}, s); }) info.packed_faster = &Op::packed_faster;
      if constexpr (requires { Op::fixed_dims; }) info.fixed_dims = Op::fixed_dims;
      if constexpr (requires(const context& c) { Op::choose(c); }) {
        static_assert(requires { { Op::choice_name(0) } -> std::convertible_to<const char*>; },
                      "an op with choose() needs `static const char* choice_name(int)`");
        info.choose = &Op::choose;
        info.choice_name = &Op::choice_name;
      }
      t.push_back(info);
    });
    return t;
  }();
  return table;
}

// Whether the registry has an op of this name. constexpr, so that the pattern DSL and the model
// DSL refuse a misspelt op name at compile time.
constexpr bool is_registered(std::string_view name) {
  bool found = false;
  hana::for_each(all_ops, [&](auto t) { found = found || decltype(t)::type::name == name; });
  return found;
}

// Whether an op declares its first two inputs interchangeable (`static constexpr bool
// commutative`): the pattern matcher then also tries them swapped.
constexpr bool is_commutative(std::string_view name) {
  bool yes = false;
  hana::for_each(all_ops, [&](auto t) {
    using Op = typename decltype(t)::type;
    if constexpr (requires { Op::commutative; }) yes = yes || (Op::name == name && Op::commutative);
  });
  return yes;
}

// Index of a canonical op name, or nullopt.
inline std::optional<std::size_t> find_op(std::string_view name) {
  static const auto index = [] {
    std::unordered_map<std::string_view, std::size_t> m;
    const auto& t = op_table();
    for (std::size_t i = 0; i < t.size(); ++i) m.emplace(t[i].name, i);
    return m;
  }();
  auto it = index.find(name);
  if (it == index.end()) return std::nullopt;
  return it->second;
}

}  // namespace cactus::ops
