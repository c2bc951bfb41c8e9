#pragma once
// `cactus convert`: one weight file per tensor plus weights_manifest.json.
//
// Precision policy (first rule that applies):
//   1. integer and bool tensors are stored as they are;
//   2. --bits 32: f32; --bits 16: f16 for tensors of rank >= 2, f32 for vectors;
//   3. --bits 1..4 and 8:
//      - tensors named by --keep, vectors (biases, norms) and small tensors (< 256 elements)
//        become f16;
//      - embedding tables (names matching the embedding patterns) become q8;
//      - every other matrix or convolution kernel becomes CQ<bits> (q8 for --bits 8).
// Patterns are comma-separated; one without wildcards names a tensor or a module prefix
// ("lm_head" matches "lm_head.weight"), one with * or ? is matched against the whole name.
// OUT is published as a unit (core/staged_directory.hpp): a failed or killed conversion leaves
// OUT as it was, and a reader sees the old weight set or the new one, never a mix. A graph
// already in OUT stays; its bindings record the fingerprints of the weights it was lowered
// against, so running it on other weights fails by name until it is transpiled again.
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fnmatch.h>
#include <set>
#include <iostream>
#include <sstream>

#include "cactus/core/staged_directory.hpp"
#include "cactus/formats/lazy_tensor.hpp"
#include "cactus/kernels/dispatch.hpp"
#include "cactus/quant/manifest.hpp"
#include "cactus/quant/quantize.hpp"
#include "cactus/quant/weight_file.hpp"

namespace cactus {

struct convert_options {
  int bits = 4;  // the CLI's default too, as in the Python tool
  std::vector<std::string> keep;  // tensors kept at f16 when quantizing
  std::vector<std::string> embeddings = {"*embed*", "*wte*", "*wpe*", "*tok_embeddings*", "*word_embeddings*", "*position_embeddings*"};
  std::int64_t small_numel = 256;
  bool progress = false;  // a live progress line on stderr
  std::string source;     // recorded in the manifest
  std::vector<std::filesystem::path> side_files;  // copied into OUT (config, tokenizer)

  void check() const {
    cactus::check(bits == 32 || bits == 16 || bits == 8 || (bits >= 1 && bits <= 4), "--bits must be 1, 2, 3, 4, 8, 16 or 32, got ", bits);
  }
};

inline std::vector<std::string> split_patterns(const std::string& s) {
  std::vector<std::string> r;
  std::stringstream ss(s);
  for (std::string p; std::getline(ss, p, ',');)
    if (!p.empty()) r.push_back(p);
  return r;
}

inline bool name_matches(const std::string& name, const std::string& pattern) {
  if (pattern.find_first_of("*?[") != std::string::npos) return fnmatch(pattern.c_str(), name.c_str(), 0) == 0;
  return name == pattern || name.rfind(pattern + ".", 0) == 0;
}

inline bool name_matches_any(const std::string& name, const std::vector<std::string>& patterns) {
  for (auto& p : patterns)
    if (name_matches(name, p)) return true;
  return false;
}

inline std::string weight_file_name(const std::string& name) {
  std::string s;
  for (char c : name) s += (std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-') ? c : '_';
  return s + ".weights";
}

// The dtype a tensor is stored as, and the manifest's "kind" for it.
inline std::pair<dtype, const char*> choose_precision(const std::string& name, dtype type, const shape_t& shape, const convert_options& o) {
  const bool matrix = shape.size() >= 2;
  const char* kind = shape.size() >= 3 ? "conv" : matrix ? "matrix" : "vector";
  if (!is_floating(type)) return {type, kind};
  if (o.bits == 32) return {dtype::f32, kind};
  if (o.bits == 16) return {matrix ? dtype::f16 : dtype::f32, kind};
  if (!matrix || numel(shape) < o.small_numel || name_matches_any(name, o.keep)) return {dtype::f16, kind};
  if (name_matches_any(name, o.embeddings)) return {dtype::q8, "embedding"};
  if (o.bits == 8) return {dtype::q8, kind};
  static constexpr dtype cq[] = {dtype::cq1, dtype::cq2, dtype::cq3, dtype::cq4};
  return {cq[o.bits - 1], kind};
}

inline tensor to_precision(const tensor& t, dtype want, const std::string& name) {
  if (t.type == want) return t;
  const tensor f = t.type == dtype::f32 ? t : t.to_f32();
  if (want == dtype::f32) return f;
  if (want == dtype::f16) {
    tensor h = tensor::empty(dtype::f16, t.shape);
    kernels::f32_to_f16_span(f.ptr<float>(), h.ptr<std::uint16_t>(), static_cast<std::size_t>(t.numel()));
    return h;
  }
  return quant::pack(f, want, name);
}

// "1.2 GB", "340 MB", "12 KB"
inline std::string human_bytes(double b) {
  char buf[32];
  if (b >= 1e9) std::snprintf(buf, sizeof buf, "%.2f GB", b / 1e9);
  else if (b >= 1e6) std::snprintf(buf, sizeof buf, "%.1f MB", b / 1e6);
  else std::snprintf(buf, sizeof buf, "%.0f KB", b / 1e3);
  return buf;
}

// The files convert writes into a bundle directory (what it replaces when converting again).
inline bool convert_owns(const std::filesystem::path& rel, const convert_options& o) {
  if (!rel.parent_path().empty()) return false;
  if (rel == "weights_manifest.json" || rel.extension() == ".weights") return true;
  for (auto& f : o.side_files)
    if (rel == f.filename()) return true;
  return false;
}

// Writes the weight files and weights_manifest.json into dir (a stage: nothing is published).
inline quant::weights_manifest convert_into(const std::vector<formats::lazy_tensor>& tensors, const std::filesystem::path& dir,
                                            const convert_options& o) {
  namespace fs = std::filesystem;
  o.check();
  // no tensors (a model without parameters): the manifest is empty and transpile binds nothing
  quant::weights_manifest m;
  m.source = o.source;
  std::uint64_t total = 0, done_bytes = 0;
  for (auto& t : tensors) total += t.bytes;
  const auto t0 = std::chrono::steady_clock::now();
  auto last = t0 - std::chrono::seconds(1);
  struct end_line { bool on; ~end_line() { if (on) std::fprintf(stderr, "\n"); } } newline{o.progress};
  std::set<std::string> files;
  for (std::size_t i = 0; i < tensors.size(); ++i) {
    const auto& src = tensors[i];
    const tensor t = src.load();
    const auto [want, kind] = choose_precision(src.name, t.type, t.shape, o);
    check(t.shape.size() <= 4, src.name, ": rank ", t.shape.size(), " tensors cannot be stored (at most 4 dims)");
    const tensor st = to_precision(t, want, src.name);
    std::string file = weight_file_name(src.name);
    check(files.insert(file).second, "two tensors map to the same file name ", file, " (", src.name, ")");
    const std::uint64_t fp = quant::write_weight_file(dir / file, st);
    quant::manifest_entry e{src.name, src.name, file, quant::precision_name(quant::precision_of(st.type)), kind, t.shape, st.bytes()};
    e.fingerprint = quant::fingerprint_text(fp);
    if (is_packed(st.type)) {
      const packed_layout l = packed_layout_of(st.type, st.shape);
      e.bits = l.bits;
      e.group_size = packed_group;
      e.padded_k = l.kp;
    } else {
      e.bits = static_cast<int>(size_of(st.type) * 8);
    }
    m.weights.push_back(std::move(e));
    done_bytes += src.bytes;
    const auto now = std::chrono::steady_clock::now();
    if (o.progress && (now - last > std::chrono::milliseconds(100) || i + 1 == tensors.size())) {
      last = now;
      const double secs = std::chrono::duration<double>(now - t0).count();
      const double eta = done_bytes ? secs * double(total - done_bytes) / double(done_bytes) : 0;
      std::fprintf(stderr, "\r  [%zu/%zu tensors] %s / %s  %.0f s elapsed, ETA %.0f s   ", i + 1, tensors.size(), human_bytes(double(done_bytes)).c_str(),
                   human_bytes(double(total)).c_str(), secs, eta);
      std::fflush(stderr);
    }
  }
  write_file_atomic(dir / "weights_manifest.json", m.to_json().dump(1));
  for (auto& f : o.side_files) {
    check(fs::is_regular_file(f), f.string(), ": not found");
    fs::copy_file(f, dir / f.filename(), fs::copy_options::overwrite_existing);
  }
  return m;
}

inline quant::weights_manifest convert_checkpoint(const std::vector<formats::lazy_tensor>& tensors, const std::filesystem::path& out,
                                                  const convert_options& o) {
  o.check();
  staged_directory stage(out, [&](const std::filesystem::path& rel) { return convert_owns(rel, o); });
  auto m = convert_into(tensors, stage.path(), o);
  stage.publish();
  return m;
}

inline quant::weights_manifest convert_tensors(const std::vector<std::pair<std::string, tensor>>& tensors, const std::filesystem::path& out,
                                               int bits, const std::string& source, bool progress = false) {
  convert_options o;
  o.bits = bits;
  o.source = source;
  o.progress = progress;
  return convert_checkpoint(formats::as_lazy(tensors), out, o);
}

}  // namespace cactus
