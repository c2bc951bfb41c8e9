// A bundle's JSON documents: the first byte (mod 3) picks graph_bindings.json (0: read by every
// load; each weight it binds is then mapped and its fingerprint checked, beside two valid
// weight files made once per process), weights_manifest.json (1: read by transpile and lower)
// or components/manifest.json (2: read by every load, relower and inspect; read, then written
// and read back), the rest is the document.
#pragma once
#include <filesystem>

#include "cactus/quant/manifest.hpp"
#include "cactus/bundle/bindings.hpp"
#include "cactus/bundle/manifest.hpp"
#include "fuzz_input.hpp"

inline const std::filesystem::path& fuzz_bundle_dir() {
  static const std::filesystem::path dir = [] {
    namespace fs = std::filesystem;
    const fs::path d = cactus_fuzz::scratch_dir() / ("cactus-fuzz-bundle-" + std::to_string(getpid()));
    fs::create_directories(d / "sub");
    fs::create_directories(d / "components");
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
  const int kind = data[0] % 3;
  cactus::write_file_atomic(dir / (kind == 1 ? "weights_manifest.json" : kind == 2 ? "components/manifest.json" : "graph_bindings.json"), data + 1,
                            size - 1);
  return cactus_fuzz::guarded([&] {
    if (kind == 1) {
      auto m = cactus::quant::weights_manifest::load(dir);
      (void)m;
    } else if (kind == 2) {
      const auto m = cactus::bundle::manifest::read(dir);
      const auto back = cactus::bundle::manifest::from_json(m.to_json(), "round trip");
      if (back.to_json() != m.to_json()) __builtin_trap();  // what the writer writes, the reader reads the same
    } else {
      const auto b = cactus::bundle::bindings::read(dir);
      for (auto& [name, entry] : b.entries()) b.map(name);
    }
  });
}
