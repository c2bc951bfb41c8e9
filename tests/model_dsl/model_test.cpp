// Model graphs written as C++ types (cactus/model_dsl/model.hpp): what the builder makes of them
// (inputs, shared subexpressions, weights, literals, inferred shapes) and that they run and
// fuse like captured graphs. The seed's TextClassifier against PyTorch is
// tests/model_dsl/text_classifier_test.py (examples/text_classifier.cpp).
#include <catch2/catch.hpp>

#include <cactus/cactus.hpp>
#include <cmath>

using namespace cactus;
using namespace cactus::model_dsl;

static_assert(registered_op<"linear">() && registered_op<"rms_norm">() && !registered_op<"linaer">());

namespace {
using x = input<"x">;
using h = op<"relu", op<"linear", x, weight<"fc.weight">, weight<"fc.bias">>>;
using twice = model<op<"add", h, h>>;  // h once, used twice
using two_inputs = model<inputs<input<"b">, input<"a">>, op<"sub", input<"a">, input<"b">, lit<1>>>;
using rms = model<op<"mul", weight<"norm.weight">, op<"mul", x, op<"rsqrt", op<"add", op<"mean", op<"pow", x, lit<2>>, ints<-1>, lit<true>, none>,
                                                                             lit<1e-6>, lit<1>>>>>>;

tensor filled(shape_t s, float scale, float offset) {
  tensor t = tensor::empty(dtype::f32, std::move(s));
  for (std::int64_t i = 0; i < t.numel(); ++i) t.ptr<float>()[i] = offset + scale * std::sin(0.7f * static_cast<float>(i) + 0.3f);
  return t;
}
}  // namespace

TEST_CASE("a model type builds the graph it spells, with weights by name and inferred shapes") {
  std::map<std::string, tensor> w{{"fc.weight", filled({3, 4}, 0.5f, 0.0f)}, {"fc.bias", filled({3}, 0.1f, 0.05f)}};
  std::vector<std::string> asked;
  ir::graph g = twice::build([&](const std::string& n) { asked.push_back(n); return w.at(n); }, {{2, 4}});
  REQUIRE(g.inputs.size() == 1);
  REQUIRE(g.nodes.size() == 3);  // linear, relu, add: the shared relu is built once
  CHECK(g.nodes[0].op == "linear");
  CHECK(g.nodes[2].inputs[0] == g.nodes[2].inputs[1]);
  CHECK(asked == std::vector<std::string>{"fc.weight", "fc.bias"});
  CHECK(g.values[static_cast<std::size_t>(g.outputs[0])].shape == shape_t{2, 3});
  CHECK(g.values[static_cast<std::size_t>(g.nodes[0].inputs[1])].name == "fc.weight");

  // runs, and computes 2 * relu(x W^T + b)
  const tensor xin = filled({2, 4}, 1.0f, 0.2f);
  auto ex = lower::to_executor(g);
  ex->set_input(0, xin);
  const tensor y = ex->execute()[0];
  REQUIRE(y.shape == shape_t{2, 3});
  for (std::int64_t r = 0; r < 2; ++r)
    for (std::int64_t o = 0; o < 3; ++o) {
      double acc = w["fc.bias"].ptr<float>()[o];
      for (std::int64_t k = 0; k < 4; ++k) acc += static_cast<double>(xin.ptr<float>()[r * 4 + k]) * w["fc.weight"].ptr<float>()[o * 4 + k];
      CHECK(y.ptr<float>()[r * 3 + o] == Approx(2 * std::max(acc, 0.0)).epsilon(1e-5));
    }
}

TEST_CASE("inputs<...> fixes the input order; a missing weight or example shape is an error naming it") {
  ir::graph g = two_inputs::build({}, {{5}, {5}});
  REQUIRE(g.inputs.size() == 2);
  CHECK(g.values[static_cast<std::size_t>(g.inputs[0])].name == "b");
  CHECK(g.values[static_cast<std::size_t>(g.inputs[1])].name == "a");
  auto ex = lower::to_executor(g);
  ex->set_input(0, filled({5}, 1.0f, 0.0f));
  ex->set_input(1, filled({5}, 2.0f, 1.0f));
  const tensor y = ex->execute()[0];
  for (std::int64_t i = 0; i < 5; ++i) CHECK(y.ptr<float>()[i] == Approx(filled({5}, 2.0f, 1.0f).ptr<float>()[i] - filled({5}, 1.0f, 0.0f).ptr<float>()[i]));
  REQUIRE_THROWS_WITH(twice::build([](const std::string& n) -> tensor { fail("no weight ", n); }, {{2, 4}}), Catch::Contains("fc.weight"));
  REQUIRE_THROWS_WITH(twice::build({}, {{2, 4}}), Catch::Contains("fc.weight"));
  REQUIRE_THROWS_WITH(two_inputs::build({}, {{5}}), Catch::Contains("2 inputs, 1 example shapes"));
}

TEST_CASE("a model graph goes through the fusion passes like a captured one") {
  std::map<std::string, tensor> w{{"norm.weight", filled({16}, 0.2f, 1.0f)}};
  ir::graph g = rms::build([&](const std::string& n) { return w.at(n); }, {{3, 16}});
  ir::graph unfused = g;
  const auto report = passes::optimize(g);
  CHECK(report.fused.at("rms_norm") == 1);
  REQUIRE(g.nodes.size() == 1);
  CHECK(g.nodes[0].op == "rms_norm");
  const tensor xin = filled({3, 16}, 1.5f, 0.1f);
  runtime::executor a(unfused), b(g);
  a.set_input(0, xin);
  b.set_input(0, xin);
  const tensor ya = a.execute()[0], yb = b.execute()[0];
  for (std::int64_t i = 0; i < ya.numel(); ++i) CHECK(yb.ptr<float>()[i] == Approx(ya.ptr<float>()[i]).epsilon(1e-5));
}

namespace {
using next_token_lm = model<op<"embedding", weight<"table">, input<"ids", dtype::i64>>>;
}  // namespace

TEST_CASE("greedy generation appends the last position's argmax and re-runs the whole sequence") {
  // logits of id i: a peak at (3i + 1) mod 11, so the continuation of 2 is 7, 0, 1, 4, 2, 7, ...
  const std::int64_t V = 11;
  tensor table = tensor::zeros(dtype::f32, {V, V});
  for (std::int64_t i = 0; i < V; ++i) table.ptr<float>()[i * V + (3 * i + 1) % V] = 1.0f + 0.1f * static_cast<float>(i);
  ir::graph g = next_token_lm::build([&](const std::string&) { return table; }, {{1, 2}});
  runtime::executor ex(g);
  tensor prompt = tensor::empty(dtype::i64, {1, 2});
  prompt.ptr<std::int64_t>()[0] = 5;
  prompt.ptr<std::int64_t>()[1] = 2;
  ex.set_input(0, prompt);
  std::vector<std::vector<std::int64_t>> seen;
  auto r = runtime::llm::generate_greedy(ex, prompt, ex.execute(), 6, [&](const std::vector<std::int64_t>& ids) { seen.push_back(ids); });
  CHECK(r.ids == std::vector<std::int64_t>{7, 0, 1, 4, 2, 7});
  REQUIRE(seen.size() == 6);
  CHECK(seen[2] == std::vector<std::int64_t>{7, 0, 1});
  // the outputs are those of the run that gave the last id: the prompt and five generated ids
  REQUIRE(r.outputs.size() == 1);
  CHECK(r.outputs[0].shape == shape_t{1, 7, V});
  // not token ids, or no logits: named errors
  tensor f = tensor::zeros(dtype::f32, {1, 2});
  CHECK_THROWS_WITH(runtime::llm::generate_greedy(ex, f, {}, 1), Catch::Contains("int64 [1, N]"));
  CHECK_THROWS_WITH(runtime::llm::generate_greedy(ex, prompt, {}, 1), Catch::Contains("no outputs"));
}
