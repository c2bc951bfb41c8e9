#pragma once
// weights_manifest.json: what `cactus convert` wrote, one entry per tensor, looked up by name.
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>

#include "cactus/core/files.hpp"
#include "cactus/core/json_read.hpp"
#include "cactus/core/shape.hpp"

namespace cactus::quant {

struct manifest_entry {
  std::string source_name, output_name, file, precision, kind;
  shape_t shape;
  std::uint64_t bytes = 0;
  int bits = 32;                 // bits per stored weight code (32/16 for floats)
  std::int64_t group_size = 0;   // packed formats: weights per scale (128)
  std::int64_t padded_k = 0;     // packed formats: row length after zero padding to the group
  std::string fingerprint = {};  // the weight file's content fingerprint (quant/weight_file.hpp)
};

struct weights_manifest {
  std::string source;
  std::vector<manifest_entry> weights;

  const manifest_entry* find(const std::string& source_name) const {
    for (auto& w : weights)
      if (w.source_name == source_name) return &w;
    return nullptr;
  }

  nlohmann::json to_json() const {
    nlohmann::json ws = nlohmann::json::array();
    for (auto& w : weights)
    {
      nlohmann::json e = {{"source_name", w.source_name}, {"output_name", w.output_name}, {"file", w.file}, {"shape", w.shape},
                          {"precision", w.precision}, {"bits", w.bits}, {"kind", w.kind}, {"bytes", w.bytes}};
      if (!w.fingerprint.empty()) e["fingerprint"] = w.fingerprint;
      if (w.group_size) {
        e["group_size"] = w.group_size;
        e["padded_k"] = w.padded_k;
      }
      ws.push_back(std::move(e));
    }
    return {{"format", "cactus-weights"}, {"version", 2}, {"source", source}, {"weights", ws}};
  }

  static weights_manifest load(const std::filesystem::path& dir) {
    auto p = dir / "weights_manifest.json";
    check(path_exists(p), p.string(), ": not found; is ", dir.string(), " a directory written by `cactus convert`?");
    const nlohmann::json j = json_parse(read_file_text(p), p.string());
    const std::string where = p.string();
    check(j.is_object(), where, ": expected a JSON object, got ", j.type_name());
    weights_manifest m;
    m.source = json_string(j, "source", where, "");
    const auto ws = j.find("weights");
    check(ws != j.end() && ws->is_array(), where, ": expected a \"weights\" list");
    for (std::size_t i = 0; i < ws->size(); ++i) {
      const auto& w = (*ws)[i];
      const std::string at = where + ": weights[" + std::to_string(i) + "]";
      check(w.is_object(), at, ": expected an object, got ", w.type_name());
      m.weights.push_back({json_string(w, "source_name", at), json_string(w, "output_name", at), json_string(w, "file", at),
                           json_string(w, "precision", at), json_string(w, "kind", at, ""),
                           json_integers(w.value("shape", nlohmann::json()), at + ": shape"),
                           json_integer<std::uint64_t>(w.value("bytes", nlohmann::json(0)), at + ": bytes"),
                           json_integer<int>(w.value("bits", nlohmann::json(32)), at + ": bits"),
                           json_integer(w.value("group_size", nlohmann::json(0)), at + ": group_size"),
                           json_integer(w.value("padded_k", nlohmann::json(0)), at + ": padded_k"), json_string(w, "fingerprint", at, "")});
    }
    return m;
  }
};

}  // namespace cactus::quant
