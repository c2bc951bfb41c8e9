#pragma once
// components/manifest.json, typed: what a bundle holds and how it was made. This is its only
// reader and writer. A bundle holds one or more components, each a named graph (graph file,
// bindings, inputs and outputs) in a directory of the bundle; one that runs a model in one call
// has one, "model". The manifest also records the task and family the adapters chose, the pass
// options the graphs were lowered with (so `cactus lower` and `cactus inspect` run the passes
// the same way), the side files beside the graphs (tokenizer, config, chat template) and the
// cactus version that wrote it. A bundle without the file (written before it existed) reads as
// one "model" component with the defaults; fields a newer writer added are optional.
#include <algorithm>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "cactus/core/files.hpp"
#include "cactus/core/json_read.hpp"
#include "cactus/core/shape.hpp"
#include "cactus/version.hpp"

namespace cactus::bundle {

struct io_spec {
  std::string name, dtype;  // dtype by name ("f32", "i64")
  shape_t shape;            // as lowered; dims a graph re-plans may differ at run time
  std::string state = {};   // "" or the session state this input is read from / this output written to
  int capacity_dim = -1;    // state: the dim the session sizes (a KV cache's positions), or -1
};

struct component {
  std::string name = "model";
  std::string directory = ".";  // where its graph and bindings files are; the files they name are relative to the bundle
  std::string graph = "graph.cactus", bindings = "graph_bindings.json";
  std::vector<io_spec> inputs, outputs;
};

struct pass_options {
  std::set<std::string> disabled_fusions;  // transpile's --no-fuse-<name>
  bool packed_conv = false;                // transpile's --packed-conv
  bool f32_conv = false;                   // transpile's --f32-conv
};

struct manifest {
  static constexpr const char* format = "cactus-components";
  static constexpr int current_version = 1;
  int version = current_version;
  std::string model_id = "model", task = "generic", family = "pytorch";
  std::vector<component> components{component{}};
  pass_options passes;
  std::vector<std::string> side_files;  // relative to the bundle
  std::string cactus_version;           // "" when the writer did not record it

  static std::filesystem::path path_in(const std::filesystem::path& bundle_dir) { return bundle_dir / "components" / "manifest.json"; }

  const component* find(std::string_view name) const {
    for (auto& c : components)
      if (c.name == name) return &c;
    return nullptr;
  }

  nlohmann::json to_json() const {
    auto io = [](const std::vector<io_spec>& v) {
      nlohmann::json a = nlohmann::json::array();
      for (auto& s : v) {
        a.push_back({{"name", s.name}, {"dtype", s.dtype}, {"shape", s.shape}});
        if (!s.state.empty()) a.back()["state"] = s.state;
        if (s.capacity_dim >= 0) a.back()["capacity_dim"] = s.capacity_dim;
      }
      return a;
    };
    nlohmann::json order = nlohmann::json::array(), comps = nlohmann::json::array();
    for (auto& c : components) {
      order.push_back(c.name);
      comps.push_back({{"name", c.name}, {"directory", c.directory}, {"graph", c.graph}, {"bindings", c.bindings},
                       {"inputs", io(c.inputs)}, {"outputs", io(c.outputs)}});
    }
    nlohmann::json j = {{"format", format}, {"version", version}, {"model_id", model_id}, {"task", task}, {"family", family},
                        {"component_order", order}, {"components", comps},
                        {"passes", {{"disabled_fusions", passes.disabled_fusions}, {"packed_conv", passes.packed_conv}, {"f32_conv", passes.f32_conv}}},
                        {"side_files", side_files}};
    if (!cactus_version.empty()) j["cactus_version"] = cactus_version;
    return j;
  }

  static manifest from_json(const nlohmann::json& j, const std::string& where) {
    check(j.is_object(), where, ": expected a JSON object");
    manifest m;
    check(json_string(j, "format", where, format) == format, where, ": not a cactus components manifest (\"format\" is not \"", format, "\")");
    m.version = json_integer_or(j, "version", where, current_version);
    check(m.version >= 1 && m.version <= current_version, where, ": manifest version ", m.version, "; this cactus (", cactus::version,
          ") reads versions up to ", current_version, ": a newer cactus wrote this bundle");
    m.model_id = json_string(j, "model_id", where, "model");
    m.task = json_string(j, "task", where, "generic");
    m.family = json_string(j, "family", where, "pytorch");
    m.cactus_version = json_string(j, "cactus_version", where, "");
    auto strings = [&](const nlohmann::json& a, const std::string& what) {
      check(a.is_array(), what, ": expected a list of strings");
      std::vector<std::string> r;
      for (auto& s : a) {
        check(s.is_string(), what, ": expected a list of strings, found ", s.dump().substr(0, 40));
        r.push_back(s.get<std::string>());
      }
      return r;
    };
    if (auto it = j.find("components"); it != j.end()) {
      const std::string cw = where + ": \"components\"";
      check(it->is_array() && !it->empty(), cw, ": expected a non-empty list");
      m.components.clear();
      for (auto& c : *it) {
        check(c.is_object(), cw, ": expected objects");
        component k;
        k.name = json_string(c, "name", cw, "model");
        const std::string kw = cw + " '" + k.name + "'";
        k.directory = json_string(c, "directory", kw, ".");
        k.graph = json_string(c, "graph", kw, "graph.cactus");
        k.bindings = json_string(c, "bindings", kw, "graph_bindings.json");
        for (const auto* f : {&k.directory, &k.graph, &k.bindings}) {
          const std::filesystem::path p(*f);
          check(!p.is_absolute() && std::find(p.begin(), p.end(), "..") == p.end(), kw, ": '", *f, "' leaves the bundle");
        }
        check(m.find(k.name) == nullptr, cw, ": two components are named '", k.name, "'");
        auto io = [&](const char* key) {
          std::vector<io_spec> r;
          const auto a = c.find(key);
          if (a == c.end()) return r;
          const std::string iw = kw + ": \"" + key + "\"";
          check(a->is_array(), iw, ": expected a list");
          for (auto& s : *a) {
            check(s.is_object(), iw, ": expected objects");
            io_spec x;
            x.name = json_string(s, "name", iw, "");
            x.dtype = json_string(s, "dtype", iw, "");
            if (s.contains("shape")) x.shape = json_integers(s["shape"], iw + ": \"shape\"");
            x.state = json_string(s, "state", iw, "");
            x.capacity_dim = json_integer_or(s, "capacity_dim", iw, -1);
            check(x.capacity_dim >= -1 && x.capacity_dim < static_cast<int>(x.shape.size()), iw, ": \"capacity_dim\" ", x.capacity_dim,
                  " is not a dim of its shape");
            r.push_back(std::move(x));
          }
          return r;
        };
        k.inputs = io("inputs");
        k.outputs = io("outputs");
        m.components.push_back(std::move(k));
      }
    }
    if (auto it = j.find("passes"); it != j.end()) {
      const std::string pw = where + ": \"passes\"";
      check(it->is_object(), pw, ": expected an object");
      if (auto d = it->find("disabled_fusions"); d != it->end())
        for (auto& s : strings(*d, pw + ": \"disabled_fusions\"")) m.passes.disabled_fusions.insert(s);
      if (auto p = it->find("packed_conv"); p != it->end()) {
        check(p->is_boolean(), pw, ": \"packed_conv\" must be true or false");
        m.passes.packed_conv = p->get<bool>();
      }
      if (auto p = it->find("f32_conv"); p != it->end()) {
        check(p->is_boolean(), pw, ": \"f32_conv\" must be true or false");
        m.passes.f32_conv = p->get<bool>();
      }
    }
    if (auto it = j.find("side_files"); it != j.end()) m.side_files = strings(*it, where + ": \"side_files\"");
    return m;
  }

  // The manifest of the bundle in bundle_dir; the defaults for a bundle that has none.
  static manifest read(const std::filesystem::path& bundle_dir) {
    const auto p = path_in(bundle_dir);
    if (!path_exists(p)) return {};
    return from_json(read_json(p), p.string());
  }

  void write(const std::filesystem::path& bundle_dir) const {
    std::filesystem::create_directories(bundle_dir / "components");
    write_file_atomic(path_in(bundle_dir), to_json().dump(1));
  }
};

}  // namespace cactus::bundle
