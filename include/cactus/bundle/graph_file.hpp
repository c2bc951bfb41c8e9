#pragma once
// graph.cactus: the lowered graph in a compact little-endian binary.
//   "CACTUSGR" u32 version u32 reserved u64 payload_bytes u64 fnv1a(payload) | payload
// payload: values (kind, dtype, shape, name, meta constant | weight name | inline bytes |
// external file), nodes (op, inputs, outputs, source line), graph inputs and outputs.
// Weights are not embedded: they are bound by name at load (graph_bindings.json).
#include <filesystem>
#include <functional>

#include "cactus/core/byte_io.hpp"
#include "cactus/ir/verify.hpp"
#include "cactus/ir/graph.hpp"

namespace cactus::bundle {

// version 2 added the graph inputs' dim ranges after the outputs; version 1 files still load
inline constexpr std::uint32_t graph_file_version = 2;

enum class tensor_source : std::uint8_t { none = 0, weight = 1, inline_bytes = 2, file = 3 };

// External constants (too big to inline, not a converted weight) are stored by the caller in
// files; `external(id, tensor)` returns the relative path it used, or "" to inline the bytes.
using external_writer = std::function<std::string(int id, const tensor&)>;
using external_reader = std::function<tensor(const std::string& rel)>;

inline std::vector<unsigned char> encode_graph(const ir::graph& g, const external_writer& external) {
  byte_writer w;
  auto write_meta = [&](const ir::meta& m) {
    w.le<std::uint8_t>(static_cast<std::uint8_t>(m.k));
    w.le<std::int64_t>(m.i);
    w.le<double>(m.f);
    w.le<std::uint32_t>(static_cast<std::uint32_t>(m.ints.size()));
    for (auto v : m.ints) w.le<std::int64_t>(v);
    w.le<std::uint32_t>(static_cast<std::uint32_t>(m.floats.size()));
    for (auto v : m.floats) w.le<double>(v);
    w.str(m.s);
  };
  w.le<std::uint32_t>(static_cast<std::uint32_t>(g.values.size()));
  for (std::size_t i = 0; i < g.values.size(); ++i) {
    const ir::value& v = g.values[i];
    w.le<std::uint8_t>(static_cast<std::uint8_t>(v.k));
    w.le<std::uint8_t>(static_cast<std::uint8_t>(v.type));
    w.le<std::uint32_t>(static_cast<std::uint32_t>(v.shape.size()));
    for (auto d : v.shape) w.le<std::int64_t>(d);
    w.str(v.name);
    w.le<std::uint8_t>(v.constant ? 1 : 0);
    if (v.constant) write_meta(*v.constant);
    if (!v.weight.empty()) {
      w.le<std::uint8_t>(static_cast<std::uint8_t>(tensor_source::weight));
      w.str(v.weight);
    } else if (v.data) {
      std::string rel = external ? external(static_cast<int>(i), *v.data) : "";
      if (rel.empty()) {
        w.le<std::uint8_t>(static_cast<std::uint8_t>(tensor_source::inline_bytes));
        w.le<std::uint64_t>(v.data->bytes());
        w.bytes(v.data->data, v.data->bytes());
      } else {
        w.le<std::uint8_t>(static_cast<std::uint8_t>(tensor_source::file));
        w.str(rel);
      }
    } else {
      w.le<std::uint8_t>(static_cast<std::uint8_t>(tensor_source::none));
    }
  }
  w.le<std::uint32_t>(static_cast<std::uint32_t>(g.nodes.size()));
  for (auto& n : g.nodes) {
    w.str(n.op);
    w.le<std::uint32_t>(static_cast<std::uint32_t>(n.inputs.size()));
    for (int x : n.inputs) w.le<std::int32_t>(x);
    w.le<std::uint32_t>(static_cast<std::uint32_t>(n.outputs.size()));
    for (int x : n.outputs) w.le<std::int32_t>(x);
    w.str(n.loc);
  }
  for (auto* list : {&g.inputs, &g.outputs}) {
    w.le<std::uint32_t>(static_cast<std::uint32_t>(list->size()));
    for (int x : *list) w.le<std::int32_t>(x);
  }
  for (int x : g.inputs) {
    const auto& dims = g.values[static_cast<std::size_t>(x)].dims;
    w.le<std::uint32_t>(static_cast<std::uint32_t>(dims.size()));
    for (auto& r : dims) { w.le<std::int64_t>(r.min); w.le<std::int64_t>(r.max); }
  }
  byte_writer file;
  file.bytes("CACTUSGR", 8);
  file.le<std::uint32_t>(graph_file_version);
  file.le<std::uint32_t>(0);
  file.le<std::uint64_t>(w.size());
  file.le<std::uint64_t>(fnv1a64(w.buffer().data(), w.size()));
  file.bytes(w.buffer().data(), w.size());
  return std::move(file.buffer());
}

inline ir::graph decode_graph(const unsigned char* p, std::size_t n, const std::string& what, const external_reader& external) {
  byte_reader h(p, n, what);
  check(n >= 32 && std::memcmp(h.take(8), "CACTUSGR", 8) == 0, what, ": not a cactus graph (bad magic)");
  auto version = h.le<std::uint32_t>();
  check(version == 1 || version == graph_file_version, what, ": graph version ", version, " is not supported (this build reads ", graph_file_version, ")");
  h.le<std::uint32_t>();
  auto size = h.le<std::uint64_t>();
  auto sum = h.le<std::uint64_t>();
  check(size <= h.remaining(), what, ": truncated (payload of ", size, " bytes, file has ", h.remaining(), ")");
  check(fnv1a64(p + h.pos(), size) == sum, what, ": corrupt (checksum mismatch)");
  byte_reader r(p + h.pos(), size, what);
  ir::graph g;
  auto count = [&](const char* of) {
    auto c = r.le<std::uint32_t>();
    check(c <= r.remaining(), what, ": corrupt ", of, " count ", c);
    return c;
  };
  auto read_meta = [&] {
    ir::meta m;
    m.k = static_cast<ir::kind>(r.le<std::uint8_t>());
    m.i = r.le<std::int64_t>();
    m.f = r.le<double>();
    for (auto c = count("list"); c--;) m.ints.push_back(r.le<std::int64_t>());
    for (auto c = count("list"); c--;) m.floats.push_back(r.le<double>());
    m.s = r.str();
    return m;
  };
  const auto nv = count("value");
  for (std::uint32_t i = 0; i < nv; ++i) {
    ir::value v;
    auto k = r.le<std::uint8_t>();
    auto t = r.le<std::uint8_t>();
    check(k <= static_cast<std::uint8_t>(ir::kind::string) && t <= static_cast<std::uint8_t>(dtype::cq4), what, ": corrupt value ", i);
    v.k = static_cast<ir::kind>(k);
    v.type = static_cast<dtype>(t);
    for (auto c = count("shape"); c--;) v.shape.push_back(r.le<std::int64_t>());
    v.name = r.str();
    if (r.le<std::uint8_t>()) v.constant = read_meta();
    switch (static_cast<tensor_source>(r.le<std::uint8_t>())) {
      case tensor_source::none: break;
      case tensor_source::weight: v.weight = r.str(); break;
      case tensor_source::inline_bytes: {
        auto b = r.le<std::uint64_t>();
        // sizes are checked against the file before anything is allocated
        check(b <= r.remaining(), what, ": corrupt inline constant ", i, " (", b, " bytes, ", r.remaining(), " left in the file)");
        checked_numel(v.shape, what + ": inline constant " + std::to_string(i));
        check(b == storage_bytes(v.type, v.shape), what, ": corrupt inline constant ", i, " (", b, " bytes for shape and dtype needing ",
              storage_bytes(v.type, v.shape), ")");
        tensor tt = tensor::empty(v.type, v.shape);
        std::memcpy(tt.data, r.take(b), b);
        v.data = std::make_shared<tensor>(std::move(tt));
        break;
      }
      case tensor_source::file: {
        auto rel = r.str();
        check(bool(external), what, ": value ", i, " needs external constant ", rel);
        v.data = std::make_shared<tensor>(external(rel));
        break;
      }
      default: fail(what, ": corrupt value ", i, " (unknown tensor source)");
    }
    g.values.push_back(std::move(v));
  }
  auto read_ids = [&] {
    std::vector<int> ids;
    for (auto c = count("id list"); c--;) {
      auto x = r.le<std::int32_t>();
      check(x >= 0 && static_cast<std::uint32_t>(x) < nv, what, ": corrupt value reference ", x);
      ids.push_back(x);
    }
    return ids;
  };
  for (auto c = count("node"); c--;) {
    ir::node nd;
    nd.op = r.str();
    nd.inputs = read_ids();
    nd.outputs = read_ids();
    nd.loc = r.str();
    g.nodes.push_back(std::move(nd));
  }
  g.inputs = read_ids();
  g.outputs = read_ids();
  if (version >= 2)
    for (int x : g.inputs) {
      auto& dims = g.values[static_cast<std::size_t>(x)].dims;
      for (auto c = count("dim range"); c--;) {
        ir::dim_range d;
        d.min = r.le<std::int64_t>();
        d.max = r.le<std::int64_t>();
        dims.push_back(d);
      }
    }
  ir::verify(g, what);
  g.reindex_producers();
  return g;
}

}  // namespace cactus::bundle
