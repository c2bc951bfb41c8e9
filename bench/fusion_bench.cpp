// Each fusion's kernel against the unfused op sequence it replaces, same executor, same inputs,
// at LLM-like shapes. The graphs are the ones TorchScript produces (see tests/patterns), fused
// by the fusion pass itself. Prints time per run and unfused / fused.
// usage: fusion_bench [threads]
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "cactus/cactus.hpp"

using namespace cactus;

template <class F>
static double time_ms(F&& f) {
  for (int i = 0; i < 3; ++i) f();
  int iters = 0;
  const auto t0 = std::chrono::steady_clock::now();
  double el = 0;
  do {
    f();
    ++iters;
    el = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  } while (el < 300 || iters < 10);
  return el / iters;
}

// weight * (x * rsqrt(mean(x^2, -1, keepdim) + eps)) as HF Llama writes it
static ir::graph rms_norm_graph(std::int64_t rows, std::int64_t d) {
  ir::graph g;
  ir::value xv;
  xv.name = "x";
  xv.shape = {rows, d};
  const int x = g.add_value(xv);
  g.inputs.push_back(x);
  auto op = [&](const char* name, std::vector<int> in, shape_t s) {
    const int n = g.add_node(name, std::move(in), {ir::kind::tensor});
    const int out = g.nodes[static_cast<std::size_t>(n)].outputs[0];
    g.values[static_cast<std::size_t>(out)].shape = std::move(s);
    return out;
  };
  tensor w = tensor::empty(dtype::f32, {d});
  for (std::int64_t i = 0; i < d; ++i) w.ptr<float>()[i] = 0.5f + 0.001f * static_cast<float>(i);
  const int sq = op("pow", {x, g.add_constant(ir::meta::of_int(2))}, {rows, d});
  const int mean = op("mean", {sq, g.add_constant(ir::meta::of_ints({-1})), g.add_constant(ir::meta::of_bool(true)), g.add_constant(ir::meta::none())},
                      {rows, 1});
  const int add = op("add", {mean, g.add_constant(ir::meta::of_float(1e-6)), g.add_constant(ir::meta::of_int(1))}, {rows, 1});
  const int norm = op("mul", {x, op("rsqrt", {add}, {rows, 1})}, {rows, d});
  g.outputs.push_back(op("mul", {g.add_tensor_constant(w, "norm.weight"), norm}, {rows, d}));
  g.reindex_producers();
  return g;
}

int main(int argc, char** argv) {
  const int threads = argc > 1 ? std::atoi(argv[1]) : 1;
  setenv("CACTUS_NUM_THREADS", std::to_string(threads).c_str(), 1);
  std::printf("threads=%d  kernels=%s\n%-10s %-12s %12s %12s %8s\n", threads, kernels::active_target(), "fusion", "shape", "unfused ms", "fused ms",
              "ratio");
  for (auto [rows, d] : std::vector<std::pair<std::int64_t, std::int64_t>>{{1, 4096}, {64, 4096}, {512, 1024}, {2048, 2048}}) {
    ir::graph unfused = rms_norm_graph(rows, d), fused = unfused;
    const int fired = passes::fuse(fused)["rms_norm"];
    passes::dead_code_elimination(fused);
    if (fired != 1) { std::fprintf(stderr, "rms_norm did not fuse\n"); return 1; }
    tensor x = tensor::empty(dtype::f32, {rows, d});
    for (std::int64_t i = 0; i < x.numel(); ++i) x.ptr<float>()[i] = static_cast<float>(i % 97) * 0.02f - 1.0f;
    runtime::executor a(unfused), b(fused);
    a.set_input(0, x);
    b.set_input(0, x);
    const double ta = time_ms([&] { a.execute(); }), tb = time_ms([&] { b.execute(); });
    const std::string shape = std::to_string(rows) + "x" + std::to_string(d);
    std::printf("%-10s %-12s %12.4f %12.4f %7.2fx\n", "rms_norm", shape.c_str(), ta, tb, ta / tb);
  }
  return 0;
}
