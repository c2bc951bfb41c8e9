#pragma once
// A torch.export archive (.pt2, what torch.export.save writes), read without LibTorch or Python:
//   <name>/archive_format                 "pt2"
//   <name>/models/<model>.json            the serialized ExportedProgram (graph, signature,
//                                         tensor metas, symbolic sizes, range constraints)
//   <name>/data/weights/...               parameters and buffers as raw storage bytes, described
//   <name>/data/constants/...             by model_weights_config.json / model_constants_config.json
// Tensors are read from their storage bytes with the sizes, strides and offset of their meta,
// each access checked against the entry; a pickled payload is refused (it would need an
// unpickler that runs code). bf16 and f64 storage is widened/narrowed to f32.
#include <filesystem>
#include <map>
#include <optional>
#include <nlohmann/json.hpp>

#include "cactus/formats/zip_archive.hpp"
#include "cactus/core/json_read.hpp"
#include "cactus/core/tensor.hpp"
#include "cactus/ir/dtype_code.hpp"

namespace cactus::frontends::torch_export {

using json = nlohmann::json;

// The serialized ExportedProgram's schema versions this reader understands (torch 2.13 writes 8.x).
inline constexpr int supported_schema_major = 8;

// torch.export's ScalarType enum (torch/_export/serde/schema.py) -> the IR's dtype codes
// (ir/dtype_code.hpp); nothing if the IR has no code for it.
inline std::optional<ir::dtype_code> ir_dtype_code_of(int export_code) {
  using ir::dtype_code;
  switch (export_code) {
    case 1: return dtype_code::u8;
    case 2: return dtype_code::i8;
    case 3: return dtype_code::i16;
    case 4: return dtype_code::i32;
    case 5: return dtype_code::i64;
    case 6: return dtype_code::f16;
    case 7: return dtype_code::f32;
    case 8: return dtype_code::f64;
    case 9: return dtype_code::complex32;
    case 10: return dtype_code::complex64;
    case 11: return dtype_code::complex128;
    case 12: return dtype_code::b8;
    case 13: return dtype_code::bf16;
    default: return std::nullopt;
  }
}

inline const char* export_dtype_name(int code) {
  static const char* names[] = {"unknown", "uint8", "int8", "int16", "int32", "int64", "float16", "float32", "float64",
                                "complex32", "complex64", "complex128", "bool", "bfloat16"};
  return code >= 0 && code <= 13 ? names[code] : "an unsupported dtype";
}

// Our dtype for a serialized tensor's dtype (activations and weights).
inline dtype dtype_of(int export_code, const std::string& where) {
  switch (export_code) {
    case 1: return dtype::u8;
    case 2: return dtype::i8;
    case 4: return dtype::i32;
    case 5: return dtype::i64;
    case 6: return dtype::f16;
    case 7: case 8: case 13: return dtype::f32;  // f64 and bf16 are computed as f32
    case 12: return dtype::b8;
    default: fail(where, ": tensors of dtype ", export_dtype_name(export_code), " (code ", export_code, ") are not supported");
  }
}

// One size or stride of a tensor meta: a number, or a symbol with its example value (hint).
struct sym_dim {
  std::int64_t value = 0;  // the number, or the hint
  std::string symbol;      // "s23" for a plain symbol, the expression text otherwise
  bool is_symbol() const { return !symbol.empty(); }
};

// "Symbol('s23', positive=True, integer=True)" or "s23" -> "s23"; other expressions stay as they are.
inline std::string symbol_name(const std::string& expr) {
  const std::string pre = "Symbol('";
  if (expr.rfind(pre, 0) == 0) {
    auto end = expr.find('\'', pre.size());
    if (end != std::string::npos) return expr.substr(pre.size(), end - pre.size());
  }
  return expr;
}

inline sym_dim read_sym_int(const json& j, const std::string& where) {
  if (j.contains("as_int")) return {json_integer(j["as_int"], where), {}};
  if (j.contains("as_expr")) {
    const json& e = j["as_expr"];
    sym_dim d;
    d.symbol = symbol_name(e.at("expr_str").get<std::string>());
    if (e.contains("hint") && e["hint"].is_object() && e["hint"].contains("as_int")) d.value = json_integer(e["hint"]["as_int"], where);
    return d;
  }
  fail(where, ": unexpected size entry ", j.dump());
}

struct tensor_meta {
  int export_dtype = 0;
  std::vector<sym_dim> sizes, strides;
  std::int64_t storage_offset = 0;
};

inline tensor_meta read_tensor_meta(const json& j, const std::string& where) {
  tensor_meta m;
  m.export_dtype = json_integer<int>(j.at("dtype"), where + ": dtype");
  for (auto& s : j.at("sizes")) m.sizes.push_back(read_sym_int(s, where));
  if (j.contains("strides"))
    for (auto& s : j["strides"]) m.strides.push_back(read_sym_int(s, where));
  if (j.contains("storage_offset")) m.storage_offset = read_sym_int(j["storage_offset"], where).value;
  return m;
}

class archive {
 public:
  explicit archive(const std::filesystem::path& path) : path_(path.string()) {
    check(std::filesystem::exists(path), path_, ": no such file");
    auto f = mapped_file::open(path_);
    check(formats::looks_like_zip(*f), path_, ": not a torch.export archive (not a zip file); write one with torch.export.save(ep, path)");
    zip_ = std::make_unique<formats::zip_archive>(f);
    auto fmt = text("archive_format");
    check(!fmt.empty(), path_, ": not a torch.export archive (no archive_format entry)", zip_->has_suffix("constants.pkl") ? "; this is a TorchScript archive" : "");
    check(fmt == "pt2", path_, ": archive_format is '", fmt, "', expected 'pt2'");
    std::string model_entry;
    for (auto& n : zip_->names()) {
      auto pos = n.find("/models/");
      if (pos != std::string::npos && n.size() > 5 && n.compare(n.size() - 5, 5, ".json") == 0) {
        check(model_entry.empty(), path_, ": holds several models (", model_entry, ", ", n, "); cactus reads one");
        model_entry = n;
      }
    }
    check(!model_entry.empty(), path_, ": no models/<name>.json in the archive (truncated or not written by torch.export.save?)");
    program_ = parse(model_entry);
    check(program_.is_object() && program_.contains("graph_module") && program_.contains("schema_version"), path_, ": ", model_entry,
          " is not a serialized ExportedProgram");
    const auto& v = program_["schema_version"];
    major_ = json_integer_or(v, "major", path_ + ": schema_version", -1);
    minor_ = json_integer_or(v, "minor", path_ + ": schema_version", -1);
    check(major_ == supported_schema_major, path_, ": ExportedProgram schema version ", major_, ".", minor_, " is not supported (this build reads ",
          supported_schema_major, ".x, written by torch 2.13)");
    for (const char* cfg : {"data/weights/model_weights_config.json", "data/constants/model_constants_config.json"}) {
      if (!zip_->has_suffix(cfg)) continue;
      json c = parse_suffix(cfg);
      if (c.contains("config"))
        for (auto& [name, e] : c["config"].items()) {
          std::string dir = std::string(cfg).substr(0, std::string(cfg).rfind('/') + 1);
          stored_[name] = {dir + e.at("path_name").get<std::string>(), e.value("use_pickle", false), e.at("tensor_meta")};
        }
    }
  }

  const std::string& path() const { return path_; }
  const json& program() const { return program_; }
  std::string version() const { return std::to_string(major_) + "." + std::to_string(minor_); }

  bool has_tensor(const std::string& name) const { return stored_.count(name) != 0; }
  std::vector<std::string> tensor_names() const {
    std::vector<std::string> r;
    for (auto& [n, e] : stored_) r.push_back(n);
    return r;
  }

  const json& meta_of(const std::string& name) const {
    auto it = stored_.find(name);
    check(it != stored_.end(), path_, ": the archive stores no tensor '", name, "'");
    return it->second.meta;
  }

  // A stored parameter, buffer or constant by its state_dict (or constant) name.
  tensor load_tensor(const std::string& name) const {
    auto it = stored_.find(name);
    check(it != stored_.end(), path_, ": the archive stores no tensor '", name, "'");
    const stored& s = it->second;
    const std::string where = path_ + ": tensor '" + name + "'";
    check(!s.use_pickle, where, " is pickled; cactus reads raw tensor storage only (export it as a plain tensor)");
    const tensor_meta m = read_tensor_meta(s.meta, where);
    auto [data, bytes] = zip_->find_suffix(s.entry);
    check(data != nullptr, where, ": its storage entry ", s.entry, " is missing from the archive");
    const int ec = m.export_dtype;
    const std::size_t esize = ec == 5 || ec == 8 ? 8 : ec == 4 || ec == 7 ? 4 : ec == 6 || ec == 13 || ec == 3 ? 2 : 1;
    const dtype type = dtype_of(ec, where);
    shape_t shape;
    for (auto& d : m.sizes) {
      check(!d.is_symbol() && d.value >= 0, where, ": size ", d.symbol.empty() ? std::to_string(d.value) : d.symbol, " is not a fixed non-negative number");
      shape.push_back(d.value);
    }
    std::vector<std::int64_t> strides;
    for (auto& d : m.strides) strides.push_back(d.value);
    if (strides.empty()) {
      strides.resize(shape.size());
      std::int64_t acc = 1;
      for (std::size_t i = shape.size(); i-- > 0;) { strides[i] = acc; acc *= shape[i]; }
    }
    check(strides.size() == shape.size(), where, ": ", strides.size(), " strides for ", shape.size(), " sizes");
    const std::uint64_t need = checked_strided_bytes(shape, strides, m.storage_offset, esize, where);
    check_expansion(shape, esize, bytes, where);
    tensor t = tensor::empty(type, shape);
    if (t.numel() == 0) return t;
    check(need <= bytes, where, ": its storage entry has ", bytes, " bytes, the meta ", to_string(shape), " reaches byte ", need);
    const std::int64_t count = t.numel();
    // gather into a contiguous tensor of our dtype
    std::vector<std::int64_t> idx(shape.size(), 0);
    for (std::int64_t k = 0; k < count; ++k) {
      std::int64_t off = m.storage_offset;
      for (std::size_t d = 0; d < shape.size(); ++d) off += idx[d] * strides[d];
      const unsigned char* src = data + off * static_cast<std::int64_t>(esize);
      store(t, k, src, ec);
      for (std::size_t d = shape.size(); d-- > 0;) {
        if (++idx[d] < shape[d]) break;
        idx[d] = 0;
      }
    }
    return t;
  }

 private:
  struct stored {
    std::string entry;
    bool use_pickle = false;
    json meta;
  };

  static void store(tensor& t, std::int64_t k, const unsigned char* src, int ec) {
    switch (ec) {
      case 7: std::memcpy(t.ptr<float>() + k, src, 4); break;
      case 8: { double d; std::memcpy(&d, src, 8); t.ptr<float>()[k] = static_cast<float>(d); break; }
      case 13: { std::uint16_t b; std::memcpy(&b, src, 2); std::uint32_t u = std::uint32_t(b) << 16; float f; std::memcpy(&f, &u, 4); t.ptr<float>()[k] = f; break; }
      case 6: std::memcpy(t.ptr<std::uint16_t>() + k, src, 2); break;
      case 5: std::memcpy(t.ptr<std::int64_t>() + k, src, 8); break;
      case 4: std::memcpy(t.ptr<std::int32_t>() + k, src, 4); break;
      default: std::memcpy(static_cast<unsigned char*>(t.data) + k, src, 1); break;
    }
  }

  std::string text(const std::string& suffix) const {
    auto [p, n] = zip_->find_suffix(suffix);
    return p ? std::string(reinterpret_cast<const char*>(p), n) : std::string{};
  }
  json parse_suffix(const std::string& suffix) const {
    auto [p, n] = zip_->find_suffix(suffix);
    check(p != nullptr, path_, ": entry ", suffix, " is missing");
    return json_parse(std::string_view(reinterpret_cast<const char*>(p), n), path_ + ": " + suffix);
  }
  json parse(const std::string& entry) const {
    for (auto& n : zip_->names())
      if (n == entry) {
        // entries are looked up by suffix; the full name is its own suffix
        return parse_suffix(entry);
      }
    fail(path_, ": entry ", entry, " is missing");
  }

  std::string path_;
  std::unique_ptr<formats::zip_archive> zip_;
  json program_;
  int major_ = -1, minor_ = -1;
  std::map<std::string, stored> stored_;
};

}  // namespace cactus::frontends::torch_export
