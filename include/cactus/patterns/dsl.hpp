#pragma once
// The pattern language: IR computation shapes written as types. Every node is an empty tag
// type (as in CTRE and Boost.YAP); the matcher (patterns/match.hpp) walks them by overloads.
//
//   node<"mul", A, B>     a value produced by op "mul" whose inputs match A and B (commutative
//                         ops also try B, A; see commutative_ops)
//   var<"x">              binds the value; the same var twice must be the same value
//   any                   matches any input, binds nothing
//   lit<2>, lit<1e-6>     a scalar constant equal to the value (int, float or bool)
//   ints<-1>              an int-list constant equal to {-1}
//   none                  the None constant
//   alt<P, Q...>          the first alternative that matches
//   where<P, C...>        P, and every constraint C holds for the value P matched:
//                         dtype_is<f32>, rank_is<3>, constant, single_use
//
// A rule is rule<Pattern, Replacement>, where the replacement is make<"op", Args...> over the
// pattern's vars and literals. Rules are checked when named: a replacement may only use vars
// the pattern binds (a static_assert says which rule is malformed and why).
#include <algorithm>
#include <boost/hana.hpp>
#include <cstddef>
#include <string_view>
#include <type_traits>

#include "cactus/core/dtype.hpp"

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
template <long long... V>
struct ints {};
struct none {};
template <class... Alts>
struct alt {};
template <class P, class... Constraints>
struct where {};

// ---- constraints -----------------------------------------------------------------------------
template <dtype T>
struct dtype_is {};
template <int R>
struct rank_is {};
struct constant {};
struct single_use {};

// ---- replacements and rules ------------------------------------------------------------------
template <fixed_string Op, class... Args>
struct make {};

// Ops whose first two inputs may be swapped (for add, only when alpha is 1: the matcher checks).
inline constexpr std::string_view commutative_ops[] = {"mul", "add", "maximum", "minimum"};
constexpr bool is_commutative(std::string_view op) {
  for (auto c : commutative_ops)
    if (c == op) return true;
  return false;
}

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
template <long long... V>
struct is_pattern<ints<V...>> : std::true_type {};
template <>
struct is_pattern<none> : std::true_type {};
template <class... A>
struct is_pattern<alt<A...>> : std::bool_constant<sizeof...(A) >= 1 && (is_pattern<A>::value && ...)> {};
template <class P, class... C>
struct is_pattern<where<P, C...>> : is_pattern<P> {};

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
template <class... A>
struct collect_vars<alt<A...>> {
  static constexpr auto get() { return detail::vars_of_all<A...>(); }
};
template <class P, class... C>
struct collect_vars<where<P, C...>> {
  static constexpr auto get() { return collect_vars<P>::get(); }
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
template <class A, class... B>
struct op_count<alt<A, B...>> : std::integral_constant<int, std::min({op_count<A>::value, op_count<B>::value...})> {};

template <class Pattern, class Replacement>
struct rule {
  static_assert(is_pattern<Pattern>::value,
                "cactus::patterns::rule: the first argument must be a pattern built from node, var, any, lit, ints, none, alt and where");
  static_assert(!std::is_same_v<Pattern, any> && op_count<Pattern>::value >= 1, "cactus::patterns::rule: a pattern must match at least one op node");
  static_assert(hana::all_of(vars_of(hana::type_c<Replacement>), [](auto v) { return hana::contains(vars_of(hana::type_c<Pattern>), v); }),
                "cactus::patterns::rule: the replacement uses a var the pattern does not bind");
  using pattern = Pattern;
  using replacement = Replacement;
  static constexpr int benefit = op_count<Pattern>::value;
};

}  // namespace cactus::patterns
