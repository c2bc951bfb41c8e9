// runtime/weight_precision.hpp: which stored weights each op reads as they are (f16, packed)
// and which get a cast to f32 when a graph is loaded, decided from the registry's traits, the
// bundle's recorded wishes (--packed-conv, --f32-conv) and the CPU; and the executor applying it.
#include <catch2/catch.hpp>
#include <cmath>
#include <random>

#include <cactus/quant/quantize.hpp>
#include <cactus/runtime/executor.hpp>

using namespace cactus;

namespace {
tensor gaussian(shape_t shape, unsigned seed) {
  tensor t = tensor::empty(dtype::f32, std::move(shape));
  std::mt19937 g(seed);
  std::normal_distribution<float> d;
  for (std::int64_t i = 0; i < t.numel(); ++i) t.ptr<float>()[i] = d(g);
  return t;
}
tensor to_f16(const tensor& t) {
  tensor h = tensor::empty(dtype::f16, t.shape);
  for (std::int64_t i = 0; i < t.numel(); ++i) h.ptr<std::uint16_t>()[i] = f32_to_f16(t.ptr<float>()[i]);
  return h;
}
// a conv kernel [O, C, kh, kw] packed as convert writes it
tensor kernel(std::int64_t O, std::int64_t C, dtype fmt, unsigned seed) {
  tensor w = gaussian({O, C, 3, 3}, seed);
  return fmt == dtype::f16 ? to_f16(w) : quant::pack(w, fmt);
}
int none(ir::graph& g) { return g.add_constant(ir::meta::none()); }
int ints(ir::graph& g, std::vector<std::int64_t> v) { return g.add_constant(ir::meta::of_ints(std::move(v))); }
// conv(x, w) with stride 1, padding 1, dilation 1, groups 1
int conv(ir::graph& g, int x, int w) {
  return g.nodes[static_cast<std::size_t>(g.add_node("conv", {x, w, none(g), ints(g, {1}), ints(g, {1}), ints(g, {1}), g.add_constant(ir::meta::of_int(1))},
                                                     {ir::kind::tensor}))]
      .outputs[0];
}
// the values each node reads after the step: what feeds input k of the first node of `op`
int input_of(const ir::graph& g, const std::string& op, std::size_t k, int nth = 0) {
  for (const auto& n : g.nodes)
    if (n.op == op && nth-- == 0) return n.inputs[k];
  FAIL("no node " << op);
  return -1;
}
bool is_cast_of(const ir::graph& g, int v, int source) {
  const int p = g.values[static_cast<std::size_t>(v)].producer;
  if (p < 0) return false;
  const auto& n = g.nodes[static_cast<std::size_t>(p)];
  return n.op == "cast" && n.inputs[0] == source;
}
}  // namespace

TEST_CASE("loading leaves a weight as stored where its op reads that format, and casts it to f32 elsewhere") {
  // linear reads f16 and packed W; add reads neither; conv reads packed kernels where it pays
  // (>= 64 output channels and >= 256 products per output, on a CPU with the int8 microkernel)
  // or when asked (--packed-conv), and never f16 (it widens them once: compute-bound)
  ir::graph g;
  ir::value xv;
  xv.shape = {2, 256};
  const int x = g.add_value(std::move(xv));
  ir::value iv;
  iv.shape = {1, 32, 6, 6};
  const int img = g.add_value(std::move(iv));
  g.inputs = {x, img};
  const int w16 = g.add_tensor_constant(to_f16(gaussian({16, 256}, 1)), "w16");
  const int wq = g.add_tensor_constant(quant::pack(gaussian({16, 256}, 2), dtype::cq4), "wq");
  const int b16 = g.add_tensor_constant(to_f16(gaussian({2, 16}, 3)), "b16");
  const int big = g.add_tensor_constant(kernel(64, 32, dtype::q8, 4), "big");
  const int small = g.add_tensor_constant(kernel(8, 32, dtype::cq4, 5), "small");
  const int k16 = g.add_tensor_constant(kernel(8, 32, dtype::f16, 6), "k16");
  auto out = [&](int node) { return g.nodes[static_cast<std::size_t>(node)].outputs[0]; };
  const int y1 = out(g.add_node("linear", {x, w16, none(g)}, {ir::kind::tensor}));
  const int y2 = out(g.add_node("linear", {x, wq, none(g)}, {ir::kind::tensor}));
  const int s = out(g.add_node("add", {y1, y2}, {ir::kind::tensor}));
  const int y3 = out(g.add_node("add", {s, b16}, {ir::kind::tensor}));
  const int y4 = out(g.add_node("add", {y3, b16}, {ir::kind::tensor}));  // the same f16 constant again: one cast
  g.outputs = {y4, conv(g, img, big), conv(g, img, small), conv(g, img, k16)};

  struct want {
    runtime::weight_precision asked;
    bool big_packed, small_packed;
  };
  const bool microkernel = kernels::quant_gemm8();
  for (const want w : {want{{}, microkernel, false}, want{{true, false}, true, true}, want{{false, true}, false, false}}) {
    INFO("--packed-conv " << w.asked.packed_conv << ", --f32-conv " << w.asked.f32_conv << "; int8 microkernel on this CPU: " << microkernel);
    ir::graph h = g;
    const std::size_t casts = runtime::plan_weight_precision(h, w.asked);
    CHECK(input_of(h, "linear", 1) == w16);
    CHECK(input_of(h, "linear", 1, 1) == wq);
    CHECK(is_cast_of(h, input_of(h, "add", 1, 1), b16));
    CHECK(input_of(h, "add", 1, 1) == input_of(h, "add", 1, 2));
    CHECK((input_of(h, "conv", 1, 0) == big) == w.big_packed);
    CHECK((input_of(h, "conv", 1, 1) == small) == w.small_packed);
    CHECK(is_cast_of(h, input_of(h, "conv", 1, 2), k16));
    CHECK(casts == 2 + !w.big_packed + !w.small_packed);
    // a graph that holds its casts already (a bundle lowered when transpile put them in) is left as it is
    ir::graph again = h;
    CHECK(runtime::plan_weight_precision(again, w.asked) == 0);
    CHECK(again.nodes.size() == h.nodes.size());
  }
}

TEST_CASE("the executor applies the bundle's precision when it loads a graph, and both forms compute the convolution") {
  // conv on a CQ4 kernel of 64 channels x 288 products: packed (the microkernel where the CPU has
  // it) or dequantized at load (the f32 convolution); the two agree to the int8 activations' error
  ir::graph g;
  ir::value xv;
  xv.shape = {1, 32, 8, 8};
  const int x = g.add_value(std::move(xv));
  g.inputs = {x};
  const int w = g.add_tensor_constant(kernel(64, 32, dtype::cq4, 7), "w");
  g.outputs = {conv(g, x, w)};
  const tensor in = gaussian({1, 32, 8, 8}, 8);
  auto run = [&](const runtime::weight_precision& p, std::string& path) {
    runtime::executor ex(g, {}, p);
    ex.set_input(0, in);
    tensor y = ex.execute()[0];
    for (std::size_t n = 0; n < ex.graph().nodes.size(); ++n)
      if (ex.graph().nodes[n].op == "conv") path = ex.kernel_choice(n);
    return y;
  };
  std::string packed_path, f32_path;
  const tensor a = run({true, false}, packed_path), b = run({false, true}, f32_path);
  INFO("packed: " << packed_path << ", dequantized at load: " << f32_path << " on " << kernels::active_target());
  const std::string isa = kernels::choose_int8_isa() == kernels::int8_isa::none ? "" : std::string("/") + kernels::name_of(kernels::choose_int8_isa());
  CHECK(packed_path == (kernels::quant_gemm8() ? "gemm8" + isa : "dequantized"));
  CHECK(f32_path == "direct");
  double num = 0, den = 0;
  for (std::int64_t i = 0; i < a.numel(); ++i) {
    const double d = double(a.ptr<float>()[i]) - b.ptr<float>()[i];
    num += d * d;
    den += double(b.ptr<float>()[i]) * b.ptr<float>()[i];
  }
  CHECK(std::sqrt(num / den) < 1e-2);
}
