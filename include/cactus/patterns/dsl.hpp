#pragma once
// The pattern language: IR computation shapes written as types. Every node is an empty tag
// type (as in CTRE and Boost.YAP); the matcher (patterns/match.hpp) walks them by overloads.
//
//   node<"mul", A, B>     a value produced by op "mul" whose inputs match A and B (ops that
//                         declare themselves commutative in the op registry also try B, A)
//   var<"x">              binds the value; the same var twice must be the same value
//   any                   matches any input, binds nothing
//   lit<2>, lit<1e-6>     a scalar constant equal to the value (int, float or bool)
//   approx<0.7978845608>  a float constant within a relative 1e-6 of the value (constants
//                         written as math.sqrt(2 / math.pi) or as 0.79788456 both match)
//   ints<-1>              an int-list constant equal to {-1}
//   none                  the None constant
//   str<"tanh">           a string constant equal to the text
//   alt<P, Q...>          the first alternative that matches
//   as<var<"s">, P>       P, and binds the value it matched to the var
//   out<1, node<...>>     output 1 of a node with several outputs (chunk/split pieces)
//   where<P, C...>        P, and every constraint C holds for the value P matched:
//                         dtype_is<f32>, rank_is<3>, constant, single_use, scalar (a number:
//                         a plan-time value, e.g. from shape arithmetic, or a 0-d / 1-element tensor),
//                         last_dim_of<var<"x">> (an int constant naming x's last dim: -1 or
//                         rank - 1; x must be bound earlier in the pattern)
//
// A rule is rule<"name", Pattern, Replacement>, where the replacement is make<"op", Args...> over the
// pattern's vars and literals (lit, ints, none, str), or make_multi<"op", outputs<var...>, ...>
// for an op with several outputs; arguments may also be:
//   last_dims<var<"x">, 1> an int list of x's last dims (e.g. layer_norm's normalized_shape)
// A var that only some alternatives bind becomes None in the replacement when the match went
// through another alternative (e.g. layer_norm without bias). Rules are checked when named: a
// replacement may only use vars the pattern binds (a static_assert says which rule is
// malformed and why), and every op a rule names, in node<"op"> or make<"op">, must be in the
// op registry (a misspelt name does not compile). Several rules may share a name (one per activation, say): they are one
// fusion for the CLI's --no-fuse-<name> and in reports.
#include <algorithm>
#include <boost/hana.hpp>
#include <cstddef>
#include <string_view>
#include <type_traits>

#include "cactus/core/dtype.hpp"
#include "cactus/ops/registry.hpp"

namespace cactus::patterns {

namespace hana = boost::hana;

// A string usable as a template argument: node<"mul", ...>, var<"x">.
template <std::size_t N>
struct fixed_string {
  char s[N]{};
  constexpr fixed_string(const char (&x)[N]) { std::copy_n(x, N, s); }
  constexpr std::string_view view() const { return {s, N - 1}; }
  template <std::size_t M>
  constexpr bool operator==(const fixed_string<M>& o) const {
    return view() == o.view();
  }
};

// ---- pattern nodes ---------------------------------------------------------------------------
template <fixed_string Op, class... Args>
struct node {};
template <fixed_string Name>
struct var {};
struct any {};
template <auto V>
struct lit {};
template <double V>
struct approx {};
template <fixed_string S>
struct str {};
template <long long... V>
struct ints {};
struct none {};
template <class... Alts>
struct alt {};
template <class P, class... Constraints>
struct where {};
template <class Var, class P>
struct as {};
template <int I, class P>
struct out {};

// ---- constraints -----------------------------------------------------------------------------
template <dtype T>
struct dtype_is {};
template <int R>
struct rank_is {};
struct constant {};
struct single_use {};
struct scalar {};
template <class Var>
struct last_dim_of {};

// ---- replacements and rules ------------------------------------------------------------------
template <fixed_string Op, class... Args>
struct make {};
template <class Var, int N>
struct last_dims {};
// A replacement with more outputs: the node also produces the values bound to Outs (which the
// match found produced elsewhere), after the matched one. It is placed where the earliest of
// its outputs was produced, so every later use still follows it.
template <class... Outs>
struct outputs {};
template <fixed_string Op, class Outs, class... Args>
struct make_multi {};

// ---- compile-time algebra ----------------------------------------------------------------------
template <class T>
struct is_pattern : std::false_type {};
template <fixed_string Op, class... A>
struct is_pattern<node<Op, A...>> : std::bool_constant<(is_pattern<A>::value && ...)> {};
template <fixed_string N>
struct is_pattern<var<N>> : std::true_type {};
template <>
struct is_pattern<any> : std::true_type {};
template <auto V>
struct is_pattern<lit<V>> : std::true_type {};
template <double V>
struct is_pattern<approx<V>> : std::true_type {};
template <fixed_string S>
struct is_pattern<str<S>> : std::true_type {};
template <long long... V>
struct is_pattern<ints<V...>> : std::true_type {};
template <>
struct is_pattern<none> : std::true_type {};
template <class... A>
struct is_pattern<alt<A...>> : std::bool_constant<sizeof...(A) >= 1 && (is_pattern<A>::value && ...)> {};
template <class P, class... C>
struct is_pattern<where<P, C...>> : is_pattern<P> {};
template <fixed_string N, class P>
struct is_pattern<as<var<N>, P>> : is_pattern<P> {};
template <int I, fixed_string Op, class... A>
struct is_pattern<out<I, node<Op, A...>>> : is_pattern<node<Op, A...>> {};

// The vars a pattern (or replacement) mentions, as a hana::tuple of hana::type, without
// repeats, in first-appearance order.
namespace detail {
template <class Acc, class T>
constexpr auto add_unique(Acc acc, T t) {
  if constexpr (decltype(hana::contains(acc, t))::value) return acc;
  else return hana::append(acc, t);
}
template <class Acc, class... Ts>
constexpr auto add_all(Acc acc, hana::tuple<Ts...> ts) {
  return hana::fold_left(ts, acc, [](auto a, auto t) { return add_unique(a, t); });
}
}  // namespace detail

// (class templates, not overloads: a function template would not see overloads declared after
// it for hana::type arguments, whose associated namespaces do not include ours)
template <class T>
struct collect_vars {
  static constexpr auto get() { return hana::make_tuple(); }
};
template <fixed_string N>
struct collect_vars<var<N>> {
  static constexpr auto get() { return hana::make_tuple(hana::type_c<var<N>>); }
};
namespace detail {
template <class... A>
constexpr auto vars_of_all() {
  return hana::fold_left(hana::make_tuple(collect_vars<A>::get()...), hana::make_tuple(), [](auto acc, auto vs) { return add_all(acc, vs); });
}
}  // namespace detail
template <fixed_string Op, class... A>
struct collect_vars<node<Op, A...>> {
  static constexpr auto get() { return detail::vars_of_all<A...>(); }
};
template <fixed_string Op, class... A>
struct collect_vars<make<Op, A...>> {
  static constexpr auto get() { return detail::vars_of_all<A...>(); }
};
template <fixed_string Op, class... O, class... A>
struct collect_vars<make_multi<Op, outputs<O...>, A...>> {
  static constexpr auto get() { return detail::vars_of_all<O..., A...>(); }
};
template <class... A>
struct collect_vars<alt<A...>> {
  static constexpr auto get() { return detail::vars_of_all<A...>(); }
};
template <class P, class... C>
struct collect_vars<where<P, C...>> {
  static constexpr auto get() { return collect_vars<P>::get(); }
};
template <int I, class P>
struct collect_vars<out<I, P>> {
  static constexpr auto get() { return collect_vars<P>::get(); }
};
template <class V, class P>
struct collect_vars<as<V, P>> {
  static constexpr auto get() { return detail::add_unique(collect_vars<P>::get(), hana::type_c<V>); }
};
template <class V, int N>
struct collect_vars<last_dims<V, N>> {
  static constexpr auto get() { return collect_vars<V>::get(); }
};

template <class T>
constexpr auto vars_of(hana::basic_type<T>) {
  return collect_vars<T>::get();
}

// Number of op nodes a pattern matches (its benefit when it fires); for alt, the smallest.
template <class P>
struct op_count : std::integral_constant<int, 0> {};
template <fixed_string Op, class... A>
struct op_count<node<Op, A...>> : std::integral_constant<int, 1 + (op_count<A>::value + ... + 0)> {};
template <class P, class... C>
struct op_count<where<P, C...>> : op_count<P> {};
template <class V, class P>
struct op_count<as<V, P>> : op_count<P> {};
template <int I, class P>
struct op_count<out<I, P>> : op_count<P> {};
template <class A, class... B>
struct op_count<alt<A, B...>> : std::integral_constant<int, std::min({op_count<A>::value, op_count<B>::value...})> {};

// Whether every op a pattern or replacement names is in the op registry.
template <class T>
struct ops_registered : std::true_type {};
template <fixed_string Op, class... A>
struct ops_registered<node<Op, A...>> : std::bool_constant<ops::is_registered(Op.view()) && (ops_registered<A>::value && ...)> {};
template <fixed_string Op, class... A>
struct ops_registered<make<Op, A...>> : std::bool_constant<ops::is_registered(Op.view()) && (ops_registered<A>::value && ...)> {};
template <fixed_string Op, class Outs, class... A>
struct ops_registered<make_multi<Op, Outs, A...>> : std::bool_constant<ops::is_registered(Op.view()) && (ops_registered<A>::value && ...)> {};
template <class... A>
struct ops_registered<alt<A...>> : std::bool_constant<(ops_registered<A>::value && ...)> {};
template <class P, class... C>
struct ops_registered<where<P, C...>> : ops_registered<P> {};
template <class V, class P>
struct ops_registered<as<V, P>> : ops_registered<P> {};
template <int I, class P>
struct ops_registered<out<I, P>> : ops_registered<P> {};

template <fixed_string Name, class Pattern, class Replacement>
struct rule {
  static_assert(is_pattern<Pattern>::value,
                "cactus::patterns::rule: the pattern must be built from node, var, any, lit, approx, ints, none, str, alt, as, out and where");
  static_assert(!std::is_same_v<Pattern, any> && op_count<Pattern>::value >= 1, "cactus::patterns::rule: a pattern must match at least one op node");
  static_assert(hana::all_of(vars_of(hana::type_c<Replacement>), [](auto v) { return hana::contains(vars_of(hana::type_c<Pattern>), v); }),
                "cactus::patterns::rule: the replacement uses a var the pattern does not bind");
  static_assert(ops_registered<Pattern>::value && ops_registered<Replacement>::value,
                "cactus::patterns::rule: a node<\"op\"> or make<\"op\"> names an op the op registry does not have (ops/registry.hpp)");
  static constexpr std::string_view name = Name.view();  // the fusion's name: --no-fuse-<name>
  using pattern = Pattern;
  using replacement = Replacement;
  static constexpr int benefit = op_count<Pattern>::value;
};

}  // namespace cactus::patterns
