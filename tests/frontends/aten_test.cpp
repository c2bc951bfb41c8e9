// The ATen dialect of raw IR (frontends/aten/): the spelling table, and canonicalize, which maps
// it to the registry's ops and checks each node against the op it becomes before reading it.
// End to end on captured models: tests/passes/canonical_test.py.
#include <catch2/catch.hpp>

#include <cactus/cactus.hpp>

using namespace cactus;

TEST_CASE("ATen spellings map to registered ops; hand-rewritten spellings are not in the table") {
  REQUIRE(frontends::aten::canonical_name("aten::view") == "reshape");
  REQUIRE(frontends::aten::canonical_name("aten::add_") == "add");
  REQUIRE(frontends::aten::canonical_name("prim::ListConstruct") == "list");
  REQUIRE(!frontends::aten::canonical_name("aten::t"));  // canonicalize rewrites it to permute by hand
  REQUIRE(!frontends::aten::canonical_name("reshape"));  // canonical names are not spellings
  REQUIRE(!frontends::aten::canonical_name("nonsense"));
  for (const auto& [from, to] : frontends::aten::spellings) {
    CHECK(ops::find_op(to).has_value());
    CHECK((from.rfind("aten::", 0) == 0 || from.rfind("prim::", 0) == 0));
  }
  // the registry knows canonical names only
  REQUIRE(ops::find_op("reshape").has_value());
  REQUIRE(!ops::find_op("aten::view").has_value());
}

namespace {
struct relu_graph {
  ir::graph g;
  int in = -1;
  relu_graph(const std::string& op) {
    ir::value x;
    x.shape = {2};
    in = g.add_value(x);
    g.inputs = {in};
    g.add_node(op, {in}, {ir::kind::tensor});
    g.outputs = {g.nodes[0].outputs[0]};
  }
};
}  // namespace

TEST_CASE("canonicalize renames spellings and refuses nodes that do not fit the op they become") {
  relu_graph ok("aten::relu");
  frontends::aten::canonicalize(ok.g);
  REQUIRE(ok.g.nodes.size() == 1);
  CHECK(ok.g.nodes[0].op == "relu");
  REQUIRE_NOTHROW(ir::verify(ok.g, "g"));

  relu_graph extra("aten::add");
  extra.g.nodes[0].inputs = {extra.in, extra.in, extra.in, extra.in};
  REQUIRE_THROWS_WITH(frontends::aten::canonicalize(extra.g), Catch::Contains("aten::add has 4 inputs; add takes 2 to 3"));

  relu_graph no_outputs("aten::slice");
  no_outputs.g.nodes[0].inputs = {no_outputs.in, no_outputs.in, no_outputs.in, no_outputs.in, no_outputs.in};
  no_outputs.g.nodes[0].outputs.clear();
  no_outputs.g.outputs = {no_outputs.in};
  REQUIRE_THROWS_WITH(frontends::aten::canonicalize(no_outputs.g), Catch::Contains("aten::slice has 0 outputs; slice gives 1"));

  relu_graph unknown("aten::erfinv");
  REQUIRE_THROWS_WITH(frontends::aten::canonicalize(unknown.g), Catch::Contains("unsupported op aten::erfinv"));

  relu_graph dropout("aten::dropout");  // a no-op: its output becomes its input
  frontends::aten::canonicalize(dropout.g);
  CHECK(dropout.g.nodes.empty());
  CHECK(dropout.g.outputs == std::vector<int>{dropout.in});
}
