#pragma once
// Stage 3 binding: tensor constants named after a state_dict entry are bound to the converted
// weight file the manifest lists for that name. The match is by name only, and shapes must
// agree; constants the manifest does not list stay in the graph as data.
#include <map>

#include "cactus/ir/graph.hpp"
#include "cactus/quant/manifest.hpp"
#include "cactus/quant/weight_file.hpp"

namespace cactus::passes {

struct bind_report {
  std::size_t bound = 0, unbound = 0;
};

// `aliases`: parameter names the model shares with another name (tied embeddings: the exporter
// reads them off the module), {alias: the name the checkpoint stores}; an alias binds the file of
// the stored name.
inline bind_report bind_weights(ir::graph& g, const quant::weights_manifest& m, const std::map<std::string, std::string>& aliases = {}) {
  bind_report r;
  for (auto& v : g.values) {
    if (!v.data || v.name.empty()) continue;
    const auto* e = m.find(v.name);
    if (auto a = aliases.find(v.name); !e && a != aliases.end()) e = m.find(a->second);
    if (!e) { ++r.unbound; continue; }
    check(e->shape == v.shape, "weight '", v.name, "': the model uses shape ", to_string(v.shape), " but the converted file ", e->file,
          " has ", to_string(e->shape), "; was it converted from another checkpoint?");
    v.type = quant::dtype_of_precision_name(e->precision);
    v.weight = e->output_name;
    v.data.reset();
    ++r.bound;
  }
  return r;
}

}  // namespace cactus::passes
