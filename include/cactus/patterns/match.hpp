#pragma once
// Matching patterns (patterns/dsl.hpp) against the IR, and rewriting what matched.
//
// match(pattern, value) walks the pattern type by overloads and the IR from the value to its
// producers. Bindings live in a hana::map keyed by the pattern's vars (hana::type<var<"x">>)
// holding value ids; alternatives and commutative orders try a copy and keep it on success.
// A rule fires at a node whose output matches its pattern: that node is replaced in place by
// the replacement node (same output value, so no use needs rewiring and order stays
// topological); nodes the match made dead are removed by DCE afterwards.
#include <algorithm>
#include <array>
#include <cmath>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "cactus/ir/graph.hpp"
#include "cactus/patterns/dsl.hpp"

namespace cactus::patterns {

struct match_context {
  const ir::graph& g;
  const std::vector<int>& uses;  // per value: consuming node inputs + graph outputs
};

template <class Pattern>
auto make_bindings() {
  return hana::unpack(vars_of(hana::type_c<Pattern>), [](auto... v) { return hana::make_map(hana::make_pair(v, -1)...); });
}

// ---- scalar constants ---------------------------------------------------------------------------
inline bool constant_scalar(const ir::graph& g, int v, double& out) {
  const auto& val = g.values[static_cast<std::size_t>(v)];
  if (val.constant) {
    const auto& m = *val.constant;
    if (m.k == ir::kind::int_ || m.k == ir::kind::bool_) { out = static_cast<double>(m.i); return true; }
    if (m.k == ir::kind::float_) { out = m.f; return true; }
    return false;
  }
  if (val.data && val.data->numel() == 1 && !is_packed(val.data->type)) {
    out = val.data->element_as_double(0);
    return true;
  }
  return false;
}

// ---- match --------------------------------------------------------------------------------------
template <class B>
bool match(hana::basic_type<any>, const match_context&, int, B&) {
  return true;
}

// Two plan-time constants of equal value are the same value: a front end may spell one number
// twice (torch.export writes each literal where it is used).
inline bool same_value(const ir::graph& g, int a, int b) {
  if (a == b) return true;
  const auto& x = g.values[static_cast<std::size_t>(a)];
  const auto& y = g.values[static_cast<std::size_t>(b)];
  return x.constant && y.constant && *x.constant == *y.constant;
}

template <fixed_string N, class B>
bool match(hana::basic_type<var<N>>, const match_context& c, int v, B& b) {
  int& slot = b[hana::type_c<var<N>>];
  if (slot == -1) {
    slot = v;
    return true;
  }
  return same_value(c.g, slot, v);
}

template <auto V, class B>
bool match(hana::basic_type<lit<V>>, const match_context& c, int v, B&) {
  double x = 0;
  return constant_scalar(c.g, v, x) && x == static_cast<double>(V);
}

template <double V, class B>
bool match(hana::basic_type<approx<V>>, const match_context& c, int v, B&) {
  double x = 0;
  return constant_scalar(c.g, v, x) && std::abs(x - V) <= 1e-6 * std::abs(V);
}

template <long long... V, class B>
bool match(hana::basic_type<ints<V...>>, const match_context& c, int v, B&) {
  const auto& val = c.g.values[static_cast<std::size_t>(v)];
  if (!val.constant) return false;
  const auto& m = *val.constant;
  if (m.k == ir::kind::ints) return m.ints == std::vector<std::int64_t>{V...};
  if constexpr (sizeof...(V) == 1) {
    constexpr long long only[] = {V...};
    if (m.k == ir::kind::int_) return m.i == only[0];
  }
  return false;
}

template <fixed_string S, class B>
bool match(hana::basic_type<str<S>>, const match_context& c, int v, B&) {
  const auto& val = c.g.values[static_cast<std::size_t>(v)];
  return val.constant && val.constant->k == ir::kind::string && val.constant->s == S.view();
}

template <class B>
bool match(hana::basic_type<none>, const match_context& c, int v, B&) {
  const auto& val = c.g.values[static_cast<std::size_t>(v)];
  return val.k == ir::kind::none;
}

template <class A, class... Rest, class B>
bool match(hana::basic_type<alt<A, Rest...>>, const match_context& c, int v, B& b) {
  B trial = b;
  if (match(hana::type_c<A>, c, v, trial)) {
    b = trial;
    return true;
  }
  if constexpr (sizeof...(Rest) > 0) return match(hana::type_c<alt<Rest...>>, c, v, b);
  else return false;
}

template <class Constraint>
struct constraint_check;
template <dtype T>
struct constraint_check<dtype_is<T>> {
  template <class B>
  static bool ok(const match_context& c, int v, const B&) { return c.g.values[static_cast<std::size_t>(v)].type == T; }
};
template <int R>
struct constraint_check<rank_is<R>> {
  template <class B>
  static bool ok(const match_context& c, int v, const B&) { return c.g.values[static_cast<std::size_t>(v)].shape.size() == static_cast<std::size_t>(R); }
};
template <>
struct constraint_check<constant> {
  template <class B>
  static bool ok(const match_context& c, int v, const B&) { return c.g.values[static_cast<std::size_t>(v)].is_constant(); }
};
template <>
struct constraint_check<single_use> {
  template <class B>
  static bool ok(const match_context& c, int v, const B&) { return c.uses[static_cast<std::size_t>(v)] == 1; }
};
template <>
struct constraint_check<scalar> {
  template <class B>
  static bool ok(const match_context& c, int v, const B&) {
    const auto& val = c.g.values[static_cast<std::size_t>(v)];
    if (val.k == ir::kind::int_ || val.k == ir::kind::float_) return true;
    return val.is_tensor() && val.shape.size() <= 1 && numel(val.shape) == 1;
  }
};
template <fixed_string N>
struct constraint_check<last_dim_of<var<N>>> {
  template <class B>
  static bool ok(const match_context& c, int v, const B& b) {
    const int x = b[hana::type_c<var<N>>];
    double d = 0;
    if (x < 0 || !constant_scalar(c.g, v, d)) return false;
    const auto rank = static_cast<double>(c.g.values[static_cast<std::size_t>(x)].shape.size());
    return rank > 0 && (d == -1 || d == rank - 1);
  }
};

template <class P, class... C, class B>
bool match(hana::basic_type<where<P, C...>>, const match_context& c, int v, B& b) {
  B trial = b;
  if (!match(hana::type_c<P>, c, v, trial) || !(constraint_check<C>::ok(c, v, trial) && ...)) return false;
  b = trial;
  return true;
}

template <fixed_string N, class P, class B>
bool match(hana::basic_type<as<var<N>, P>>, const match_context& c, int v, B& b) {
  B trial = b;
  if (!match(hana::type_c<P>, c, v, trial) || !match(hana::type_c<var<N>>, c, v, trial)) return false;
  b = trial;
  return true;
}

namespace detail {
template <class... A, std::size_t... I, class B>
bool match_inputs(const match_context& c, const std::vector<int>& in, const std::array<std::size_t, sizeof...(A)>& order, B& b,
                  std::index_sequence<I...>) {
  return (match(hana::type_c<A>, c, in[order[I]], b) && ...);
}
}  // namespace detail

// Node n (producing value v) against node<Op, A...>: op name, input count, inputs in order (and
// swapped for commutative ops).
template <fixed_string Op, class... A, class B>
bool match_node(hana::basic_type<node<Op, A...>>, const match_context& c, const ir::node& n, B& b) {
  if (n.op != Op.view() || n.inputs.size() != sizeof...(A)) return false;
  std::array<std::size_t, sizeof...(A)> order{};
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  {
    B trial = b;
    if (detail::match_inputs<A...>(c, n.inputs, order, trial, std::index_sequence_for<A...>{})) {
      b = trial;
      return true;
    }
  }
  if constexpr (sizeof...(A) >= 2) {
    if constexpr (!ops::is_commutative(Op.view())) return false;
    double alpha = 1;
    if (Op.view() == "add" && n.inputs.size() == 3 && !(constant_scalar(c.g, n.inputs[2], alpha) && alpha == 1)) return false;
    std::swap(order[0], order[1]);
    B trial = b;
    if (detail::match_inputs<A...>(c, n.inputs, order, trial, std::index_sequence_for<A...>{})) {
      b = trial;
      return true;
    }
  }
  return false;
}

template <fixed_string Op, class... A, class B>
bool match(hana::basic_type<node<Op, A...>>, const match_context& c, int v, B& b) {
  const auto& val = c.g.values[static_cast<std::size_t>(v)];
  if (val.producer < 0) return false;
  const auto& n = c.g.nodes[static_cast<std::size_t>(val.producer)];
  if (n.outputs.size() != 1 || n.outputs[0] != v) return false;
  return match_node(hana::type_c<node<Op, A...>>, c, n, b);
}

template <int I, fixed_string Op, class... A, class B>
bool match(hana::basic_type<out<I, node<Op, A...>>>, const match_context& c, int v, B& b) {
  const auto& val = c.g.values[static_cast<std::size_t>(v)];
  if (val.producer < 0) return false;
  const auto& n = c.g.nodes[static_cast<std::size_t>(val.producer)];
  if (n.outputs.size() <= static_cast<std::size_t>(I) || n.outputs[static_cast<std::size_t>(I)] != v) return false;
  return match_node(hana::type_c<node<Op, A...>>, c, n, b);
}

// ---- replacement --------------------------------------------------------------------------------
template <fixed_string N, class B>
int build_arg(hana::basic_type<var<N>>, ir::graph& g, const B& b) {
  const int v = b[hana::type_c<var<N>>];
  return v >= 0 ? v : g.add_constant(ir::meta::none());  // bound only by another alternative
}
template <fixed_string S, class B>
int build_arg(hana::basic_type<str<S>>, ir::graph& g, const B&) {
  return g.add_constant(ir::meta::of_string(std::string(S.view())));
}
template <fixed_string N, int D, class B>
int build_arg(hana::basic_type<last_dims<var<N>, D>>, ir::graph& g, const B& b) {
  const auto& s = g.values[static_cast<std::size_t>(b[hana::type_c<var<N>>])].shape;
  return g.add_constant(ir::meta::of_ints(std::vector<std::int64_t>(s.end() - std::min<std::ptrdiff_t>(D, static_cast<std::ptrdiff_t>(s.size())), s.end())));
}
template <auto V, class B>
int build_arg(hana::basic_type<lit<V>>, ir::graph& g, const B&) {
  if constexpr (std::is_same_v<decltype(V), bool>) return g.add_constant(ir::meta::of_bool(V));
  else if constexpr (std::is_integral_v<decltype(V)>) return g.add_constant(ir::meta::of_int(V));
  else return g.add_constant(ir::meta::of_float(static_cast<double>(V)));
}
template <long long... V, class B>
int build_arg(hana::basic_type<ints<V...>>, ir::graph& g, const B&) {
  return g.add_constant(ir::meta::of_ints({V...}));
}
template <class B>
int build_arg(hana::basic_type<none>, ir::graph& g, const B&) {
  return g.add_constant(ir::meta::none());
}

// Replaces node `at` (whose output matched) by the replacement's op over the bound values.
// Returns the index of the node that now holds the replacement (`at` here).
template <fixed_string Op, class... A, class B>
std::size_t rewrite(hana::basic_type<make<Op, A...>>, ir::graph& g, std::size_t at, const B& b) {
  std::vector<int> inputs{build_arg(hana::type_c<A>, g, b)...};
  auto& n = g.nodes[at];
  n.op = std::string(Op.view());
  n.inputs = std::move(inputs);
  return at;
}

// A replacement with several outputs: the matched value and the values bound to Outs. The
// node goes where the earliest of them was produced (later uses of every output then follow
// it); the other producers keep fresh, unused outputs and die. Declines (returns -1, graph
// unchanged) when an input of the replacement is produced at or after that place.
template <fixed_string Op, class... O, class... A, class B>
std::ptrdiff_t rewrite_multi(hana::basic_type<make_multi<Op, outputs<O...>, A...>>, ir::graph& g, std::size_t at, const B& b) {
  std::vector<int> outs{g.nodes[at].outputs[0], b[hana::type_c<O>]...};
  std::size_t pos = at;
  for (int o : outs) pos = std::min(pos, static_cast<std::size_t>(g.values[static_cast<std::size_t>(o)].producer));
  std::vector<int> inputs{build_arg(hana::type_c<A>, g, b)...};
  for (int i : inputs) {
    const int p = g.values[static_cast<std::size_t>(i)].producer;
    if (p >= 0 && static_cast<std::size_t>(p) >= pos) return -1;
  }
  for (int o : outs) {  // the old producers keep a fresh, unused value in its place
    auto& old = g.nodes[static_cast<std::size_t>(g.values[static_cast<std::size_t>(o)].producer)];
    for (int& x : old.outputs)
      if (x == o) {
        ir::value dead = g.values[static_cast<std::size_t>(o)];
        dead.name.clear();
        x = g.add_value(std::move(dead));
      }
  }
  auto& n = g.nodes[pos];
  n.op = std::string(Op.view());
  n.inputs = std::move(inputs);
  n.outputs = std::move(outs);
  g.reindex_producers();
  return static_cast<std::ptrdiff_t>(pos);
}

template <class T>
struct is_multi : std::false_type {};
template <fixed_string Op, class Outs, class... A>
struct is_multi<make_multi<Op, Outs, A...>> : std::true_type {};

inline std::vector<int> count_uses(const ir::graph& g) {
  std::vector<int> uses(g.values.size(), 0);
  for (auto& n : g.nodes)
    for (int v : n.inputs) ++uses[static_cast<std::size_t>(v)];
  for (int v : g.outputs) ++uses[static_cast<std::size_t>(v)];
  return uses;
}

// Tries `Rule` at every live node once, last node first, so the largest match wins (a layer
// norm's affine tail is seen before its bare normalization) and nodes a rewrite left dead are
// not matched again; returns how many times it fired. A node is live when a graph output or a
// live node (all of which come after it) uses one of its outputs.
template <class Rule>
int apply_rule(ir::graph& g) {
  int fired = 0;
  std::vector<int> uses = count_uses(g);
  std::vector<int> live_uses(g.values.size(), 0);
  for (int v : g.outputs) ++live_uses[static_cast<std::size_t>(v)];
  for (std::size_t i = g.nodes.size(); i-- > 0;) {
    auto& n = g.nodes[i];
    if (std::none_of(n.outputs.begin(), n.outputs.end(), [&](int v) { return live_uses[static_cast<std::size_t>(v)] > 0; })) continue;
    if (n.outputs.size() == 1) {
      const match_context c{g, uses};
      auto b = make_bindings<typename Rule::pattern>();
      if (match(hana::type_c<typename Rule::pattern>, c, n.outputs[0], b)) {
        std::ptrdiff_t placed;
        if constexpr (is_multi<typename Rule::replacement>::value) placed = rewrite_multi(hana::type_c<typename Rule::replacement>, g, i, b);
        else placed = static_cast<std::ptrdiff_t>(rewrite(hana::type_c<typename Rule::replacement>, g, i, b));
        if (placed >= 0) {
          ++fired;
          uses = count_uses(g);
          live_uses.resize(g.values.size(), 0);
          if (static_cast<std::size_t>(placed) != i) continue;  // this node is dead now; the replacement comes later in the walk
        }
      }
    }
    for (int v : g.nodes[i].inputs) ++live_uses[static_cast<std::size_t>(v)];
  }
  g.reindex_producers();
  return fired;
}

}  // namespace cactus::patterns
