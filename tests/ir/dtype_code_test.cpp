// The IR's dtype codes (ir/dtype_code.hpp): every plain dtype has a code that reads back as
// itself, the codes we cannot compute are refused by the ops that read them, and a cast built
// by a pass with dtype_constant converts as that dtype says.
#include <catch2/catch.hpp>

#include <cactus/cactus.hpp>

using namespace cactus;

TEST_CASE("every plain dtype's code reads back as that dtype") {
  for (dtype t : {dtype::f32, dtype::f16, dtype::i64, dtype::i32, dtype::i8, dtype::u8, dtype::b8}) {
    INFO(name_of(t));
    const auto back = ir::dtype_of_code(static_cast<std::int64_t>(ir::code_of(t)));
    REQUIRE(back.has_value());
    REQUIRE(*back == t);
    REQUIRE(ir::dtype_constant(t).k == ir::kind::int_);
    REQUIRE(ir::dtype_constant(t).i == static_cast<std::int64_t>(ir::code_of(t)));
  }
  // the numbers bundles and IR JSON already hold (c10::ScalarType's)
  REQUIRE(ir::dtype_constant(dtype::f32).i == 6);
  REQUIRE(ir::dtype_constant(dtype::f16).i == 5);
  REQUIRE(ir::dtype_constant(dtype::i64).i == 4);
  REQUIRE(ir::dtype_constant(dtype::b8).i == 11);
  REQUIRE(*ir::dtype_of_code(7) == dtype::f32);  // float64 computes as f32
  for (std::int64_t code : {-1, 2, 8, 9, 10, 12, 15, 99}) REQUIRE_FALSE(ir::dtype_of_code(code).has_value());
}

namespace {
// y = cast(x, code) for a constant x = [-1.5, 0, 2.75], folded by the interpreter
ops::interpreter folded_cast(ir::graph& g, std::int64_t code, int& y) {
  tensor c = tensor::empty(dtype::f32, {3});
  const float xs[3] = {-1.5f, 0.0f, 2.75f};
  for (int i = 0; i < 3; ++i) c.ptr<float>()[i] = xs[i];
  const int x = g.add_tensor_constant(c, "x");
  y = g.nodes[static_cast<std::size_t>(g.add_node("cast", {x, g.add_constant(ir::meta::of_int(code))}, {ir::kind::tensor}))].outputs[0];
  g.outputs = {y};
  return ops::interpreter(g);
}
}  // namespace

TEST_CASE("a cast to a dtype constant converts as PyTorch's to(dtype) does") {
  ir::graph g;
  int y = -1;
  ops::interpreter it = folded_cast(g, static_cast<std::int64_t>(ir::code_of(dtype::i64)), y);
  it.infer(0);
  it.fold(0);
  REQUIRE(it.value(y).type == dtype::i64);
  REQUIRE(it.value(y).ptr<std::int64_t>()[0] == -1);  // truncation toward zero
  REQUIRE(it.value(y).ptr<std::int64_t>()[1] == 0);
  REQUIRE(it.value(y).ptr<std::int64_t>()[2] == 2);

  ir::graph gb;
  ops::interpreter ib = folded_cast(gb, static_cast<std::int64_t>(ir::code_of(dtype::b8)), y);
  ib.infer(0);
  ib.fold(0);
  REQUIRE(ib.value(y).type == dtype::b8);
  REQUIRE(ib.value(y).ptr<std::uint8_t>()[0] == 1);
  REQUIRE(ib.value(y).ptr<std::uint8_t>()[1] == 0);

  ir::graph bf;
  ops::interpreter ibf = folded_cast(bf, static_cast<std::int64_t>(ir::dtype_code::bf16), y);
  REQUIRE_THROWS_WITH(ibf.infer(0), Catch::StartsWith("node 0 (cast): ") && Catch::Contains("unsupported dtype code 15"));
}
