#pragma once
// KV caches, inserted at lowering: a causal language model is captured cache-free (the whole
// sequence in, logits for every position out), and this step turns each causal self-attention of
// the fused graph into cached_attention: the new positions' keys and values are appended in place
// to a cache that the session keeps between calls, and the queries attend over the cache. The
// rewrite looks at computation only (an `attention` node with causal set and no mask, or with a
// band mask ones(L, S).tril().triu(1 - W): causal over a sliding window of W positions); it knows
// no family. It gives two graphs over the same weights and caches:
//   prefill  the prompt in one batched pass (any number of new positions), returning the last
//            position's logits only (the final projection reads only that row);
//   decode   one new position per call.
// Causal depthwise convolutions over positions (conv1d padded by K - 1 and cut back to the
// input's positions, LFM2's short convolutions) become cached_conv1d with a state input
// `conv_state.<i>` [batch, channels, K - 1] (fixed size).
// Inputs added: `cache_position` (int64 [1], the absolute position of the first new row) and,
// per attention in graph order, `k_cache.<i>` and `v_cache.<i>` ([batch, kv_heads, positions,
// head_dim], session state whose positions dim, capacity_dim 2, the session sizes for the prompt
// plus the tokens to generate, up to the positions the model was exported for). A sliding-window
// attention's caches keep only their window: min(W, positions) rows used as a ring (position j in
// row j mod rows), a fixed size (capacity_dim -1).
#include <algorithm>
#include <string>
#include <vector>

#include "cactus/core/error.hpp"
#include "cactus/ir/graph.hpp"
#include "cactus/ir/verify.hpp"
#include "cactus/passes/dce.hpp"

namespace cactus::lower {

struct kv_cache_graphs {
  ir::graph prefill, decode;
  std::vector<std::string> input_names;  // both graphs: the model's inputs, cache_position, then the caches
  std::vector<std::string> input_state;  // "" or the state an input is (the caches)
  std::vector<int> input_capacity_dim;   // 2 for the caches that grow with the sequence, else -1
  std::size_t layers = 0;                // attentions given a cache
  std::size_t windowed = 0;              // of which sliding-window ones (ring caches)
  std::size_t conv_layers = 0;           // causal convolutions given a conv state
};

namespace detail {
inline bool const_flag(const ir::graph& g, int v, bool& out) {
  const auto* m = g.constant_meta(v);
  if (!m || !m->is_number()) return false;
  out = m->i != 0 || m->f != 0;
  return true;
}

inline bool const_int(const ir::graph& g, int v, std::int64_t& out) {
  const auto* m = g.constant_meta(v);
  if (!m || m->k != ir::kind::int_) return false;
  out = m->i;
  return true;
}

// W when `mask` is the band  ones(L, S).tril(0).triu(1 - W)  (query i sees keys i - W < j <= i),
// else 0.
inline std::int64_t band_window(const ir::graph& g, int mask) {
  auto made_by = [&](int v, std::string_view op) -> const ir::node* {
    if (v < 0 || static_cast<std::size_t>(v) >= g.values.size()) return nullptr;
    const int n = g.values[static_cast<std::size_t>(v)].producer;
    if (n < 0 || g.nodes[static_cast<std::size_t>(n)].op != op) return nullptr;
    return &g.nodes[static_cast<std::size_t>(n)];
  };
  const ir::node* triu = made_by(mask, "triu");
  const ir::node* tril = triu ? made_by(triu->inputs[0], "tril") : nullptr;
  if (!tril || !made_by(tril->inputs[0], "ones")) return 0;
  std::int64_t lower = 0, upper = 0;
  if (tril->inputs.size() > 1 && !const_int(g, tril->inputs[1], lower)) return 0;
  if (triu->inputs.size() < 2 || !const_int(g, triu->inputs[1], upper)) return 0;
  return lower == 0 && upper <= 0 ? 1 - upper : 0;
}

inline std::size_t uses(const ir::graph& g, int v) {
  std::size_t n = static_cast<std::size_t>(std::count(g.outputs.begin(), g.outputs.end(), v));
  for (const auto& nd : g.nodes) n += static_cast<std::size_t>(std::count(nd.inputs.begin(), nd.inputs.end(), v));
  return n;
}

// Inserts node n before position `at` of g.nodes (producers renumbered).
inline int insert_node(ir::graph& g, std::size_t at, std::string op, std::vector<int> inputs, ir::kind out_kind, const std::string& loc) {
  ir::value v;
  v.k = out_kind;
  const int out = g.add_value(std::move(v));
  g.nodes.insert(g.nodes.begin() + static_cast<std::ptrdiff_t>(at), ir::node{std::move(op), std::move(inputs), {out}, loc});
  g.reindex_producers();
  return out;
}
}  // namespace detail

// `g` is an optimized graph (canonical and fused) of a causal LM; `cache` the caches' dtype (f16,
// f32, or i8 with f32 scales per 32 features as more state inputs `k_scale.<i>`, `v_scale.<i>`); `max_positions` the most positions a cache may hold (the sequence dim's exported range).
inline kv_cache_graphs insert_kv_cache(const ir::graph& g, dtype cache, std::int64_t max_positions) {
  check(cache == dtype::f16 || cache == dtype::f32 || cache == dtype::i8, "KV cache dtype ", name_of(cache), " is not supported (f16, f32 or i8)");
  kv_cache_graphs r;
  ir::graph p = g;
  for (int i : p.inputs) r.input_names.push_back(p.values[static_cast<std::size_t>(i)].name);
  ir::value pos;
  pos.name = "cache_position";
  pos.type = dtype::i64;
  pos.shape = {1};
  pos.dims = {{1, 1}};
  const int pos_id = p.add_value(std::move(pos));
  p.inputs.push_back(pos_id);
  r.input_names.push_back("cache_position");
  // a new graph input that is session state
  auto add_state = [&](const std::string& name, dtype t, shape_t shape, std::vector<ir::dim_range> dims, int capacity_dim) {
    ir::value c;
    c.name = name;
    c.type = t;
    c.shape = std::move(shape);
    c.dims = std::move(dims);
    const int id = p.add_value(std::move(c));
    p.inputs.push_back(id);
    r.input_names.push_back(name);
    r.input_state.push_back(name);
    r.input_capacity_dim.push_back(capacity_dim);
    return id;
  };
  for (std::size_t n = 0; n < p.nodes.size(); ++n) {
    ir::node& nd = p.nodes[n];
    if (nd.op != "attention") continue;
    bool causal = false, divide = false;
    if (!detail::const_flag(p, nd.inputs[5], causal) || !detail::const_flag(p, nd.inputs[6], divide)) continue;
    const bool no_mask = p.values[static_cast<std::size_t>(nd.inputs[3])].k == ir::kind::none;
    const std::int64_t window = causal ? 0 : detail::band_window(p, nd.inputs[3]);
    if (!(causal && no_mask) && window == 0) continue;
    // (copies: adding values below moves p.values)
    const shape_t q = p.values[static_cast<std::size_t>(nd.inputs[0])].shape;
    const shape_t k = p.values[static_cast<std::size_t>(nd.inputs[1])].shape;
    const shape_t v = p.values[static_cast<std::size_t>(nd.inputs[2])].shape;
    check(q.size() == 4 && k.size() == 4 && v.size() == 4, "attention at ", nd.loc.empty() ? "node " + std::to_string(n) : nd.loc,
          ": a KV cache needs [batch, heads, positions, features] q, k and v, got ", to_string(q), ", ", to_string(k), ", ", to_string(v));
    const std::string layer = std::to_string(r.layers++);
    const std::int64_t rows = window > 0 ? std::min(window, max_positions) : max_positions;
    r.windowed += window > 0;
    // [batch, kv heads, rows, features]: rows grow with the sequence, or a ring's fixed window
    auto per_row = [&](const std::string& name, dtype t, const shape_t& src, std::int64_t features) {
      return add_state(name + layer, t, {src[0], src[1], rows, features},
                       {{src[0], src[0]}, {src[1], src[1]}, {window > 0 ? rows : 1, rows}, {features, features}}, window > 0 ? -1 : 2);
    };
    const int caches[2] = {per_row("k_cache.", cache, k, k[3]), per_row("v_cache.", cache, v, v[3])};
    std::vector<int> scales;  // an int8 cache's: one f32 per 32 features of a row
    if (cache == dtype::i8) {
      check(k[3] % 32 == 0 && v[3] % 32 == 0, "attention at ", nd.loc.empty() ? "node " + std::to_string(n) : nd.loc,
            ": an int8 KV cache needs key and value sizes that are multiples of 32, got ", k[3], " and ", v[3], " (use --kv-cache f16)");
      scales = {per_row("k_scale.", dtype::f32, k, k[3] / 32), per_row("v_scale.", dtype::f32, v, v[3] / 32)};
    }
    ir::node& a = p.nodes[n];
    const int w = p.add_constant(ir::meta::of_int(window));
    a.inputs = {a.inputs[0], a.inputs[1], a.inputs[2], caches[0], caches[1], pos_id, a.inputs[4], a.inputs[6], w};
    a.inputs.insert(a.inputs.end(), scales.begin(), scales.end());
    a.op = "cached_attention";
  }
  // causal depthwise convolutions over positions (conv1d with K - 1 padding, cut to the input's
  // positions): a conv state of the last K - 1 inputs each
  for (std::size_t n = 0; n < p.nodes.size(); ++n) {
    if (p.nodes[n].op != "slice") continue;
    const int conv_out = p.nodes[n].inputs[0];
    const int ci = p.values[static_cast<std::size_t>(conv_out)].producer;
    if (ci < 0 || p.nodes[static_cast<std::size_t>(ci)].op != "conv" || p.nodes[static_cast<std::size_t>(ci)].inputs.size() != 7) continue;
    const ir::node conv = p.nodes[static_cast<std::size_t>(ci)];
    const shape_t x = p.values[static_cast<std::size_t>(conv.inputs[0])].shape;
    const shape_t w = p.values[static_cast<std::size_t>(conv.inputs[1])].shape;
    const shape_t cut = p.values[static_cast<std::size_t>(p.nodes[n].outputs[0])].shape;
    std::int64_t dim = 0, groups = 0, step = 0;
    auto ints_are = [&](int v, std::int64_t want) {
      const auto* m = p.constant_meta(v);
      return m && m->k == ir::kind::ints && m->ints.size() == 1 && m->ints[0] == want;
    };
    const bool causal_depthwise = x.size() == 3 && w.size() == 3 && w[1] == 1 && w[0] == x[1] && ints_are(conv.inputs[3], 1) &&
                                  ints_are(conv.inputs[4], w[2] - 1) && ints_are(conv.inputs[5], 1) && detail::const_int(p, conv.inputs[6], groups) &&
                                  groups == x[1] && detail::const_int(p, p.nodes[n].inputs[1], dim) && (dim == 2 || dim == -1) &&
                                  p.values[static_cast<std::size_t>(p.nodes[n].inputs[2])].k == ir::kind::none &&
                                  detail::const_int(p, p.nodes[n].inputs[4], step) && step == 1 && cut == x && detail::uses(p, conv_out) == 1;
    if (!causal_depthwise) continue;
    const int state = add_state("conv_state." + std::to_string(r.conv_layers++), dtype::f32, {x[0], x[1], w[2] - 1},
                                {{x[0], x[0]}, {x[1], x[1]}, {w[2] - 1, w[2] - 1}}, -1);
    p.nodes[n].op = "cached_conv1d";
    p.nodes[n].inputs = {conv.inputs[0], conv.inputs[1], conv.inputs[2], state, pos_id};
  }
  check(r.layers > 0, "no causal self-attention (an attention node with causal set and no mask, or a sliding-window band mask) in the graph: "
        "there is nothing to give a KV cache");
  r.input_state.insert(r.input_state.begin(), g.inputs.size() + 1, std::string());  // the model's inputs and cache_position
  r.input_capacity_dim.insert(r.input_capacity_dim.begin(), g.inputs.size() + 1, -1);
  passes::dead_code_elimination(p);  // the band masks

  // decode: one new position, so every input whose dim 1 was the sequence is fixed at 1
  r.decode = p;
  for (std::size_t i = 0; i < g.inputs.size(); ++i) {
    auto& in = r.decode.values[static_cast<std::size_t>(r.decode.inputs[i])];
    if (in.shape.size() >= 2 && (in.dims.empty() || in.dims[1].min != in.dims[1].max)) {
      in.shape[1] = 1;
      if (!in.dims.empty()) in.dims[1] = {1, 1};
    }
  }

  // prefill: the final projection reads the last position only
  const int out0 = p.outputs.at(0);
  const int prod = p.values[static_cast<std::size_t>(out0)].producer;
  if (prod >= 0 && p.nodes[static_cast<std::size_t>(prod)].op == "linear") {
    const int x = p.nodes[static_cast<std::size_t>(prod)].inputs[0];
    if (p.values[static_cast<std::size_t>(x)].shape.size() == 3) {
      const std::string loc = p.nodes[static_cast<std::size_t>(prod)].loc;
      const int last = detail::insert_node(p, static_cast<std::size_t>(prod), "slice",
                                           {x, p.add_constant(ir::meta::of_int(1)), p.add_constant(ir::meta::of_int(-1)),
                                            p.add_constant(ir::meta::none()), p.add_constant(ir::meta::of_int(1))},
                                           ir::kind::tensor, loc);
      const ir::value sv = p.values[static_cast<std::size_t>(x)];
      p.values[static_cast<std::size_t>(last)].type = sv.type;
      p.values[static_cast<std::size_t>(last)].shape = {sv.shape[0], 1, sv.shape[2]};
      p.nodes[static_cast<std::size_t>(prod) + 1].inputs[0] = last;
      auto& o = p.values[static_cast<std::size_t>(out0)];
      if (o.shape.size() == 3) o.shape[1] = 1;
    }
  }
  r.prefill = std::move(p);
  ir::verify(r.prefill, "prefill graph");
  ir::verify(r.decode, "decode graph");
  return r;
}

}  // namespace cactus::lower
