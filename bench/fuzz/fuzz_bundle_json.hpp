// A bundle's JSON documents: the first byte picks weights_manifest.json (read by transpile and
// lower) or graph_bindings.json (read by every load; each weight it binds is then mapped and
// its fingerprint checked, beside two valid weight files made once per process), the rest is
// the document.
#pragma once
#include <filesystem>

#include "cactus/quant/manifest.hpp"
#include "cactus/bundle/bindings.hpp"
#include "fuzz_input.hpp"

inline const std::filesystem::path& fuzz_bundle_dir() {
  static const std::filesystem::path dir = [] {
    namespace fs = std::filesystem;
    const fs::path d = cactus_fuzz::scratch_dir() / ("cactus-fuzz-bundle-" + std::to_string(getpid()));
    fs::create_directories(d / "sub");
    cactus::tensor w = cactus::tensor::empty(cactus::dtype::f32, {2});
    w.ptr<float>()[0] = 1.f;
    w.ptr<float>()[1] = 2.f;
    cactus::quant::write_weight_file(d / "w.weights", w);
    cactus::quant::write_weight_file(d / "sub" / "w.weights", w);
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
      const auto b = cactus::bundle::bindings::read(dir);
      for (auto& [name, entry] : b.entries()) b.map(name);
    }
  });
}
