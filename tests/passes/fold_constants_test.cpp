// Constant folding: nodes whose inputs are all known at transpile time become constants with
// the values the runtime would compute; nodes touching graph inputs or bound weights stay, and
// so do results above the size limit.
#include <catch2/catch.hpp>

#include <cactus/cactus.hpp>

using namespace cactus;

namespace {
int tensor_value(ir::graph& g, shape_t s) {
  ir::value v;
  v.shape = std::move(s);
  return g.add_value(std::move(v));
}
}  // namespace

TEST_CASE("fold_constants folds constant subgraphs and keeps the rest") {
  ir::graph g;
  const int x = tensor_value(g, {2, 3});
  g.inputs.push_back(x);
  tensor c = tensor::empty(dtype::f32, {2, 3});
  for (int i = 0; i < 6; ++i) c.ptr<float>()[i] = 0.5f * static_cast<float>(i) - 1.0f;
  const int cv = g.add_tensor_constant(c, "c");
  const int two = g.add_constant(ir::meta::of_float(2.0));
  // ones([2, 3]) * 2 + c  -> constant;  x + that -> stays
  const int ones = g.add_node("ones", {g.add_constant(ir::meta::of_ints({2, 3})), g.add_constant(ir::meta{})}, {ir::kind::tensor});
  const int ones_v = g.nodes[static_cast<std::size_t>(ones)].outputs[0];
  const int scaled = g.nodes[static_cast<std::size_t>(g.add_node("mul", {ones_v, two}, {ir::kind::tensor}))].outputs[0];
  const int k = g.nodes[static_cast<std::size_t>(g.add_node("add", {scaled, cv}, {ir::kind::tensor}))].outputs[0];
  const int width = g.nodes[static_cast<std::size_t>(g.add_node("size", {cv, g.add_constant(ir::meta::of_int(1))}, {ir::kind::int_}))].outputs[0];
  const int y = g.nodes[static_cast<std::size_t>(g.add_node("add", {x, k}, {ir::kind::tensor}))].outputs[0];
  // a weight bound by name has no bytes at transpile time: relu(w) must stay
  ir::value w;
  w.shape = {2, 3};
  w.weight = "w";
  const int wv = g.add_value(w);
  const int rw = g.nodes[static_cast<std::size_t>(g.add_node("relu", {wv}, {ir::kind::tensor}))].outputs[0];
  // too large to inline: ones([1024, 1024]) stays (4 MiB > the 1 MiB default)
  const int big = g.nodes[static_cast<std::size_t>(g.add_node("ones", {g.add_constant(ir::meta::of_ints({1024, 1024})), g.add_constant(ir::meta{})},
                                                              {ir::kind::tensor}))].outputs[0];
  g.outputs = {y, width, rw, big};

  REQUIRE(passes::fold_constants(g) == 4);  // ones, mul, add(scaled, c), size
  REQUIRE(g.nodes.size() == 3);             // add(x, k), relu(w), ones(big)
  REQUIRE(g.nodes[0].op == "add");
  REQUIRE(g.nodes[1].op == "relu");
  REQUIRE(g.nodes[2].op == "ones");
  const ir::value& kv = g.values[static_cast<std::size_t>(k)];
  REQUIRE(kv.data != nullptr);
  REQUIRE(kv.shape == shape_t{2, 3});
  for (int i = 0; i < 6; ++i) REQUIRE(kv.data->ptr<float>()[i] == 2.0f + c.ptr<float>()[i]);
  REQUIRE(g.values[static_cast<std::size_t>(width)].constant->i == 3);
  REQUIRE(g.values[static_cast<std::size_t>(width)].producer == -1);

  // the folded graph computes what the unfolded one does
  passes::dead_code_elimination(g);
  runtime::executor ex(g, [](const std::string&) {
    tensor t = tensor::empty(dtype::f32, {2, 3});
    for (int i = 0; i < 6; ++i) t.ptr<float>()[i] = static_cast<float>(i) - 2.5f;
    return t;
  });
  tensor in = tensor::empty(dtype::f32, {2, 3});
  for (int i = 0; i < 6; ++i) in.ptr<float>()[i] = static_cast<float>(i);
  ex.set_input(0, in);
  auto out = ex.execute();
  for (int i = 0; i < 6; ++i) REQUIRE(out[0].ptr<float>()[i] == static_cast<float>(i) + 2.0f + c.ptr<float>()[i]);
  REQUIRE(out[1].ptr<std::int64_t>()[0] == 3);
  REQUIRE(out[2].ptr<float>()[0] == 0.0f);
  REQUIRE(out[2].ptr<float>()[5] == 2.5f);
  REQUIRE(out[3].shape == shape_t{1024, 1024});
}

TEST_CASE("op counts after each pass, as cactus inspect prints them") {
  ir::graph g;
  const int x = tensor_value(g, {2, 3});
  g.inputs.push_back(x);
  // relu(x) * 1 + 0: canonicalize drops the no-ops, leaving the relu
  const int r = g.nodes[static_cast<std::size_t>(g.add_node("relu", {x}, {ir::kind::tensor}))].outputs[0];
  const int m = g.nodes[static_cast<std::size_t>(g.add_node("mul", {r, g.add_constant(ir::meta::of_float(1.0))}, {ir::kind::tensor}))].outputs[0];
  g.outputs.push_back(m);
  passes::fuse_options fo;
  fo.disabled.insert("rms_norm");
  const auto t = passes::optimize_traced(g, fo);
  REQUIRE(t.stages.size() == 6);
  CHECK(t.stages[0].first == "imported");
  CHECK(t.stages[0].second == std::map<std::string, int>{{"mul", 1}, {"relu", 1}});
  // the passes end with dce (the graph as a bundle stores it); "load" adds the casts loading puts
  // in front of weights, none here
  CHECK(t.stages[t.stages.size() - 2].first == "dce");
  CHECK(t.stages[t.stages.size() - 2].second == passes::op_counts(g));
  CHECK(t.stages.back().first == "load");
  CHECK(t.stages.back().second == passes::op_counts(g));
  const std::string table = passes::op_count_table(t);
  CHECK(table.rfind("op ", 0) == 0);
  CHECK(table.find("imported") != std::string::npos);
  CHECK(table.find("\nrelu ") != std::string::npos);
  CHECK(table.find("\ntotal ") != std::string::npos);
  CHECK(table.find("rms_norm (off)") != std::string::npos);
}

TEST_CASE("static dims follow each op's declared rule: size() of a dim the weights fix becomes a constant") {
  // y = relu(linear(x, w)); size(y, -1) is w's rows whatever x is; size(y, 0) is x's batch
  ir::graph g;
  const int x = tensor_value(g, {2, 4});
  g.inputs.push_back(x);
  tensor w = tensor::zeros(dtype::f32, {3, 4});
  const int wv = g.add_tensor_constant(w, "w");
  const int lin = g.nodes[static_cast<std::size_t>(g.add_node("linear", {x, wv, g.add_constant(ir::meta::none())}, {ir::kind::tensor}))].outputs[0];
  g.values[static_cast<std::size_t>(lin)].shape = {2, 3};
  const int y = g.nodes[static_cast<std::size_t>(g.add_node("relu", {lin}, {ir::kind::tensor}))].outputs[0];
  g.values[static_cast<std::size_t>(y)].shape = {2, 3};
  const int last = g.nodes[static_cast<std::size_t>(g.add_node("size", {y, g.add_constant(ir::meta::of_int(-1))}, {ir::kind::int_}))].outputs[0];
  const int first = g.nodes[static_cast<std::size_t>(g.add_node("size", {y, g.add_constant(ir::meta::of_int(0))}, {ir::kind::int_}))].outputs[0];
  g.outputs = {y, last, first};
  CHECK(ops::op_table()[*ops::find_op("relu")].fixed_dims == ops::dims_rule::same);
  CHECK(ops::op_table()[*ops::find_op("add")].fixed_dims == ops::dims_rule::broadcast);
  CHECK(ops::op_table()[*ops::find_op("squeeze")].fixed_dims == ops::dims_rule::none);
  REQUIRE(passes::fold_static_dims(g) == 1);
  // (the pass removes what it folded away and renumbers the values: read them through the outputs)
  REQUIRE(g.outputs.size() == 3);
  const auto& folded = g.values[static_cast<std::size_t>(g.outputs[1])];
  REQUIRE(folded.constant.has_value());
  CHECK(folded.constant->i == 3);
  CHECK(!g.values[static_cast<std::size_t>(g.outputs[2])].constant.has_value());
}
