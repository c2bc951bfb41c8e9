#pragma once
// Stage 4: canonical IR. Maps the ATen dialect the front ends emit (raw IR) to the registry's
// canonical ops:
// no-ops (dropout, detach, contiguous, clone, identity casts, whole-range slices) are removed; t/transpose become
// permute; addmm/matmul against a transposed constant become linear; conv1d/conv2d/
// _convolution become conv; to/type_as become cast; then every remaining name is renamed through
// op_table.hpp. A spelling of an op is first checked against that op's arity, a spelling
// rewritten by hand against the inputs its rewrite reads. An op with no canonical form is an
// error naming it and its source line.
#include <algorithm>
#include <map>
#include <set>

#include "cactus/ir/dtype_code.hpp"
#include "cactus/ir/graph.hpp"
#include "cactus/frontends/aten/op_table.hpp"
#include "cactus/ops/registry.hpp"

namespace cactus::frontends::aten {

namespace detail {
inline const ir::meta* const_meta(const ir::graph& g, int v) { return g.constant_meta(v); }
inline int const_int(ir::graph& g, std::int64_t v) { return g.add_constant(ir::meta::of_int(v)); }
inline int const_ints(ir::graph& g, std::vector<std::int64_t> v) { return g.add_constant(ir::meta::of_ints(std::move(v))); }

inline std::string where(const ir::node& n) { return n.op + (n.loc.empty() ? "" : " at " + n.loc); }

// The TorchScript spellings this pass rewrites by hand (the registry's ops are checked by
// ir::verify): the fewest inputs each rewrite reads, so that a short node is an error here
// instead of a read past its inputs. Every one of them reads output 0.
inline std::size_t min_inputs_of_rewrite(const std::string& op) {
  static const std::map<std::string, std::size_t, std::less<>> min_inputs = {
      {"aten::dropout", 1}, {"aten::dropout_", 1}, {"aten::feature_dropout", 1}, {"aten::alpha_dropout", 1},
      {"aten::detach", 1}, {"aten::contiguous", 1}, {"aten::clone", 1}, {"aten::alias", 1}, {"aten::lift_fresh", 1},
      {"aten::feature_alpha_dropout", 1}, {"aten::lift_fresh_copy", 1}, {"aten::t", 1}, {"aten::numpy_T", 1},
      {"aten::transpose", 3}, {"aten::addmm", 5}, {"aten::matmul", 2}, {"aten::mm", 2}, {"aten::baddbmm", 5},
      {"aten::_convolution", 9}, {"aten::_scaled_dot_product_attention", 7}, {"aten::scaled_dot_product_attention", 6},
      {"aten::to", 2}, {"aten::type_as", 2}, {"aten::_to_copy", 2}, {"aten::float", 1}, {"aten::long", 1},
      {"aten::bool", 1}, {"aten::int", 1}, {"aten::selu", 1}, {"aten::selu_", 1}, {"aten::prod", 2}};
  auto it = min_inputs.find(op);
  return it == min_inputs.end() ? 0 : it->second;
}

// An int argument that must be known when the graph is lowered (a transpose's dims).
inline std::int64_t const_int_arg(const ir::graph& g, const ir::node& n, std::size_t i) {
  const ir::meta* m = const_meta(g, n.inputs[i]);
  check(m && (m->k == ir::kind::int_ || m->k == ir::kind::bool_), where(n), ": argument ", i, " must be a constant int");
  return m->i;
}

// The permutation a transpose-like node applies, for a tensor of rank r.
inline std::vector<std::int64_t> swap_perm(std::int64_t r, std::int64_t a, std::int64_t b) {
  std::vector<std::int64_t> p(static_cast<std::size_t>(r));
  for (std::int64_t i = 0; i < r; ++i) p[static_cast<std::size_t>(i)] = i;
  a = wrap_dim(a, r);
  b = wrap_dim(b, r);
  std::swap(p[static_cast<std::size_t>(a)], p[static_cast<std::size_t>(b)]);
  return p;
}

inline bool is_none(const ir::graph& g, int v) {
  const auto* m = const_meta(g, v);
  return m && m->k == ir::kind::none;
}

// _convolution(x, w, b, stride, padding, dilation, transposed, ...): whether it is transposed
inline bool transposed_conv(const ir::graph& g, const ir::node& n) {
  const auto* tr = const_meta(g, n.inputs[6]);
  check(tr && (tr->k == ir::kind::bool_ || tr->k == ir::kind::int_), where(n), ": `transposed` must be a constant");
  return tr->i != 0;
}

struct upsample_spelling {
  const char* mode;
  std::size_t spatial;
  bool linear;  // takes align_corners before the scales
};
// ATen's upsample spellings: the mode and spatial rank of each
inline std::optional<upsample_spelling> upsample_mode(const std::string& op) {
  static const std::map<std::string, upsample_spelling, std::less<>> table = {
      {"aten::upsample_nearest1d", {"nearest", 1, false}},          {"aten::upsample_nearest2d", {"nearest", 2, false}},
      {"aten::upsample_nearest3d", {"nearest", 3, false}},          {"aten::_upsample_nearest_exact1d", {"nearest-exact", 1, false}},
      {"aten::_upsample_nearest_exact2d", {"nearest-exact", 2, false}}, {"aten::_upsample_nearest_exact3d", {"nearest-exact", 3, false}},
      {"aten::upsample_linear1d", {"linear", 1, true}},             {"aten::upsample_bilinear2d", {"linear", 2, true}},
      {"aten::upsample_trilinear3d", {"linear", 3, true}}};
  auto it = table.find(op);
  if (it == table.end()) return std::nullopt;
  return it->second;
}

// upsample_*(x, output_size, [align_corners,] scale_factors) (the .vec overloads) or
// (x, output_size, [align_corners,] scale_d0, scale_d1...) -> upsample(x, output_size, scales, mode, align)
inline ir::node upsample_node(ir::graph& g, const ir::node& n, const upsample_spelling& up) {
  const std::size_t first = up.linear ? 3 : 2;
  check(n.inputs.size() >= first, where(n), ": has ", n.inputs.size(), " inputs, needs at least ", first);
  int scales = -1;
  if (n.inputs.size() == first + 1) {
    const auto* m = const_meta(g, n.inputs[first]);
    check(m, where(n), ": the scale factors must be constants");
    scales = n.inputs[first];
  } else {
    std::vector<double> per;
    bool any = false, all = true;
    for (std::size_t i = first; i < n.inputs.size(); ++i) {
      const auto* m = const_meta(g, n.inputs[i]);
      check(m && (m->k == ir::kind::none || m->is_number()), where(n), ": the scale factors must be constant numbers or None");
      if (m->k == ir::kind::none) { all = false; continue; }
      any = true;
      per.push_back(m->as_double());
    }
    check(!any || all, where(n), ": scale factors given for some dims only");
    scales = g.add_constant(any ? ir::meta::of_floats(per) : ir::meta::none());
  }
  const int align = up.linear ? n.inputs[2] : g.add_constant(ir::meta::of_bool(false));
  return ir::node{"upsample", {n.inputs[0], n.inputs[1], scales, g.add_constant(ir::meta::of_string(up.mode)), align}, n.outputs, n.loc};
}

// PyTorch's fast path for nn.TransformerEncoderLayer in inference (batch_first, no mask):
// _transformer_encoder_layer_fwd(src, embed_dim, num_heads, qkv_w, qkv_b, proj_w, proj_b, use_gelu,
// norm_first, eps, ln1_w, ln1_b, ln2_w, ln2_b, ffn_w1, ffn_b1, ffn_w2, ffn_b2, mask, mask_type),
// written out as the canonical ops the layer's Python code would give: self-attention (one qkv
// linear, heads split, attention, output projection), the feed-forward block, the two residual
// adds and layer norms before (norm_first) or after them. `make(op, inputs, shape)` emits a node
// before this one and returns its output; the result is the layer's output value.
template <class Make>
int transformer_encoder_layer(ir::graph& g, const ir::node& n, Make&& make) {
  const auto& in = n.inputs;
  check(in.size() >= 18, where(n), ": has ", in.size(), " inputs, needs at least 18");
  for (std::size_t i = 18; i < in.size(); ++i)
    check(is_none(g, in[i]), where(n), ": a mask on the fast path is not supported; trace the layer with src_key_padding_mask=None");
  const std::int64_t E = const_int_arg(g, n, 1), heads = const_int_arg(g, n, 2);
  const bool gelu = const_int_arg(g, n, 7) != 0, norm_first = const_int_arg(g, n, 8) != 0;
  const ir::value& src = g.values[static_cast<std::size_t>(in[0])];
  check(src.shape.size() == 3 && heads > 0 && E % heads == 0 && src.shape[2] == E, where(n), ": expects a [batch, seq, ", E,
        "] input split into ", heads, " heads, got ", to_string(src.shape));
  const std::int64_t B = src.shape[0], T = src.shape[1], D = E / heads;
  const std::int64_t F = g.values[static_cast<std::size_t>(in[14])].shape.empty() ? E : g.values[static_cast<std::size_t>(in[14])].shape[0];
  const shape_t bte{B, T, E};
  auto none = [&] { return g.add_constant(ir::meta::none()); };
  auto flag = [&](bool b) { return g.add_constant(ir::meta::of_bool(b)); };
  auto norm = [&](int x, std::size_t w) {
    return make("layer_norm", {x, const_ints(g, {E}), in[w], in[w + 1], in[9], flag(true)}, bte);
  };
  auto attention = [&](int x) {
    const int qkv = make("linear", {x, in[3], in[4]}, shape_t{B, T, 3 * E});
    const int split = make("unflatten", {qkv, const_int(g, -1), const_ints(g, {3, heads, D})}, shape_t{B, T, 3, heads, D});
    const int qkv_heads = make("permute", {split, const_ints(g, {2, 0, 3, 1, 4})}, shape_t{3, B, heads, T, D});
    int qkv3[3];
    for (int k = 0; k < 3; ++k) qkv3[k] = make("select", {qkv_heads, const_int(g, 0), const_int(g, k)}, shape_t{B, heads, T, D});
    const int a = make("attention", {qkv3[0], qkv3[1], qkv3[2], none(), none(), flag(false), flag(false)}, shape_t{B, heads, T, D});
    const int merged = make("permute", {a, const_ints(g, {0, 2, 1, 3})}, shape_t{B, T, heads, D});
    const int flat = make("flatten", {merged, const_int(g, 2), const_int(g, 3)}, bte);
    return make("linear", {flat, in[5], in[6]}, bte);
  };
  auto feed_forward = [&](int x) {
    const int up = make("linear", {x, in[14], in[15]}, shape_t{B, T, F});
    const int act = gelu ? make("gelu", {up, g.add_constant(ir::meta::of_string("none"))}, shape_t{B, T, F}) : make("relu", {up}, shape_t{B, T, F});
    return make("linear", {act, in[16], in[17]}, bte);
  };
  auto add = [&](int a, int b) { return make("add", {a, b, const_int(g, 1)}, bte); };
  int x = in[0];
  if (norm_first) {
    x = add(x, attention(norm(x, 10)));
    return add(x, feed_forward(norm(x, 12)));
  }
  x = norm(add(x, attention(x)), 10);
  return norm(add(x, feed_forward(x)), 12);
}

}  // namespace detail

struct canonicalize_report {
  std::size_t removed_noops = 0, rewritten = 0;
};

inline canonicalize_report canonicalize(ir::graph& g) {
  using detail::const_int;
  canonicalize_report rep;
  static const std::set<std::string> noops = {"aten::dropout", "aten::dropout_", "aten::feature_dropout", "aten::alpha_dropout",
                                              "aten::detach", "aten::contiguous", "aten::clone", "aten::alias", "aten::lift_fresh",
                                              "aten::feature_alpha_dropout", "aten::lift_fresh_copy"};
  // nodes are rewritten in place; helper nodes go to `pending` and are spliced before the node
  std::vector<ir::node> out;
  auto emit_before = [&](ir::node n) { out.push_back(std::move(n)); };
  auto new_node = [&](const std::string& op, std::vector<int> ins, const ir::value& like, const std::string& loc) {
    ir::value v = like;
    v.producer = -1;
    v.name.clear();
    int id = g.add_value(std::move(v));
    emit_before(ir::node{op, std::move(ins), {id}, loc});
    return id;
  };
  std::vector<ir::node> nodes = std::move(g.nodes);
  g.nodes.clear();
  // Removing a node: every later use of its output reads `to` instead.
  auto alias = [&](int from, int to) {
    for (auto* list : {&nodes, &out})
      for (auto& o : *list)
        for (int& i : o.inputs)
          if (i == from) i = to;
    for (int& o : g.outputs)
      if (o == from) o = to;
  };
  // whether a value is read by a node not yet emitted or is a graph output
  auto used_later = [&](int v) {
    bool used = std::find(g.outputs.begin(), g.outputs.end(), v) != g.outputs.end();
    for (auto* list : {&nodes, &out})
      for (auto& o : *list) used = used || std::find(o.inputs.begin(), o.inputs.end(), v) != o.inputs.end();
    return used;
  };
  for (auto& n : nodes) {
    const std::string op = n.op;
    auto val = [&](int i) -> const ir::value& { return g.values[static_cast<std::size_t>(n.inputs[static_cast<std::size_t>(i)])]; };
    auto rank_of = [&](int i) { return static_cast<std::int64_t>(val(i).shape.size()); };
    if (const auto c = canonical_name(op)) {  // a spelling of an op: that op's arity, before anything reads the node
      const ops::op_info& info = ops::op_table()[*ops::find_op(*c)];
      if (!info.inputs.admits(n.inputs.size()))
        fail(detail::where(n), " has ", n.inputs.size(), " inputs; ", info.name, " takes ", info.inputs.text());
      if (!info.outputs.admits(n.outputs.size()))
        fail(detail::where(n), " has ", n.outputs.size(), " outputs; ", info.name, " gives ", info.outputs.text());
    }
    if (const std::size_t k = detail::min_inputs_of_rewrite(op); k > 0) {
      check(n.inputs.size() >= k, detail::where(n), ": has ", n.inputs.size(), " inputs, needs at least ", k);
      check(!n.outputs.empty(), detail::where(n), ": has no outputs");
    }
    if (noops.count(op)) {
      alias(n.outputs[0], n.inputs[0]);
      ++rep.removed_noops;
      continue;
    }
    if (op == "aten::slice" && n.inputs.size() == 5) {
      // x[:, :] slices everything: start 0 (or None), no end (None or INT64_MAX), step 1
      auto is = [&](int i, auto pred) {
        const auto* m = detail::const_meta(g, n.inputs[static_cast<std::size_t>(i)]);
        return m && (m->k == ir::kind::none || (m->k == ir::kind::int_ && pred(m->i)));
      };
      if (is(2, [](std::int64_t v) { return v == 0; }) && is(3, [](std::int64_t v) { return v >= (std::int64_t{1} << 62); }) &&
          is(4, [](std::int64_t v) { return v == 1; }) && detail::const_meta(g, n.inputs[4])->k != ir::kind::none) {
        alias(n.outputs[0], n.inputs[0]);
        ++rep.removed_noops;
        continue;
      }
    }
    if (op == "aten::t" || op == "aten::transpose" || op == "aten::numpy_T") {
      const std::int64_t r = rank_of(0);
      std::vector<std::int64_t> perm;
      if (op == "aten::transpose") {
        const std::int64_t a = detail::const_int_arg(g, n, 1), b = detail::const_int_arg(g, n, 2);
        perm = detail::swap_perm(r, a, b);
      }
      else for (std::int64_t i = r; i-- > 0;) perm.push_back(i);
      n = ir::node{"permute", {n.inputs[0], detail::const_ints(g, perm)}, n.outputs, n.loc};
      ++rep.rewritten;
    } else if (op == "aten::addmm" || op == "aten::matmul" || op == "aten::mm") {
      const bool addmm = op == "aten::addmm";
      const int x = n.inputs[addmm ? 1 : 0], m = n.inputs[addmm ? 2 : 1];
      int w = -1;  // W when m = permute(W, [1, 0]) of a 2-D constant
      // the permute may already be in `out` (rewritten earlier in this pass)
      for (auto& o : out)
        if (o.op == "permute" && o.outputs[0] == m) {
          const auto& wv = g.values[static_cast<std::size_t>(o.inputs[0])];
          const auto* p = detail::const_meta(g, o.inputs[1]);
          if (wv.is_constant() && wv.is_tensor() && wv.shape.size() == 2 && p && p->ints == std::vector<std::int64_t>{1, 0}) w = o.inputs[0];
        }
      bool unit = !addmm || (detail::const_meta(g, n.inputs[3]) && detail::const_meta(g, n.inputs[3])->as_double() == 1.0 &&
                             detail::const_meta(g, n.inputs[4]) && detail::const_meta(g, n.inputs[4])->as_double() == 1.0);
      if (w >= 0 && unit) {
        const int bias = addmm ? n.inputs[0] : g.add_constant(ir::meta::none());
        if (addmm && g.values[static_cast<std::size_t>(bias)].shape.size() != 1) {
          n.op = "matmul";  // bias of another shape: keep the general form below
        } else {
          n = ir::node{"linear", {x, w, bias}, n.outputs, n.loc};
          ++rep.rewritten;
        }
      }
      if (n.op == "aten::addmm" || n.op == "matmul") {
        // beta * bias + alpha * (x @ m); beta 0 ignores the bias (NaN in it included), as PyTorch does
        const ir::value& like = g.values[static_cast<std::size_t>(n.outputs[0])];
        int mm = new_node("matmul", {x, m}, like, n.loc);
        const auto* alpha = addmm ? detail::const_meta(g, n.inputs[4]) : nullptr;
        const auto* beta = addmm ? detail::const_meta(g, n.inputs[3]) : nullptr;
        if (addmm && !(alpha && alpha->as_double() == 1.0)) mm = new_node("mul", {mm, n.inputs[4]}, like, n.loc);
        if (beta && beta->as_double() == 0.0) n = ir::node{"identity", {mm}, n.outputs, n.loc};
        else n = ir::node{"add", {mm, n.inputs[0], addmm ? n.inputs[3] : g.add_constant(ir::meta::of_int(1))}, n.outputs, n.loc};
        ++rep.rewritten;
      } else if (n.op == "aten::matmul" || n.op == "aten::mm") {
        n.op = "matmul";
      }
    } else if (op == "aten::baddbmm") {
      const ir::value& like = g.values[static_cast<std::size_t>(n.outputs[0])];
      check(detail::const_meta(g, n.inputs[3]) && detail::const_meta(g, n.inputs[3])->as_double() == 1.0, detail::where(n), ": baddbmm beta != 1 is not supported");
      int mm = new_node("matmul", {n.inputs[1], n.inputs[2]}, like, n.loc);
      int scaled = new_node("mul", {mm, n.inputs[4]}, like, n.loc);
      n = ir::node{"add", {scaled, n.inputs[0], g.add_constant(ir::meta::of_int(1))}, n.outputs, n.loc};
      ++rep.rewritten;
    } else if (op == "aten::_convolution" && detail::transposed_conv(g, n)) {
      // (x, w, b, stride, padding, dilation, transposed, output_padding, groups, ...)
      n = ir::node{"conv_transpose", {n.inputs[0], n.inputs[1], n.inputs[2], n.inputs[3], n.inputs[4], n.inputs[7], n.inputs[8], n.inputs[5]}, n.outputs, n.loc};
      ++rep.rewritten;
    } else if (op == "aten::_convolution") {
      const bool three_d = val(1).shape.size() == 5;  // 3 spatial dims: conv3d; 1 and 2: conv
      n = ir::node{three_d ? "conv3d" : "conv", {n.inputs[0], n.inputs[1], n.inputs[2], n.inputs[3], n.inputs[4], n.inputs[5], n.inputs[8]}, n.outputs, n.loc};
      ++rep.rewritten;
    } else if (op == "aten::_scaled_dot_product_attention") {
      // (q, k, v, mask, dropout_p, need_attn_weights, is_causal) -> (out, weights)
      const auto* p = detail::const_meta(g, n.inputs[4]);
      check(p && p->as_double() == 0.0, detail::where(n), ": attention dropout must be 0 at inference");
      if (n.outputs.size() > 1)
        check(!used_later(n.outputs[1]), detail::where(n), ": the attention weights output of _scaled_dot_product_attention is not supported");
      n = ir::node{"attention", {n.inputs[0], n.inputs[1], n.inputs[2], n.inputs[3], g.add_constant(ir::meta::none()), n.inputs[6],
                                 g.add_constant(ir::meta::of_bool(false))}, {n.outputs[0]}, n.loc};
      ++rep.rewritten;
    } else if (op == "aten::scaled_dot_product_attention") {
      // PyTorch 2's (q, k, v, mask, dropout_p, is_causal, scale, enable_gqa): GQA is read in place
      const auto* p = detail::const_meta(g, n.inputs[4]);
      check(p && p->as_double() == 0.0, detail::where(n), ": attention dropout must be 0 at inference");
      const int scale = n.inputs.size() > 6 ? n.inputs[6] : g.add_constant(ir::meta::none());
      n = ir::node{"attention", {n.inputs[0], n.inputs[1], n.inputs[2], n.inputs[3], scale, n.inputs[5], g.add_constant(ir::meta::of_bool(false))},
                   {n.outputs[0]}, n.loc};
      ++rep.rewritten;
    } else if (const auto why = op.rfind("aten::", 0) == 0 ? data_dependent_reason(std::string_view(op).substr(6)) : std::nullopt) {
      fail(detail::where(n), ": ", *why);
    } else if (op == "aten::_transformer_encoder_layer_fwd") {
      const ir::value& like = g.values[static_cast<std::size_t>(n.outputs[0])];
      const int y = detail::transformer_encoder_layer(g, n, [&](const char* o, std::vector<int> ins, shape_t shape) {
        ir::value v = like;
        v.shape = std::move(shape);
        return new_node(o, std::move(ins), v, n.loc);
      });
      alias(n.outputs[0], y);
      ++rep.rewritten;
      continue;
    } else if ((op == "aten::outer" || op == "aten::ger") && n.inputs.size() == 2) {
      // outer(a, b) = a[:, None] * b
      ir::value col = val(0);
      col.shape.push_back(1);
      n = ir::node{"mul", {new_node("unsqueeze", {n.inputs[0], const_int(g, 1)}, col, n.loc), n.inputs[1]}, n.outputs, n.loc};
      ++rep.rewritten;
    } else if ((op == "aten::min" || op == "aten::max") && n.inputs.size() == 2 && val(1).is_tensor()) {
      n.op = op == "aten::min" ? "minimum" : "maximum";  // torch.min(a, b) is elementwise
      ++rep.rewritten;
    } else if (op == "aten::prod" && n.inputs.size() == 4) {
      n.op = "prod";  // prod.dim_int(x, dim, keepdim, dtype)
    } else if ((op == "aten::prod" || op == "aten::sum" || op == "aten::mean") && n.inputs.size() == 2 && !val(1).is_tensor() &&
               (!detail::const_meta(g, n.inputs[1]) || detail::const_meta(g, n.inputs[1])->k != ir::kind::ints)) {
      // prod / sum / mean(x, dtype): every element
      n = ir::node{op.substr(6), {n.inputs[0], g.add_constant(ir::meta::none()), g.add_constant(ir::meta::of_bool(false)), n.inputs[1]}, n.outputs, n.loc};
      ++rep.rewritten;
    } else if ((op == "aten::embedding_bag" || op == "aten::_embedding_bag") && n.inputs.size() >= 8) {
      // (weight, indices, offsets, scale_grad, mode, sparse, per_sample_weights, include_last_offset[, padding_idx]) ->
      // embedding_bag(weight, indices, offsets, mode, per_sample_weights, include_last_offset, padding_idx)
      for (std::size_t k = 1; k < n.outputs.size(); ++k)
        check(!used_later(n.outputs[k]), detail::where(n), ": output ", k, " of embedding_bag (for the backward pass) is not supported");
      const int pad = n.inputs.size() > 8 && !detail::is_none(g, n.inputs[8]) ? n.inputs[8] : const_int(g, -1);
      n = ir::node{"embedding_bag", {n.inputs[0], n.inputs[1], n.inputs[2], n.inputs[4], n.inputs[6], n.inputs[7], pad}, {n.outputs[0]}, n.loc};
      ++rep.rewritten;
    } else if (op == "aten::selu" || op == "aten::selu_") {
      n = ir::node{"elu", {n.inputs[0], g.add_constant(ir::meta::of_float(1.6732632423543772848170429916717)),
                           g.add_constant(ir::meta::of_float(1.0507009873554804934193349852946)), g.add_constant(ir::meta::of_float(1.0))}, n.outputs, n.loc};
      ++rep.rewritten;
    } else if ((op == "aten::celu" || op == "aten::celu_") && n.inputs.size() == 2) {
      const auto* a = detail::const_meta(g, n.inputs[1]);
      check(a && a->is_number() && a->as_double() != 0, detail::where(n), ": alpha must be a nonzero constant");
      n = ir::node{"elu", {n.inputs[0], n.inputs[1], g.add_constant(ir::meta::of_float(1.0)), g.add_constant(ir::meta::of_float(1.0 / a->as_double()))},
                   n.outputs, n.loc};
      ++rep.rewritten;
    } else if (op == "aten::instance_norm" && n.inputs.size() == 9) {
      // (x, w, b, running_mean, running_var, use_input_stats, momentum, eps, cudnn)
      const auto* use = detail::const_meta(g, n.inputs[5]);
      check(use && use->k == ir::kind::bool_, detail::where(n), ": use_input_stats must be a constant");
      if (use->i) {  // each sample's channels normalized on their own: a group per channel
        const std::int64_t C = val(0).shape.size() >= 2 ? val(0).shape[1] : -1;
        check(C > 0, detail::where(n), ": the channel count must be known when the graph is lowered");
        n = ir::node{"group_norm", {n.inputs[0], const_int(g, C), n.inputs[1], n.inputs[2], n.inputs[7]}, n.outputs, n.loc};
      } else {
        n = ir::node{"batch_norm", {n.inputs[0], n.inputs[1], n.inputs[2], n.inputs[3], n.inputs[4], n.inputs[5], n.inputs[6], n.inputs[7], n.inputs[8]},
                     n.outputs, n.loc};
      }
      ++rep.rewritten;
    } else if (const auto up = detail::upsample_mode(op)) {
      n = detail::upsample_node(g, n, *up);
      ++rep.rewritten;
    } else if ((op == "aten::clamp" || op == "aten::clamp_") && n.inputs.size() == 3 && (val(1).is_tensor() || val(2).is_tensor())) {
      // clamp(x, lo, hi) with tensor bounds: minimum(maximum(x, lo), hi)
      const ir::value& like = g.values[static_cast<std::size_t>(n.outputs[0])];
      int v = n.inputs[0];
      const bool lo = !detail::is_none(g, n.inputs[1]), hi = !detail::is_none(g, n.inputs[2]);
      if (lo && hi) v = new_node("maximum", {v, n.inputs[1]}, like, n.loc);
      if (lo && !hi) n = ir::node{"maximum", {v, n.inputs[1]}, n.outputs, n.loc};
      else if (hi) n = ir::node{"minimum", {v, n.inputs[2]}, n.outputs, n.loc};
      else { alias(n.outputs[0], n.inputs[0]); ++rep.removed_noops; continue; }
      ++rep.rewritten;
    } else if (op == "aten::native_group_norm") {
      // (x, w, b, N, C, HxW, groups, eps) -> group_norm(x, groups, w, b, eps, cudnn): y[, mean, rstd]
      n = ir::node{"group_norm", {n.inputs[0], n.inputs[6], n.inputs[1], n.inputs[2], n.inputs[7], g.add_constant(ir::meta::of_bool(false))},
                   n.outputs, n.loc};
      ++rep.rewritten;
    } else if (op == "aten::scalar_tensor") {
      // (value, dtype?, layout?, device?, pin?) -> a 0-d full, float32 unless a dtype is given
      const int dt = detail::is_none(g, n.inputs[1]) ? g.add_constant(ir::dtype_constant(dtype::f32)) : n.inputs[1];
      n = ir::node{"full", {detail::const_ints(g, {}), n.inputs[0], dt}, n.outputs, n.loc};
      ++rep.rewritten;
    } else if (op == "aten::conv1d" || op == "aten::conv2d" || op == "aten::conv3d") {
      n.op = op == "aten::conv3d" ? "conv3d" : "conv";
      ++rep.rewritten;
    } else if (op == "aten::to" || op == "aten::type_as" || op == "aten::_to_copy") {
      // find the dtype argument: a tensor (type_as / to(other)), or the first int after x
      int target = -1;
      if (val(1).is_tensor()) target = n.inputs[1];
      for (std::size_t i = 1; target < 0 && i < n.inputs.size(); ++i) {
        const auto* m = detail::const_meta(g, n.inputs[i]);
        if (m && m->k == ir::kind::int_) target = n.inputs[i];
        if (m && m->k == ir::kind::none && op == "aten::_to_copy" && i == 1) break;
      }
      const ir::value& x = val(0);
      const ir::value& y = g.values[static_cast<std::size_t>(n.outputs[0])];
      if (target < 0 || (x.type == y.type && !x.shape.empty() == !y.shape.empty())) {
        alias(n.outputs[0], n.inputs[0]);
        ++rep.removed_noops;
        continue;
      }
      n = ir::node{"cast", {n.inputs[0], target}, n.outputs, n.loc};
      ++rep.rewritten;
    } else if (op == "aten::float" || op == "aten::long" || op == "aten::bool" || op == "aten::int") {
      const dtype t = op == "aten::float" ? dtype::f32 : op == "aten::long" ? dtype::i64 : op == "aten::bool" ? dtype::b8 : dtype::i32;
      n = ir::node{"cast", {n.inputs[0], g.add_constant(ir::dtype_constant(t))}, n.outputs, n.loc};
    } else if (op.rfind("aten::", 0) == 0 || op.rfind("prim::", 0) == 0) {
      auto c = canonical_name(op);
      if (!c) fail("unsupported op ", op, n.loc.empty() ? "" : " at " + n.loc, ": cactus has no kernel for it");
      n.op = std::string(*c);
    }
    out.push_back(std::move(n));
  }
  g.nodes = std::move(out);
  g.reindex_producers();
  return rep;
}

}  // namespace cactus::frontends::aten
