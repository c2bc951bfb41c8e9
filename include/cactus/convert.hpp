#pragma once
// `cactus convert`: one weight file per tensor plus weights_manifest.json. --bits 32 keeps
// f32; --bits 16 stores tensors of rank >= 2 (matrices, convolution kernels, embeddings) as
// f16 and keeps vectors (biases, norms) f32. Quantized widths arrive with the CQ formats.
#include <filesystem>
#include <iostream>

#include "cactus/quant/manifest.hpp"
#include "cactus/quant/weight_file.hpp"

namespace cactus {

inline std::string weight_file_name(const std::string& name) {
  std::string s;
  for (char c : name) s += (std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-') ? c : '_';
  return s + ".weights";
}

inline quant::weights_manifest convert_tensors(const std::vector<std::pair<std::string, tensor>>& tensors, const std::filesystem::path& out,
                                               int bits, const std::string& source, bool progress = false) {
  check(bits == 32 || bits == 16 || (bits >= 1 && bits <= 4) || bits == 8, "--bits must be 1, 2, 3, 4, 8, 16 or 32, got ", bits);
  if (bits <= 8)
    fail("--bits ", bits, " needs the CQ/int8 weight formats, which this build does not have yet; use --bits 16 or 32");
  namespace fs = std::filesystem;
  fs::create_directories(out);
  quant::weights_manifest m;
  m.source = source;
  std::size_t done = 0;
  for (auto& [name, t] : tensors) {
    tensor st = t;
    if (bits == 16 && t.type == dtype::f32 && t.shape.size() >= 2) {
      st = tensor::empty(dtype::f16, t.shape);
      for (std::int64_t i = 0; i < t.numel(); ++i) st.ptr<std::uint16_t>()[i] = f32_to_f16(t.ptr<float>()[i]);
    }
    const std::string file = weight_file_name(name);
    quant::write_weight_file(out / file, st);
    m.weights.push_back({name, name, file, quant::precision_name(quant::precision_of(st.type)),
                         t.shape.size() >= 2 ? "matrix" : "vector", t.shape, st.bytes()});
    if (progress) std::cerr << "\r  " << ++done << "/" << tensors.size() << " tensors" << std::flush;
  }
  if (progress) std::cerr << "\n";
  write_file_atomic(out / "weights_manifest.json", m.to_json().dump(1));
  return m;
}

}  // namespace cactus
