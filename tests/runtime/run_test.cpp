// One run of a bundle as `cactus run` makes it (runtime/run.hpp): inputs from .npy files in
// order or by name and from token ids, greedy generation on the session, per-op profiling, and
// errors that name the flag. Prompts through a tokenizer: tests/cli/prompt_test.py.
#include <catch2/catch.hpp>

#include <filesystem>

#include "cactus/cactus.hpp"

using namespace cactus;
namespace fs = std::filesystem;

static fs::path run_tmp(const std::string& name) {
  auto d = fs::temp_directory_path() / ("cactus_run_" + std::to_string(::getpid())) / name;
  fs::remove_all(d);
  fs::create_directories(d);
  return d;
}

TEST_CASE("a run takes token ids and generates greedily on the session") {
  // logits = embedding(table, ids) with table[i] one-hot at (i + 1) % V: the next token is last + 1
  const std::int64_t V = 5;
  ir::graph g;
  ir::value v;
  v.type = dtype::i64;
  v.shape = {1, 3};
  v.name = "input_ids";
  const int ids = g.add_value(v);
  g.inputs = {ids};
  tensor table = tensor::zeros(dtype::f32, {V, V});
  for (std::int64_t i = 0; i < V; ++i) table.ptr<float>()[i * V + (i + 1) % V] = 1.0f;
  const int t = g.add_tensor_constant(table, "table");
  const int logits = g.nodes[static_cast<std::size_t>(g.add_node("embedding", {t, ids}, {ir::kind::tensor}))].outputs[0];
  g.values[static_cast<std::size_t>(logits)].shape = {1, 3, V};
  g.outputs = {logits};
  g.reindex_producers();
  const fs::path dir = run_tmp("lm");
  bundle::write(dir, g, g, {}, nullptr, bundle::write_options{});

  runtime::session s(dir);
  runtime::run_request r;
  r.input_ids = "1,2,3";
  r.max_new_tokens = 4;
  const auto res = runtime::run(s, r);
  CHECK(res.generated == std::vector<std::int64_t>{4, 0, 1, 2});
  REQUIRE(res.outputs.size() == 1);
  CHECK(res.outputs[0].shape == shape_t{1, 6, V});  // the run that gave the last id: 3 + 3 tokens
  CHECK_FALSE(res.generated_text.has_value());       // no tokenizer in this bundle
  REQUIRE(res.inputs.size() == 1);
  CHECK(res.inputs[0].shape == shape_t{1, 3});

  const auto p = runtime::profile_runs(s.component("model"), res.inputs, 3);
  CHECK(p.runs == 3);
  REQUIRE(p.rows.size() == 1);
  CHECK(p.rows[0].op == "embedding");
  CHECK(p.rows[0].calls_per_run == 1);

  runtime::run_request bad = r;
  bad.input_ids = "1,x";
  CHECK_THROWS_WITH(runtime::run(s, bad), Catch::Contains("--input-ids"));
  bad = runtime::run_request{};
  bad.raw_prompt = "hi";
  CHECK_THROWS_WITH(runtime::run(s, bad), Catch::Contains("no tokenizer.json in the bundle for --raw-prompt"));
  bad = runtime::run_request{};
  bad.system = "be brief";
  CHECK_THROWS_WITH(runtime::run(s, bad), Catch::Contains("--system and --chat-var go with --prompt"));
}

TEST_CASE("a run takes .npy inputs in order or by name, and says which input is missing") {
  // y = x - z, inputs named "x" and "z"
  ir::graph g;
  ir::value v;
  v.shape = {2};
  v.name = "x";
  const int x = g.add_value(v);
  v.name = "z";
  const int z = g.add_value(v);
  g.inputs = {x, z};
  const int y = g.nodes[static_cast<std::size_t>(g.add_node("sub", {x, z}, {ir::kind::tensor}))].outputs[0];
  g.values[static_cast<std::size_t>(y)].shape = {2};
  g.outputs = {y};
  g.reindex_producers();
  const fs::path dir = run_tmp("sub");
  bundle::write(dir, g, g, {}, nullptr, bundle::write_options{});
  tensor a = tensor::empty(dtype::f32, {2}), b = tensor::empty(dtype::f32, {2});
  a.ptr<float>()[0] = 5.0f, a.ptr<float>()[1] = 1.0f;
  b.ptr<float>()[0] = 2.0f, b.ptr<float>()[1] = 4.0f;
  npy_save(dir / "a.npy", a);
  npy_save(dir / "b.npy", b);

  runtime::session s(dir);
  runtime::run_request r;
  r.inputs = {"z=" + (dir / "a.npy").string(), (dir / "b.npy").string()};  // z by name, then x in order
  auto res = runtime::run(s, r);
  REQUIRE(res.outputs.size() == 1);
  CHECK(res.outputs[0].ptr<float>()[0] == -3.0f);  // b - a
  CHECK(res.outputs[0].ptr<float>()[1] == 3.0f);

  r.inputs = {(dir / "a.npy").string()};
  CHECK_THROWS_WITH(runtime::run(s, r), Catch::Contains("input 1 ('z') was not given"));
  r.inputs = {"w=" + (dir / "a.npy").string()};
  CHECK_THROWS_WITH(runtime::run(s, r), Catch::Contains("no input named 'w'"));
  r.inputs = {(dir / "a.npy").string(), (dir / "b.npy").string(), (dir / "b.npy").string()};
  CHECK_THROWS_WITH(runtime::run(s, r), Catch::Contains("too many --input files"));
}
