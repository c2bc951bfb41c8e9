// A bundle's JSON documents: the first byte picks weights_manifest.json (read by transpile and
// lower) or graph_bindings.json (read by every load, beside a valid one-weight graph.cactus and
// weight file made once per process), the rest is the document.
#pragma once
#include <filesystem>

#include "cactus/quant/manifest.hpp"
#include "cactus/runtime/bundle.hpp"
#include "fuzz_input.hpp"

inline const std::filesystem::path& fuzz_bundle_dir() {
  static const std::filesystem::path dir = [] {
    namespace fs = std::filesystem;
    const fs::path d = fs::temp_directory_path() / ("cactus-fuzz-bundle-" + std::to_string(getpid()));
    fs::create_directories(d / "sub");
    cactus::tensor w = cactus::tensor::empty(cactus::dtype::f32, {2});
    w.ptr<float>()[0] = 1.f;
    w.ptr<float>()[1] = 2.f;
    cactus::quant::write_weight_file(d / "w.weights", w);
    cactus::quant::write_weight_file(d / "sub" / "w.weights", w);
    cactus::ir::graph g;
    cactus::ir::value x;
    x.shape = {2};
    g.inputs = {g.add_value(x)};
    cactus::ir::value wv;
    wv.shape = {2};
    wv.weight = "w";
    const int wi = g.add_value(wv);
    g.add_node("add", {g.inputs[0], wi}, {cactus::ir::kind::tensor});
    g.outputs = {g.nodes[0].outputs[0]};
    auto bytes = cactus::runtime::encode_graph(g, [](int, const cactus::tensor&) { return std::string(); });
    cactus::write_file_atomic(d / "graph.cactus", bytes.data(), bytes.size());
    return d;
  }();
  return dir;
}

inline int fuzz_bundle_json(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const auto& dir = fuzz_bundle_dir();
  const bool manifest = data[0] & 1;
  cactus::write_file_atomic(dir / (manifest ? "weights_manifest.json" : "graph_bindings.json"), data + 1, size - 1);
  return cactus_fuzz::guarded([&] {
    if (manifest) {
      auto m = cactus::quant::weights_manifest::load(dir);
      (void)m;
    } else {
      auto b = cactus::runtime::load_bundle(dir);
      (void)b;
    }
  });
}
