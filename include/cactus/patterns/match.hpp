#pragma once
// Matching patterns (patterns/dsl.hpp) against the IR, and rewriting what matched.
//
// match(pattern, value) walks the pattern type by overloads and the IR from the value to its
// producers. Bindings live in a hana::map keyed by the pattern's vars (hana::type<var<"x">>)
// holding value ids; alternatives and commutative orders try a copy and keep it on success.
// A rule fires at a node whose output matches its pattern: that node is replaced in place by
// the replacement node (same output value, so no use needs rewiring and order stays
// topological); nodes the match made dead are removed by DCE afterwards.
#include <array>
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

template <fixed_string N, class B>
bool match(hana::basic_type<var<N>>, const match_context&, int v, B& b) {
  int& slot = b[hana::type_c<var<N>>];
  if (slot == -1) {
    slot = v;
    return true;
  }
  return slot == v;
}

template <auto V, class B>
bool match(hana::basic_type<lit<V>>, const match_context& c, int v, B&) {
  double x = 0;
  return constant_scalar(c.g, v, x) && x == static_cast<double>(V);
}

template <long long... V, class B>
bool match(hana::basic_type<ints<V...>>, const match_context& c, int v, B&) {
  const auto& val = c.g.values[static_cast<std::size_t>(v)];
  if (!val.constant) return false;
  const auto& m = *val.constant;
  if (m.k == ir::kind::ints) return m.ints == std::vector<std::int64_t>{V...};
  if (m.k == ir::kind::int_ && sizeof...(V) == 1) return m.i == (V, ...);
  return false;
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
  static bool ok(const match_context& c, int v) { return c.g.values[static_cast<std::size_t>(v)].type == T; }
};
template <int R>
struct constraint_check<rank_is<R>> {
  static bool ok(const match_context& c, int v) { return c.g.values[static_cast<std::size_t>(v)].shape.size() == static_cast<std::size_t>(R); }
};
template <>
struct constraint_check<constant> {
  static bool ok(const match_context& c, int v) { return c.g.values[static_cast<std::size_t>(v)].is_constant(); }
};
template <>
struct constraint_check<single_use> {
  static bool ok(const match_context& c, int v) { return c.uses[static_cast<std::size_t>(v)] == 1; }
};

template <class P, class... C, class B>
bool match(hana::basic_type<where<P, C...>>, const match_context& c, int v, B& b) {
  B trial = b;
  if (!match(hana::type_c<P>, c, v, trial) || !(constraint_check<C>::ok(c, v) && ...)) return false;
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

template <fixed_string Op, class... A, class B>
bool match(hana::basic_type<node<Op, A...>>, const match_context& c, int v, B& b) {
  const auto& val = c.g.values[static_cast<std::size_t>(v)];
  if (val.producer < 0) return false;
  const auto& n = c.g.nodes[static_cast<std::size_t>(val.producer)];
  if (n.op != Op.view() || n.inputs.size() != sizeof...(A) || n.outputs.size() != 1 || n.outputs[0] != v) return false;
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
    if (!is_commutative(Op.view())) return false;
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

// ---- replacement --------------------------------------------------------------------------------
template <fixed_string N, class B>
int build_arg(hana::basic_type<var<N>>, ir::graph&, const B& b) {
  return b[hana::type_c<var<N>>];
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
template <fixed_string Op, class... A, class B>
void rewrite(hana::basic_type<make<Op, A...>>, ir::graph& g, std::size_t at, const B& b) {
  std::vector<int> inputs{build_arg(hana::type_c<A>, g, b)...};
  auto& n = g.nodes[at];
  n.op = std::string(Op.view());
  n.inputs = std::move(inputs);
}

inline std::vector<int> count_uses(const ir::graph& g) {
  std::vector<int> uses(g.values.size(), 0);
  for (auto& n : g.nodes)
    for (int v : n.inputs) ++uses[static_cast<std::size_t>(v)];
  for (int v : g.outputs) ++uses[static_cast<std::size_t>(v)];
  return uses;
}

// Tries `Rule` at every node once; returns how many times it fired.
template <class Rule>
int apply_rule(ir::graph& g) {
  int fired = 0;
  std::vector<int> uses = count_uses(g);
  for (std::size_t i = 0; i < g.nodes.size(); ++i) {
    if (g.nodes[i].outputs.size() != 1) continue;
    const match_context c{g, uses};
    auto b = make_bindings<typename Rule::pattern>();
    if (!match(hana::type_c<typename Rule::pattern>, c, g.nodes[i].outputs[0], b)) continue;
    rewrite(hana::type_c<typename Rule::replacement>, g, i, b);
    ++fired;
    uses = count_uses(g);
  }
  g.reindex_producers();
  return fired;
}

}  // namespace cactus::patterns
