// The bundle layout (include/cactus/bundle/): the typed components manifest, and loading a
// bundle of several named graphs as named executors that share the weight files they bind.
// Damaged bundles through the CLI: tests/cli/bad_input_test.py.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>

#include "cactus/cactus.hpp"

using namespace cactus;
namespace fs = std::filesystem;

static fs::path bundle_tmp(const std::string& name) {
  auto d = fs::temp_directory_path() / ("cactus_bundle_" + std::to_string(::getpid())) / name;
  fs::remove_all(d);
  fs::create_directories(d);
  return d;
}

TEST_CASE("the components manifest round-trips, and a bundle without one reads as one 'model' component") {
  bundle::manifest m;
  m.model_id = "tiny";
  m.task = "causal_lm_logits";
  m.family = "qwen3";
  m.components = {bundle::component{"prefill", "prefill", "graph.cactus", "graph_bindings.json", {{"input_ids", "i64", {1, 8}}}, {{"logits", "f32", {1, 8, 32}}}},
                  bundle::component{"decode", "decode", "graph.cactus", "graph_bindings.json", {}, {}}};
  m.passes.disabled_fusions = {"rope"};
  m.passes.packed_conv = true;
  m.passes.f32_conv = true;
  m.side_files = {"tokenizer.json"};
  m.cactus_version = "9.9.9";
  const auto back = bundle::manifest::from_json(m.to_json(), "m");
  CHECK(back.to_json() == m.to_json());
  REQUIRE(back.components.size() == 2);
  CHECK(back.find("decode")->directory == "decode");
  CHECK(back.components[0].inputs[0].shape == shape_t{1, 8});
  CHECK(back.passes.disabled_fusions == std::set<std::string>{"rope"});
  CHECK(back.passes.f32_conv);
  CHECK(back.find("nope") == nullptr);

  const auto none = bundle::manifest::read(bundle_tmp("no_manifest"));
  REQUIRE(none.components.size() == 1);
  CHECK(none.components[0].name == "model");
  CHECK(none.components[0].graph == "graph.cactus");
  // what the first writer wrote (no side_files, no cactus_version) still reads
  const auto old = bundle::manifest::from_json(nlohmann::json::parse(R"({"format": "cactus-components", "version": 1, "model_id": "m",
      "task": "generic", "family": "pytorch", "component_order": ["model"], "components": [{"name": "model", "directory": ".",
      "graph": "graph.cactus", "bindings": "graph_bindings.json", "inputs": [{"name": "x", "dtype": "f32", "shape": [2, 8]}],
      "outputs": [{"name": "output_0", "dtype": "f32", "shape": [2, 4]}]}], "passes": {"disabled_fusions": [], "packed_conv": false}})"), "old");
  CHECK(old.components[0].inputs[0].name == "x");
  CHECK(old.side_files.empty());
  CHECK_FALSE(old.passes.f32_conv);  // written before --f32-conv: re-lowered with today's default

  auto bad = [&](const char* text) { return bundle::manifest::from_json(nlohmann::json::parse(text), "components/manifest.json"); };
  CHECK_THROWS_WITH(bad(R"({"format": "cactus-components", "version": 7})"), Catch::Contains("version 7") && Catch::Contains("newer cactus"));
  CHECK_THROWS_WITH(bad(R"({"format": "other"})"), Catch::Contains("not a cactus components manifest"));
  CHECK_THROWS_WITH(bad(R"({"components": [{"name": "a", "directory": "../x"}]})"), Catch::Contains("leaves the bundle"));
  CHECK_THROWS_WITH(bad(R"({"components": [{"name": "a"}, {"name": "a"}]})"), Catch::Contains("two components are named 'a'"));
  CHECK_THROWS_WITH(bad(R"({"components": []})"), Catch::Contains("non-empty list"));
  CHECK_THROWS_WITH(bad(R"({"passes": {"packed_conv": "yes"}})"), Catch::Contains("true or false"));
  CHECK_THROWS_WITH(bad(R"({"passes": {"f32_conv": 1}})"), Catch::Contains("\"f32_conv\" must be true or false"));
  CHECK_THROWS_WITH(bad(R"([1])"), Catch::Contains("expected a JSON object"));
}

TEST_CASE("a bundle of several named graphs loads as named executors over one set of weight files") {
  const fs::path dir = bundle_tmp("two_graphs");
  // y = x @ w^T + 1 with w bound by name to a weight file of the bundle
  tensor w = tensor::empty(dtype::f32, {3, 4});
  for (int i = 0; i < 12; ++i) w.ptr<float>()[i] = 0.25f * static_cast<float>(i) - 1.0f;
  quant::write_weight_file(dir / "w.weights", w);
  quant::weights_manifest wm;
  wm.weights.push_back({"w", "w", "w.weights", "f32", "matrix", {3, 4}, w.bytes()});
  ir::graph g;
  ir::value x;
  x.name = "x";
  x.shape = {2, 4};
  const int xi = g.add_value(x);
  g.inputs = {xi};
  ir::value wv;
  wv.name = "w";
  wv.shape = {3, 4};
  wv.weight = "w";
  const int wi = g.add_value(wv);
  const int lin = g.nodes[static_cast<std::size_t>(g.add_node("linear", {xi, wi, g.add_constant(ir::meta::none())}, {ir::kind::tensor}))].outputs[0];
  g.values[static_cast<std::size_t>(lin)].shape = {2, 3};
  g.outputs = {lin};
  g.reindex_producers();
  // a second graph, decode: the same product plus a constant too large to inline (bound_constants/)
  ir::graph g2 = g;
  tensor bias = tensor::empty(dtype::f32, {2, 3});
  for (int i = 0; i < 6; ++i) bias.ptr<float>()[i] = 0.5f * static_cast<float>(i);
  ir::value bv;
  bv.name = "bias";
  bv.shape = {2, 3};
  bv.data = std::make_shared<tensor>(bias);
  const int bi = g2.add_value(bv);
  const int sum = g2.nodes[static_cast<std::size_t>(g2.add_node("add", {lin, bi}, {ir::kind::tensor}))].outputs[0];
  g2.values[static_cast<std::size_t>(sum)].shape = {2, 3};
  g2.outputs = {sum};
  g2.reindex_producers();
  bundle::write_options info;
  info.model_id = "two";
  bundle::write(dir, {bundle::component_graphs{"prefill", g, g, {"x"}, {"y"}}, bundle::component_graphs{"decode", g2, g2}}, dir, &wm, info,
                /*inline_limit=*/16);
  const auto m = bundle::manifest::read(dir);
  REQUIRE(m.cactus_version == cactus::version);
  REQUIRE(m.components.size() == 2);
  CHECK(m.model_id == "two");
  CHECK(m.components[0].name == "prefill");
  CHECK(m.components[0].directory == "components/prefill");
  CHECK(m.components[0].inputs[0].name == "x");
  CHECK(m.components[0].outputs[0].name == "y");
  CHECK(m.components[1].directory == "components/decode");
  CHECK(m.components[1].outputs[0].name == "output_0");
  for (const char* c : {"prefill", "decode"})
    for (const char* f : {"graph.cactus", "graph_bindings.json", "raw_ir.json", "optimized_ir.json"}) CHECK(fs::exists(dir / "components" / c / f));
  CHECK(fs::exists(dir / "components/decode/bound_constants"));
  CHECK_FALSE(fs::exists(dir / "graph.cactus"));  // a bundle of several graphs has none at the top
  // both bind the weight file where convert left it, named from the bundle's root
  for (const char* c : {"prefill", "decode"})
    CHECK(nlohmann::json::parse(read_file_text(dir / "components" / c / "graph_bindings.json"))["bindings"][0]["file"] == "w.weights");

  auto b = bundle::load_bundle(dir);
  REQUIRE(b.executors.size() == 2);
  CHECK(b.exec == &b.executor("prefill"));
  tensor in = tensor::empty(dtype::f32, {2, 4});
  for (int i = 0; i < 8; ++i) in.ptr<float>()[i] = static_cast<float>(i % 3);
  auto& model = b.executor("prefill");
  auto& decode = b.executor("decode");
  model.set_input(0, in);
  decode.set_input(0, in);
  const tensor a = model.execute()[0], c = decode.execute()[0];
  for (int r = 0; r < 2; ++r)
    for (int o = 0; o < 3; ++o) {
      float want = 0;
      for (int k = 0; k < 4; ++k) want += in.ptr<float>()[r * 4 + k] * w.ptr<float>()[o * 4 + k];
      CHECK(a.ptr<float>()[r * 3 + o] == Approx(want));
      CHECK(c.ptr<float>()[r * 3 + o] == Approx(want + bias.ptr<float>()[r * 3 + o]));
    }
  CHECK_THROWS_WITH(b.executor("encoder"), Catch::Contains("no component 'encoder'"));

  // a component whose graph is missing is named
  auto m2 = m;
  m2.components.push_back(bundle::component{"encoder", "encoder", "graph.cactus", "graph_bindings.json", {}, {}});
  m2.write(dir);
  CHECK_THROWS_WITH(bundle::load_bundle(dir), Catch::Contains("encoder/graph.cactus"));
  m.write(dir);

  // the IR files name their constant files from their own directory; re-lowering refuses a
  // bundle of several graphs, and the IR of one of its components, by name
  const ir::graph back = lower::load_ir_json(dir / "components/decode/raw_ir.json");
  REQUIRE(back.values.size() == g2.values.size());
  CHECK(back.values[static_cast<std::size_t>(bi)].data->ptr<float>()[5] == 2.5f);
  CHECK_THROWS_WITH(lower::ir_file_of(dir, "raw_ir.json"), Catch::Contains("in a bundle of 2 graphs"));
  CHECK_THROWS_WITH(lower::ir_file_of(dir / "components/decode", "raw_ir.json"), Catch::Contains("in a bundle of 2 graphs"));

  // names that are not one directory, twice the same name
  using cg = bundle::component_graphs;
  CHECK_THROWS_WITH(bundle::write(dir, {cg{"a/b", g, g}}, dir, &wm, info), Catch::Contains("'a/b' is not a plain directory name"));
  CHECK_THROWS_WITH(bundle::write(dir, {cg{"a", g, g}, cg{"a", g2, g2}}, dir, &wm, info), Catch::Contains("two components are named 'a'"));
  CHECK_THROWS_WITH(bundle::write(dir, {}, dir, &wm, info), Catch::Contains("at least one graph"));
  // lowering one graph over it replaces the components: the bundle is one graph at the top again
  bundle::write(dir, g, g, dir, &wm, info);
  CHECK_FALSE(fs::exists(dir / "components/prefill"));
  CHECK(bundle::load_bundle(dir).executors.size() == 1);
  CHECK(lower::ir_file_of(dir, "raw_ir.json") == dir / "raw_ir.json");
}

TEST_CASE("a session feeds state inputs from its state and stores state outputs back, call after call") {
  const fs::path dir = bundle_tmp("stateful");
  // acc' = x + acc: input 1 and output 0 are the state "acc"
  ir::graph g;
  ir::value v;
  v.shape = {2};
  v.name = "x";
  const int x = g.add_value(v);
  v.name = "acc";
  const int acc = g.add_value(v);
  g.inputs = {x, acc};
  const int y = g.nodes[static_cast<std::size_t>(g.add_node("add", {x, acc}, {ir::kind::tensor}))].outputs[0];
  g.values[static_cast<std::size_t>(y)].shape = {2};
  g.outputs = {y};
  g.reindex_producers();
  bundle::write(dir, {bundle::component_graphs{"model", g, g, {}, {}, {"", "acc"}, {"acc"}}}, {}, nullptr, bundle::write_options{});
  const auto m = bundle::manifest::read(dir);
  CHECK(m.components[0].inputs[1].state == "acc");
  CHECK(m.components[0].outputs[0].state == "acc");

  runtime::session s(dir);
  tensor in = tensor::empty(dtype::f32, {2});
  in.ptr<float>()[0] = 1.5f;
  in.ptr<float>()[1] = -2.0f;
  CHECK_THROWS_WITH(s.run("model", {in}), Catch::Contains("'acc', which has no value yet"));
  s.set_state("acc", tensor::zeros(dtype::f32, {2}));
  for (int call = 1; call <= 3; ++call) {
    auto out = s.run("model", {in});
    REQUIRE(out.size() == 1);
    CHECK(out[0].ptr<float>()[0] == 1.5f * static_cast<float>(call));
    CHECK(s.state("acc")->ptr<float>()[1] == -2.0f * static_cast<float>(call));
  }
  CHECK_THROWS_WITH(s.run("model", {in, in}), Catch::Contains("takes 1 inputs besides its state, 2 were given"));
  CHECK_THROWS_WITH(s.run("decode", {in}), Catch::Contains("no component 'decode'"));
  s.reset();
  CHECK(s.state("acc") == nullptr);
}
