#pragma once
// graph_bindings.json: weight name -> file (relative to the bundle) and the fingerprint the
// graph was lowered against. Reading checks the document's shape, and that no file lies
// outside the bundle unless the bundle records external_weights (transpile --external-weights);
// mapping a weight checks its fingerprint, so a graph never runs on weights it was not lowered for.
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <string>

#include "cactus/core/files.hpp"
#include "cactus/core/json_read.hpp"
#include "cactus/quant/weight_file.hpp"

namespace cactus::bundle {

class bindings {
 public:
  // The bindings file `file` of the bundle in `dir` (a component's; a one-graph bundle has
  // graph_bindings.json). The weight files it names are relative to the bundle.
  static bindings read(const std::filesystem::path& dir, const std::string& file = "graph_bindings.json") {
    namespace fs = std::filesystem;
    bindings b;
    b.dir_ = dir;
    const fs::path path = dir / file;
    b.where_ = path.string();
    auto j = read_json(path);
    const std::string& where = b.where_;
    check(j.is_object() && j.contains("bindings") && j["bindings"].is_array(), where, ": no \"bindings\" list");
    const auto ext = j.value("external_weights", nlohmann::json(false));
    check(ext.is_boolean(), where, ": \"external_weights\" must be true or false");
    const fs::path root = resolved_path(dir);
    for (auto& e : j["bindings"]) {
      check(e.is_object() && e.contains("name") && e["name"].is_string() && e.contains("file") && e["file"].is_string(), where,
            ": a binding without a \"name\" and \"file\" string: ", e.dump().substr(0, 80));
      const std::string name = e["name"].get<std::string>(), file = e["file"].get<std::string>();
      const auto fp = e.value("fingerprint", nlohmann::json(""));
      check(fp.is_string(), where, ": binding '", name, "': \"fingerprint\" must be a string");
      if (!ext.get<bool>()) {
        const fs::path rel(file);
        check(!rel.is_absolute() && is_inside(resolved_path(root / rel), root), where, ": binding '", name, "' points outside the bundle (", file,
              "); a bundle that binds weights in place is lowered with `cactus transpile --external-weights`");
      }
      b.entries_[name] = {file, fp.get<std::string>()};
    }
    return b;
  }

  const std::map<std::string, std::pair<std::string, std::string>>& entries() const { return entries_; }

  // Maps the weight bound to name, checking the fingerprint the graph was lowered against.
  tensor map(const std::string& name) const {
    auto it = entries_.find(name);
    check(it != entries_.end(), where_, ": no binding for weight '", name, "'");
    const auto& [rel, want] = it->second;
    std::uint64_t fp = 0;
    const std::filesystem::path file = dir_ / rel;
    tensor t = quant::map_weight_file(file, &fp);
    const std::string have = quant::fingerprint_text(fp);
    check(want.empty() || have == want, file.string(), ": changed since this graph was lowered (fingerprint ", have.empty() ? "none" : have,
          ", the graph was lowered against ", want, "); the weights no longer match this graph: run `cactus transpile` again");
    return t;
  }

 private:
  std::filesystem::path dir_;
  std::string where_;
  std::map<std::string, std::pair<std::string, std::string>> entries_;  // name -> (file, fingerprint)
};

}  // namespace cactus::bundle
