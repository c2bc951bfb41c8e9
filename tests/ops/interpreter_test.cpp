// The graph interpreter (ops/interpreter.hpp): slots start as the IR says, infer and run go
// through the registry with errors that name the node, folding makes outputs constants, and
// the slot pointers survive a move and a reset.
#include <catch2/catch.hpp>

#include <cactus/cactus.hpp>

using namespace cactus;

namespace {
// y = relu(x) * 2 (x an input); z = neg(c) (c a constant): a node to run and one to fold
struct small_graph {
  ir::graph g;
  int x, y, z, relu_out;
  small_graph() {
    ir::value v;
    v.shape = {3};
    x = g.add_value(v);
    g.inputs.push_back(x);
    tensor c = tensor::empty(dtype::f32, {3});
    for (int i = 0; i < 3; ++i) c.ptr<float>()[i] = static_cast<float>(i) - 1.0f;
    const int cv = g.add_tensor_constant(c, "c");
    relu_out = g.nodes[static_cast<std::size_t>(g.add_node("relu", {x}, {ir::kind::tensor}))].outputs[0];
    y = g.nodes[static_cast<std::size_t>(g.add_node("mul", {relu_out, g.add_constant(ir::meta::of_float(2.0))}, {ir::kind::tensor}))].outputs[0];
    z = g.nodes[static_cast<std::size_t>(g.add_node("neg", {cv}, {ir::kind::tensor}))].outputs[0];
    g.outputs = {y, z};
  }
};
}  // namespace

TEST_CASE("the interpreter infers, runs and folds nodes through the registry") {
  small_graph s;
  ops::interpreter it(s.g);
  REQUIRE(it.num_nodes() == 3);
  REQUIRE(it.slots().size() == s.g.values.size());
  REQUIRE_FALSE(it.value(s.x).is_const);
  REQUIRE(it.inputs_constant(2));        // neg(c)
  REQUIRE_FALSE(it.inputs_constant(0));  // relu(x)

  ops::interpreter moved = std::move(it);  // the nodes' slot pointers point into the moved buffer
  ops::slot& in = moved.value(s.x);
  in.shape = {3};
  float xs[3] = {-1.0f, 0.5f, 2.0f};
  in.data = xs;
  for (std::size_t n = 0; n < moved.num_nodes(); ++n) moved.infer(n);
  REQUIRE(moved.value(s.y).shape == shape_t{3});
  REQUIRE(moved.value(s.y).type == dtype::f32);

  moved.fold(2);
  REQUIRE(moved.value(s.z).is_const);
  REQUIRE(moved.value(s.z).ptr<float>()[0] == 1.0f);
  REQUIRE(moved.value(s.z).ptr<float>()[2] == -1.0f);

  float r[3], yv[3];
  moved.value(s.relu_out).data = r;
  moved.value(s.y).data = yv;
  moved.run(0);
  moved.run(1);
  REQUIRE(yv[0] == 0.0f);
  REQUIRE(yv[1] == 1.0f);
  REQUIRE(yv[2] == 4.0f);

  // reset restores the slots in place: pointers stay valid, the folded value is unknown again
  const std::vector<ops::slot> base = ops::interpreter(s.g).slots();
  moved.reset(base);
  REQUIRE_FALSE(moved.value(s.z).is_const);
  moved.infer(2);
  moved.fold(2);
  REQUIRE(moved.value(s.z).ptr<float>()[1] == 0.0f);
}

TEST_CASE("the interpreter's errors name the node") {
  small_graph s;
  ops::interpreter it(s.g);
  it.value(s.x).k = ir::kind::string;  // relu takes a tensor or a number
  REQUIRE_THROWS_WITH(it.infer(0), Catch::StartsWith("node 0 (relu): ") && Catch::Contains("needs a tensor or number"));

  ir::graph bad;
  ir::value v;
  v.shape = {2};
  const int a = bad.add_value(v);
  bad.inputs.push_back(a);
  bad.add_node("no_such_op", {a}, {ir::kind::tensor});
  ops::interpreter ib(bad);
  REQUIRE_FALSE(ib.registered(0));
  REQUIRE_THROWS_WITH(ib.op(0), Catch::Contains("unsupported op 'no_such_op'"));
  REQUIRE_THROWS_WITH(ib.infer(0), Catch::Contains("unsupported op 'no_such_op'"));

  ir::graph dangling;
  const int d = dangling.add_value(v);
  dangling.inputs.push_back(d);
  dangling.add_node("relu", {d + 7}, {ir::kind::tensor});
  REQUIRE_THROWS_WITH(ops::interpreter(dangling), Catch::Contains("node 0 (relu)") && Catch::Contains("refers to value 7"));
}
