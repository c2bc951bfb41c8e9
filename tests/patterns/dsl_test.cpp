// The pattern algebra at compile time, and the rms_norm rule on IR graphs spelled the way
// TorchScript spells them: it fires on every accepted spelling and on none of the near misses.
#include <catch2/catch.hpp>

#include <cactus/cactus.hpp>

using namespace cactus;
using namespace cactus::patterns;

// ---- compile-time algebra ---------------------------------------------------------------------
using X = var<"x">;
using Y = var<"y">;
static_assert(is_pattern<node<"mul", X, node<"rsqrt", Y>>>::value);
static_assert(!is_pattern<int>::value, "an arbitrary type is not a pattern");
static_assert(!is_pattern<node<"mul", X, int>>::value, "a node over a non-pattern is not a pattern");
static_assert(!is_pattern<alt<>>::value, "an empty alternative matches nothing, so it is not a pattern");
static_assert(op_count<node<"mul", X, node<"rsqrt", node<"add", X, lit<1>>>>>::value == 3);
static_assert(op_count<alt<node<"pow", X, lit<2>>, node<"mul", X, node<"neg", X>>>>::value == 1, "alt counts its cheapest spelling");
static_assert(op_count<where<node<"exp", X>, single_use>>::value == 1);
// vars: each once, in order of first appearance; literals and `any` bind nothing
static_assert(vars_of(hana::type_c<node<"mul", X, node<"add", Y, X, any>>>) == hana::tuple_t<X, Y>);
static_assert(vars_of(hana::type_c<node<"mean", X, ints<-1>, lit<true>, none>>) == hana::tuple_t<X>);
static_assert(vars_of(hana::type_c<alt<node<"pow", X, lit<2>>, node<"mul", Y, Y>>>) == hana::tuple_t<X, Y>);
static_assert(rules::rms_norm::benefit == 6, "rms_norm replaces mul, mul, rsqrt, add, mean and pow (or x*x): 6 ops");
static_assert(vars_of(hana::type_c<rules::rms_norm::replacement>) == hana::tuple_t<rules::rms::x, rules::rms::w, rules::rms::eps>);
// op knowledge comes from the registry: which ops exist, and which declare their inputs swappable
static_assert(ops::is_commutative("mul") && ops::is_commutative("add") && ops::is_commutative("maximum") &&
              !ops::is_commutative("sub") && !ops::is_commutative("div") && !ops::is_commutative("matmul") && !ops::is_commutative("mull"));
static_assert(ops::is_registered("mul") && !ops::is_registered("mull"));
static_assert(ops_registered<node<"mul", X, node<"rsqrt", Y>>>::value && !ops_registered<node<"mul", X, node<"rsqrtt", Y>>>::value);
static_assert(!ops_registered<make<"gleu", X>>::value && !ops_registered<alt<node<"exp", X>, where<node<"mull", X, Y>, single_use>>>::value);
static_assert(fixed_string("abc") == fixed_string("abc") && !(fixed_string("abc") == fixed_string("abd")));
// as<> binds the var it names after the ones inside; approx, str and constraints bind nothing
static_assert(vars_of(hana::type_c<as<Y, node<"exp", X>>>) == hana::tuple_t<X, Y>);
static_assert(vars_of(hana::type_c<node<"mul", X, approx<0.5>>>) == hana::tuple_t<X>);
static_assert(is_pattern<node<"gelu", X, str<"tanh">>>::value && is_pattern<where<any, last_dim_of<X>, scalar>>::value);
static_assert(op_count<as<Y, node<"exp", node<"neg", X>>>>::value == 2);
// replacements may compute arguments from bound vars; those vars count as used
static_assert(vars_of(hana::type_c<make<"layer_norm", X, last_dims<X, 1>, none>>) == hana::tuple_t<X>);
// what each rule replaces (its benefit): the smallest spelling it takes
static_assert(rules::layer_norm::benefit == 9, "div, sub, mean, sqrt, add, mean, pow, sub, mean: the bare normalization");
static_assert(rules::gelu_tanh::benefit == 8 && rules::gelu_erf::benefit == 5);
static_assert(rules::rope_rotate_half::benefit == 7 && rules::rope_interleaved::benefit == 8);
static_assert(rules::attention_scaled::benefit == 5 && rules::attention_unscaled::benefit == 4, "matmul, permute, (mul), softmax, matmul");
static_assert(rules::lstm_cell::benefit == 13, "pattern nodes, the chunk's split counted once per piece it feeds (4)");
static_assert(vars_of(hana::type_c<rules::lstm_cell::replacement>) == hana::tuple_t<var<"c_new">, rules::lstm::gates, var<"c">>);
static_assert(rules::gated_mlp_silu::benefit == 5 && rules::conv_bn_relu::benefit == 3 && rules::conv_relu::benefit == 2);

// ---- IR graphs --------------------------------------------------------------------------------
namespace {
struct builder {
  ir::graph g;
  int input(shape_t s) {
    ir::value v;
    v.name = "x";
    v.shape = std::move(s);
    int id = g.add_value(v);
    g.inputs.push_back(id);
    return id;
  }
  int weight(std::int64_t n, float base) {
    tensor t = tensor::empty(dtype::f32, {n});
    for (std::int64_t i = 0; i < n; ++i) t.ptr<float>()[i] = base + 0.01f * static_cast<float>(i);
    return g.add_tensor_constant(t, "norm.weight");
  }
  int op(const std::string& name, std::vector<int> in, shape_t s) {
    int n = g.add_node(name, std::move(in), {ir::kind::tensor});
    int out = g.nodes[static_cast<std::size_t>(n)].outputs[0];
    g.values[static_cast<std::size_t>(out)].shape = std::move(s);
    return out;
  }
  int i(std::int64_t v) { return g.add_constant(ir::meta::of_int(v)); }
  int f(double v) { return g.add_constant(ir::meta::of_float(v)); }
  int ints(std::vector<std::int64_t> v) { return g.add_constant(ir::meta::of_ints(std::move(v))); }
  int none() { return g.add_constant(ir::meta::none()); }
  int yes() { return g.add_constant(ir::meta::of_bool(true)); }
};

struct spelling {
  bool square_as_mul = false, weight_first = true, x_first = true, eps_first = false, keepdim = true, weight_constant = true, same_x = true;
  std::vector<std::int64_t> dims{-1};
  std::int64_t alpha = 1;
};

// y = RMSNorm(x) spelled as TorchScript spells it, then fused; returns how often the rule fired
// and checks that fused and unfused graphs compute the same.
int fuse_and_compare(const spelling& s) {
  builder b;
  const std::int64_t D = 48;
  const int x = b.input({3, D});
  const int x2 = s.same_x ? x : b.op("neg", {b.op("neg", {x}, {3, D})}, {3, D});
  const int sq = s.square_as_mul ? b.op("mul", {x2, x2}, {3, D}) : b.op("pow", {x2, b.i(2)}, {3, D});
  const int mean = b.op("mean", {sq, b.ints(s.dims), s.keepdim ? b.yes() : b.g.add_constant(ir::meta::of_bool(false)), b.none()},
                        s.keepdim ? shape_t{3, 1} : shape_t{3});
  const int eps = b.f(1e-6);
  const int add = b.op("add", s.eps_first ? std::vector<int>{eps, mean, b.i(s.alpha)} : std::vector<int>{mean, eps, b.i(s.alpha)}, {3, 1});
  const int inv = b.op("rsqrt", {add}, {3, 1});
  const int norm = b.op("mul", s.x_first ? std::vector<int>{x, inv} : std::vector<int>{inv, x}, {3, D});
  int w = b.weight(D, 0.5f);
  if (!s.weight_constant) {
    ir::value wv;
    wv.name = "w_in";
    wv.shape = {D};
    w = b.g.add_value(wv);
    b.g.inputs.push_back(w);
  }
  const int y = b.op("mul", s.weight_first ? std::vector<int>{w, norm} : std::vector<int>{norm, w}, {3, D});
  b.g.outputs.push_back(y);
  b.g.reindex_producers();

  ir::graph fused = b.g;
  const int fired = passes::fuse(fused)["rms_norm"];
  passes::dead_code_elimination(fused);
  std::vector<tensor> inputs;
  for (int in : b.g.inputs) {
    tensor t = tensor::empty(dtype::f32, b.g.values[static_cast<std::size_t>(in)].shape);
    for (std::int64_t k = 0; k < t.numel(); ++k) t.ptr<float>()[k] = std::sin(0.37f * static_cast<float>(k)) * 2.0f + 0.1f;
    inputs.push_back(t);
  }
  auto run = [&](const ir::graph& g) {
    runtime::executor ex(g);
    for (std::size_t k = 0; k < inputs.size(); ++k) ex.set_input(k, inputs[k]);
    return ex.execute()[0];
  };
  const tensor a = run(b.g), c = run(fused);
  REQUIRE(a.shape == c.shape);
  for (std::int64_t k = 0; k < a.numel(); ++k) REQUIRE(c.ptr<float>()[k] == Approx(a.ptr<float>()[k]).epsilon(1e-5).margin(1e-6));
  if (fired) {
    REQUIRE(fused.nodes.size() == 1);
    REQUIRE(fused.nodes[0].op == "rms_norm");
  }
  return fired;
}
}  // namespace

TEST_CASE("rms_norm fuses every accepted spelling and computes the same") {
  CHECK(fuse_and_compare({}) == 1);
  spelling s;
  s.square_as_mul = true;
  CHECK(fuse_and_compare(s) == 1);
  s = {};
  s.weight_first = false;
  CHECK(fuse_and_compare(s) == 1);
  s = {};
  s.x_first = false;
  CHECK(fuse_and_compare(s) == 1);
  s = {};
  s.eps_first = true;  // eps + mean: add is commutative when alpha is 1
  CHECK(fuse_and_compare(s) == 1);
}

TEST_CASE("rms_norm near misses do not fuse (and still compute the same)") {
  spelling s;
  s.dims = {0};  // mean over the wrong dim
  CHECK(fuse_and_compare(s) == 0);
  s = {};
  s.dims = {1};  // the last dim spelled positively: equivalent, but not a spelling the rule takes
  CHECK(fuse_and_compare(s) == 0);
  s = {};
  s.weight_constant = false;  // a weight computed at run time
  CHECK(fuse_and_compare(s) == 0);
  s = {};
  s.same_x = false;  // the squared value is not the normalized one
  CHECK(fuse_and_compare(s) == 0);
  s = {};
  s.eps_first = true;
  s.alpha = 2;  // eps + 2 * mean: not commutative, not an RMSNorm
  CHECK(fuse_and_compare(s) == 0);
}

TEST_CASE("matcher: approx, str, as, scalar, last_dim_of, and None for vars another alternative binds") {
  builder b;
  const int x = b.input({2, 8});
  const int half = b.op("mul", {x, b.f(0.50000000001)}, {2, 8});
  const int g = b.op("gelu", {half, b.g.add_constant(ir::meta::of_string("tanh"))}, {2, 8});
  const int e = b.op("exp", {g}, {2, 8});
  b.g.outputs.push_back(e);
  b.g.reindex_producers();
  const std::vector<int> uses = count_uses(b.g);
  const match_context c{b.g, uses};
  {
    auto bind = make_bindings<node<"mul", X, approx<0.5>>>();
    CHECK(match(hana::type_c<node<"mul", X, approx<0.5>>>, c, half, bind));
    CHECK(bind[hana::type_c<X>] == x);
    auto miss = make_bindings<node<"mul", X, approx<0.49>>>();
    CHECK_FALSE(match(hana::type_c<node<"mul", X, approx<0.49>>>, c, half, miss));
  }
  {
    using P = node<"exp", as<Y, node<"gelu", any, str<"tanh">>>>;
    auto bind = make_bindings<P>();
    CHECK(match(hana::type_c<P>, c, e, bind));
    CHECK(bind[hana::type_c<Y>] == g);
    using Q = node<"gelu", any, str<"none">>;
    auto miss = make_bindings<Q>();
    CHECK_FALSE(match(hana::type_c<Q>, c, g, miss));
  }
  {
    const int last = b.i(1), first = b.i(0), minus = b.i(-1);
    auto bind = make_bindings<X>();
    bind[hana::type_c<X>] = x;
    CHECK(constraint_check<last_dim_of<X>>::ok(c, last, bind));
    CHECK(constraint_check<last_dim_of<X>>::ok(c, minus, bind));
    CHECK_FALSE(constraint_check<last_dim_of<X>>::ok(c, first, bind));
    CHECK(constraint_check<scalar>::ok(c, first, bind));
    CHECK_FALSE(constraint_check<scalar>::ok(c, x, bind));
  }
  {
    // layer_norm without weight and bias: its replacement gets None for both
    ir::graph g2 = b.g;
    auto bind = make_bindings<rules::ln::pattern>();
    bind[hana::type_c<rules::ln::x>] = x;
    bind[hana::type_c<rules::ln::eps>] = b.f(1e-5);
    rewrite(hana::type_c<rules::layer_norm::replacement>, g2, 0, bind);
    const auto& n = g2.nodes[0];
    REQUIRE(n.op == "layer_norm");
    CHECK(g2.values[static_cast<std::size_t>(n.inputs[1])].constant->ints == std::vector<std::int64_t>{8});
    CHECK(g2.values[static_cast<std::size_t>(n.inputs[2])].k == ir::kind::none);
    CHECK(g2.values[static_cast<std::size_t>(n.inputs[3])].k == ir::kind::none);
  }
}

TEST_CASE("a rule fires once per match: the largest match first, dead remains skipped") {
  // (x - u) / sqrt(var + eps) * w + b: the affine tail and the bare normalization both match
  // layer_norm; only the outer one may fire
  builder b;
  const int x = b.input({2, 8});
  auto mean = [&](int v) { return b.op("mean", {v, b.ints({-1}), b.yes(), b.none()}, {2, 1}); };
  const int xc = b.op("sub", {x, mean(x), b.i(1)}, {2, 8});
  const int var = mean(b.op("pow", {xc, b.i(2)}, {2, 8}));
  const int norm = b.op("div", {xc, b.op("sqrt", {b.op("add", {var, b.f(1e-5), b.i(1)}, {2, 1})}, {2, 1})}, {2, 8});
  const int y = b.op("add", {b.op("mul", {b.weight(8, 1.0f), norm}, {2, 8}), b.weight(8, 0.0f), b.i(1)}, {2, 8});
  b.g.outputs.push_back(y);
  b.g.reindex_producers();
  ir::graph g = b.g;
  CHECK(apply_rule<rules::layer_norm>(g) == 1);
  passes::dead_code_elimination(g);
  REQUIRE(g.nodes.size() == 1);
  CHECK(g.nodes[0].op == "layer_norm");
}

TEST_CASE("disabled fusions stay unfused; unknown names are an error") {
  builder b;
  const int x = b.input({2, 8});
  const int sq = b.op("pow", {x, b.i(2)}, {2, 8});
  const int mean = b.op("mean", {sq, b.ints({-1}), b.yes(), b.none()}, {2, 1});
  const int inv = b.op("rsqrt", {b.op("add", {mean, b.f(1e-5), b.i(1)}, {2, 1})}, {2, 1});
  b.g.outputs.push_back(b.op("mul", {b.weight(8, 1.0f), b.op("mul", {x, inv}, {2, 8})}, {2, 8}));
  b.g.reindex_producers();
  passes::fuse_options off;
  off.disabled.insert("rms_norm");
  ir::graph g = b.g;
  CHECK(passes::fuse(g, off)["rms_norm"] == 0);
  CHECK(g.nodes.size() == b.g.nodes.size());
  off.disabled.insert("no_such_fusion");
  REQUIRE_THROWS_WITH(passes::fuse(g, off), Catch::Contains("no_such_fusion"));
  REQUIRE(passes::fusion_names() == std::vector<std::string>{"layer_norm", "rms_norm", "gelu", "rope", "attention", "gated_mlp", "conv_module", "lstm_cell"});
  // each fusion has its --help summary, and each summary names a fusion
  const auto fusions = passes::fusion_names();
  for (auto& f : fusions) CHECK(!patterns::fusion_summary(f).empty());
  for (auto& [name, about] : patterns::fusion_summaries) {
    CHECK(std::count(fusions.begin(), fusions.end(), std::string(name)) == 1);
    CHECK(!about.empty());
  }
}
