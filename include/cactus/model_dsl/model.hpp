#pragma once
// Model graphs written in C++ as types, with the expression types of the pattern language
// (patterns/dsl.hpp): a model is its outputs' expression trees, whose leaves are graph inputs,
// named weights and literals.
//
//   using ids    = input<"input_ids", dtype::i64>;
//   using hidden = op<"relu", op<"linear", op<"mean", op<"embedding", weight<"embedding.weight">, ids>, ints<1>, lit<false>, none>,
//                                        weight<"fc1.weight">, weight<"fc1.bias">>>;
//   using classifier = model<op<"linear", hidden, weight<"fc2.weight">, weight<"fc2.bias">>>;
//   ir::graph g = classifier::build(model_dsl::weights_from_dir("classifier-cactus"), {{1, 8}});
//
// piece<I, N, op<...>> is output I of an op with N outputs (split, chunk).
// op<"name", Args...> is node<"name", Args...> after a compile-time check that the op registry
// has that op (a misspelt op is a compile error naming it). Inputs are numbered by first
// appearance, depth first, left to right (or listed with inputs<...> to fix the order). The same
// type twice is the same value: a subexpression named once by a using-declaration and used
// twice is computed once. Weights are looked up by their state_dict name in a resolver, which
// for converted weights maps the file weights_manifest.json lists (zero-copy, any precision).
// The graph then goes through the same passes as a captured one (fusion included).
#include <filesystem>
#include <functional>
#include <map>
#include <string>
#include <typeindex>
#include <vector>

#include "cactus/ir/graph.hpp"
#include "cactus/ops/registry.hpp"
#include "cactus/passes/infer_shapes.hpp"
#include "cactus/patterns/match.hpp"
#include "cactus/quant/manifest.hpp"
#include "cactus/quant/weight_file.hpp"

namespace cactus::model_dsl {

namespace hana = boost::hana;
using patterns::fixed_string;
using patterns::ints;
using patterns::lit;
using patterns::node;
using patterns::none;
using patterns::str;

template <fixed_string Name, dtype T = dtype::f32>
struct input {};
template <fixed_string Name>
struct weight {};
template <class... Inputs>
struct inputs {};
// Output I of a node with N outputs (e.g. the pieces of op<"split", x, dim, lit<0>, lit<4>>);
// the node is built once for all its pieces.
template <int I, int N, class Node>
struct piece {};

// Whether the op registry has an op of this name (at compile time).
template <fixed_string Name>
constexpr bool registered_op() {
  return ops::is_registered(Name.view());
}
template <fixed_string Name, class... Args>
struct checked_op {
  static_assert(registered_op<Name>(), "cactus::model_dsl::op: no op of this name in the op registry (ops/registry.hpp)");
  using type = node<Name, Args...>;
};
template <fixed_string Name, class... Args>
using op = typename checked_op<Name, Args...>::type;

// name -> tensor for weight<"name">
using weight_source = std::function<tensor(const std::string& name)>;

// Converted weights (`cactus convert`): the manifest in `dir` maps a state_dict name to its file,
// mapped in place.
inline weight_source weights_from_dir(const std::filesystem::path& dir) {
  auto m = std::make_shared<quant::weights_manifest>(quant::weights_manifest::load(dir));
  return [m, dir](const std::string& name) {
    const auto* e = m->find(name);
    check(e != nullptr, "weight '", name, "' is not in ", (dir / "weights_manifest.json").string());
    return quant::map_weight_file(dir / e->file);
  };
}

namespace detail {
struct builder {
  ir::graph g;
  const weight_source& weights;
  std::map<std::type_index, int> built;
  std::map<std::string, int> input_ids;

  template <class T>
  int get() {
    auto it = built.find(typeid(T));
    if (it != built.end()) return it->second;
    const int v = emit(hana::type_c<T>);
    built.emplace(typeid(T), v);
    return v;
  }
  template <fixed_string N, dtype T>
  int emit(hana::basic_type<input<N, T>>) {
    ir::value v;
    v.name = std::string(N.view());
    v.type = T;
    const int id = g.add_value(std::move(v));
    g.inputs.push_back(id);
    check(input_ids.emplace(std::string(N.view()), id).second, "model input '", N.view(), "' is declared twice with different types");
    return id;
  }
  template <fixed_string N>
  int emit(hana::basic_type<weight<N>>) {
    const std::string name(N.view());
    check(static_cast<bool>(weights), "the model uses weight '", name, "' but no weight source was given");
    return g.add_tensor_constant(weights(name), name);
  }
  // literals (lit, ints, none, str): the constants a rule's replacement makes
  template <class T>
  int emit(hana::basic_type<T> t) {
    return patterns::build_arg(t, g, hana::make_map());
  }
  std::map<std::type_index, int> multi;  // node type -> node index
  template <int I, int N, fixed_string Op, class... A>
  int emit(hana::basic_type<piece<I, N, node<Op, A...>>>) {
    static_assert(I >= 0 && I < N, "cactus::model_dsl::piece: output index out of range");
    auto it = multi.find(typeid(node<Op, A...>));
    if (it == multi.end()) {
      std::vector<int> in;
      (in.push_back(get<A>()), ...);
      it = multi.emplace(typeid(node<Op, A...>), g.add_node(std::string(Op.view()), std::move(in), std::vector<ir::kind>(N, ir::kind::tensor))).first;
    }
    const auto& n = g.nodes[static_cast<std::size_t>(it->second)];
    check(n.outputs.size() == static_cast<std::size_t>(N), "op ", Op.view(), " is used with ", N, " and with ", n.outputs.size(), " outputs");
    return n.outputs[static_cast<std::size_t>(I)];
  }
  template <fixed_string Op, class... A>
  int emit(hana::basic_type<node<Op, A...>>) {
    std::vector<int> in;
    (in.push_back(get<A>()), ...);  // left to right: a fold over the comma operator is sequenced
    const int n = g.add_node(std::string(Op.view()), std::move(in), {ir::kind::tensor});
    return g.nodes[static_cast<std::size_t>(n)].outputs[0];
  }
};

template <class T>
struct declared_inputs {
  static void add(builder&) {}
};
template <class... I>
struct declared_inputs<inputs<I...>> {
  static void add(builder& b) { (b.get<I>(), ...); }
};
}  // namespace detail

// A model: its outputs, in order; optionally inputs<...> first to fix the input order.
// build(weights, example) gives the graph; the example input shapes (one per input; the dtype
// is the input's) give every value its dtype and shape, as a capture records them from its
// example inputs (the executor checks input ranks against them; other sizes re-plan).
template <class... Outputs>
struct model {
  static ir::graph build(const weight_source& weights, const std::vector<shape_t>& example) {
    detail::builder b{ir::graph{}, weights, {}, {}, {}};
    (detail::declared_inputs<Outputs>::add(b), ...);
    hana::for_each(hana::tuple_t<Outputs...>, [&](auto t) {
      using T = typename decltype(t)::type;
      if constexpr (!is_inputs<T>::value) b.g.outputs.push_back(b.get<T>());
    });
    b.g.reindex_producers();
    check(example.size() == b.g.inputs.size(), "the model has ", b.g.inputs.size(), " inputs, ", example.size(), " example shapes were given");
    std::vector<passes::input_type> types;
    for (std::size_t i = 0; i < b.g.inputs.size(); ++i) types.push_back({b.g.values[static_cast<std::size_t>(b.g.inputs[i])].type, example[i]});
    passes::infer_shapes(b.g, types);
    return std::move(b.g);
  }

 private:
  template <class T>
  struct is_inputs : std::false_type {};
  template <class... I>
  struct is_inputs<inputs<I...>> : std::true_type {};
};

}  // namespace cactus::model_dsl
