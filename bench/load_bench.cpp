// Load time and resident memory of a large bundle (no LibTorch in this process).
//
// Builds (once) a bundle of LAYERS linear layers [4096 x 4096] with packed weights, 200+ MB of
// weight files, then measures in a fresh child process, from a warm page cache:
//   - load: load_bundle() until the executor is planned and runnable;
//   - peak RSS after load and one inference, against the weight bytes that inference touched.
// The child runs twice; the first run only warms the page cache.
//
// usage: load_bench DIR [--format cq4|q8|...] [--layers N]
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <random>

#include "cactus/cactus.hpp"

namespace fs = std::filesystem;
using namespace cactus;

static constexpr std::int64_t D = 4096;

static void make_bundle(const fs::path& dir, dtype fmt, int layers) {
  const fs::path wdir = dir / "weights";
  fs::create_directories(wdir);
  quant::weights_manifest m;
  m.source = "load_bench";
  ir::graph g;
  ir::value x;
  x.name = "x";
  x.shape = {1, D};
  g.inputs.push_back(g.add_value(x));
  int cur = g.inputs[0];
  const int none = g.add_constant(ir::meta::none());
  std::mt19937 rng(3);
  std::normal_distribution<float> nd(0.0f, 1.0f / 64);
  tensor w = tensor::empty(dtype::f32, {D, D});
  for (int l = 0; l < layers; ++l) {
    std::fprintf(stderr, "\r  writing layer %d/%d", l + 1, layers);
    for (std::int64_t i = 0; i < w.numel(); ++i) w.ptr<float>()[i] = nd(rng);
    const std::string name = "layers." + std::to_string(l) + ".weight";
    const tensor p = quant::pack(w, fmt, name);
    const std::string file = name + ".weights";
    quant::write_weight_file(wdir / file, p);
    m.weights.push_back({name, name, file, quant::precision_name(quant::precision_of(fmt)), "matrix", {D, D}, p.bytes()});
    ir::value wv;
    wv.name = name;
    wv.type = fmt;
    wv.shape = {D, D};
    wv.weight = name;
    const int wid = g.add_value(wv);
    const int n = g.add_node("linear", {cur, wid, none}, {ir::kind::tensor});
    cur = g.nodes[static_cast<std::size_t>(n)].outputs[0];
    g.values[static_cast<std::size_t>(cur)].shape = {1, D};
    if (l + 1 < layers) {
      const int r = g.add_node("relu", {cur}, {ir::kind::tensor});
      cur = g.nodes[static_cast<std::size_t>(r)].outputs[0];
      g.values[static_cast<std::size_t>(cur)].shape = {1, D};
    }
  }
  std::fprintf(stderr, "\n");
  g.outputs.push_back(cur);
  g.reindex_producers();
  write_file_atomic(wdir / "weights_manifest.json", m.to_json().dump(1));
  bundle::write_options info;
  info.model_id = "load_bench";
  bundle::write(dir / "bundle", g, g, wdir, &m, info);
}

static int child(const fs::path& dir) {
  const auto t0 = std::chrono::steady_clock::now();
  auto b = bundle::load_bundle(dir / "bundle");
  const double load_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  tensor x = tensor::empty(dtype::f32, {1, D});
  for (std::int64_t i = 0; i < D; ++i) x.ptr<float>()[i] = static_cast<float>(i % 7) - 3.0f;
  b.exec->set_input(0, x);
  const auto t1 = std::chrono::steady_clock::now();
  auto out = b.exec->execute();
  const double run_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t1).count();
  std::uint64_t weight_bytes = 0;
  for (auto& e : fs::directory_iterator(dir / "weights"))
    if (e.path().extension() == ".weights") weight_bytes += fs::file_size(e.path());
  const double rss = cactus::peak_rss_mb() * 1048576.0;
  std::printf("load to runnable %.2f ms; first inference %.1f ms (%.2f GB/s); peak RSS %.1f MB for %.1f MB of weights touched: %.3fx; out[0] = %g\n",
              load_ms, run_ms, double(weight_bytes) / (run_ms * 1e6), rss / 1e6, double(weight_bytes) / 1e6, rss / double(weight_bytes),
              out[0].ptr<float>()[0]);
  return 0;
}

int main(int argc, char** argv) {
  if (argc < 2) { std::fprintf(stderr, "usage: load_bench DIR [--format cq4] [--layers N]\n"); return 2; }
  const fs::path dir = argv[1];
  if (argc > 2 && std::string(argv[2]) == "--child") return child(dir);
  dtype fmt = dtype::cq4;
  int layers = 0;
  for (int i = 2; i + 1 < argc; i += 2) {
    if (std::string(argv[i]) == "--format") fmt = dtype_from_name(argv[i + 1]);
    if (std::string(argv[i]) == "--layers") layers = std::atoi(argv[i + 1]);
  }
  try {
    if (!layers) layers = static_cast<int>((std::int64_t{200} * 1000 * 1000 + 8 * 1000 * 1000) / static_cast<std::int64_t>(storage_bytes(fmt, {D, D})) + 1);
    if (!fs::exists(dir / "bundle" / "graph.cactus")) make_bundle(dir, fmt, layers);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "load_bench: %s\n", e.what());
    return 1;
  }
  for (int run = 0; run < 2; ++run) {
    std::fflush(stdout);
    const pid_t pid = fork();
    if (pid == 0) {
      if (run == 0 && !freopen("/dev/null", "w", stdout)) _exit(1);
      execl("/proc/self/exe", argv[0], argv[1], "--child", static_cast<char*>(nullptr));
      _exit(127);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) return 1;
  }
  return 0;
}
