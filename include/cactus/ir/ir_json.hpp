#pragma once
// raw_ir.json / optimized_ir.json: the IR as JSON. Both are reload targets: a graph read back
// re-lowers without LibTorch. Tensor constants are either bound weights (by manifest name),
// small inline base64 blobs, or files next to the JSON, chosen by the caller's encoder.
#include <cmath>
#include <functional>
#include <limits>
#include <nlohmann/json.hpp>

#include "cactus/core/base64.hpp"
#include "cactus/core/json_read.hpp"
#include "cactus/ir/graph.hpp"
#include "cactus/ir/verify.hpp"

namespace cactus::ir {

using json = nlohmann::json;

// JSON has no inf/nan: non-finite doubles are written as the strings "inf", "-inf", "nan".
inline json double_to_json(double d) {
  if (std::isfinite(d)) return d;
  return std::isnan(d) ? "nan" : d > 0 ? "inf" : "-inf";
}

inline double double_from_json(const json& j) {
  if (j.is_number()) return j.get<double>();
  check(j.is_string(), "IR JSON: expected a number, got ", j.dump());
  const auto s = j.get<std::string>();
  if (s == "inf") return std::numeric_limits<double>::infinity();
  if (s == "-inf") return -std::numeric_limits<double>::infinity();
  check(s == "nan", "IR JSON: expected a number, got '", s, "'");
  return std::numeric_limits<double>::quiet_NaN();
}

inline json meta_to_json(const meta& m) {
  json j;
  j["kind"] = kind_name(m.k);
  switch (m.k) {
    case kind::int_: case kind::bool_: j["value"] = m.i; break;
    case kind::float_: j["value"] = double_to_json(m.f); break;
    case kind::ints: j["value"] = m.ints; break;
    case kind::floats:
      j["value"] = json::array();
      for (double d : m.floats) j["value"].push_back(double_to_json(d));
      break;
    case kind::string: j["value"] = m.s; break;
    default: break;
  }
  return j;
}

inline kind kind_from_name(const std::string& s) {
  for (auto k : {kind::tensor, kind::int_, kind::float_, kind::bool_, kind::ints, kind::floats, kind::none, kind::string})
    if (s == kind_name(k)) return k;
  fail("IR JSON: unknown value kind '", s, "'");
}

inline meta meta_from_json(const json& j) {
  meta m;
  m.k = kind_from_name(j.at("kind").get<std::string>());
  switch (m.k) {
    case kind::int_: case kind::bool_: m.i = json_integer(j.at("value"), "IR JSON: a constant"); break;
    case kind::float_: m.f = double_from_json(j.at("value")); break;
    case kind::ints: m.ints = json_integers(j.at("value"), "IR JSON: a constant"); break;
    case kind::floats:
      for (auto& d : j.at("value")) m.floats.push_back(double_from_json(d));
      break;
    case kind::string: m.s = j.at("value").get<std::string>(); break;
    default: break;
  }
  return m;
}

using tensor_encoder = std::function<json(int id, const tensor&)>;
using tensor_decoder = std::function<tensor(const json&)>;

inline json inline_tensor_json(const tensor& t) {
  return json{{"base64", base64_encode(static_cast<const unsigned char*>(t.data), t.bytes())}};
}

inline tensor inline_tensor_from_json(const json& j, dtype type, const shape_t& shape) {
  auto bytes = base64_decode(j.at("base64").get<std::string>());
  tensor t = tensor::empty(type, shape);
  check(bytes.size() == t.bytes(), "IR JSON: inline constant has ", bytes.size(), " bytes, its shape ",
        to_string(shape), " needs ", t.bytes());
  std::memcpy(t.data, bytes.data(), bytes.size());
  return t;
}

inline json to_json(const graph& g, const tensor_encoder& enc = [](int, const tensor& t) { return inline_tensor_json(t); }) {
  json values = json::array();
  for (std::size_t i = 0; i < g.values.size(); ++i) {
    const value& v = g.values[i];
    json j{{"id", i}, {"kind", kind_name(v.k)}};
    if (!v.name.empty()) j["name"] = v.name;
    if (v.is_tensor()) {
      j["dtype"] = std::string(name_of(v.type));
      j["shape"] = v.shape;
      if (!v.dims.empty()) {
        json d = json::array();
        for (auto& r : v.dims) d.push_back({r.min, r.max});
        j["dims"] = std::move(d);
      }
    }
    if (v.constant) j["constant"] = meta_to_json(*v.constant);
    if (!v.weight.empty()) j["weight"] = v.weight;
    else if (v.data) j["data"] = enc(static_cast<int>(i), *v.data);
    values.push_back(std::move(j));
  }
  json nodes = json::array();
  for (auto& n : g.nodes) {
    json j{{"op", n.op}, {"inputs", n.inputs}, {"outputs", n.outputs}};
    if (!n.loc.empty()) j["loc"] = n.loc;
    nodes.push_back(std::move(j));
  }
  return json{{"format", "cactus-ir"}, {"version", 1}, {"values", values}, {"nodes", nodes},
              {"inputs", g.inputs}, {"outputs", g.outputs}};
}

inline graph from_json(const json& j, const tensor_decoder& dec = {}, const std::string& what = "IR JSON") {
  check(j.value("format", "") == "cactus-ir", "IR JSON: not a cactus IR document (missing format: cactus-ir)");
  graph g;
  for (auto& jv : j.at("values")) {
    value v;
    v.name = jv.value("name", "");
    v.k = kind_from_name(jv.at("kind").get<std::string>());
    if (v.is_tensor()) {
      v.type = dtype_from_name(jv.at("dtype").get<std::string>());
      v.shape = json_integers(jv.at("shape"), what + ": value " + std::to_string(g.values.size()) + " shape");
      if (jv.contains("dims"))
        for (auto& r : jv["dims"]) v.dims.push_back({json_integer(r.at(0), what + ": dim range"), json_integer(r.at(1), what + ": dim range")});
    }
    if (jv.contains("constant")) v.constant = meta_from_json(jv["constant"]);
    if (jv.contains("weight")) v.weight = jv["weight"].get<std::string>();
    if (jv.contains("data")) {
      if (jv["data"].contains("base64")) v.data = std::make_shared<tensor>(inline_tensor_from_json(jv["data"], v.type, v.shape));
      else if (dec) v.data = std::make_shared<tensor>(dec(jv["data"]));
      else fail(what, ": value ", g.values.size(), " refers to external constant data and no loader was given");
    }
    g.values.push_back(std::move(v));
  }
  for (auto& jn : j.at("nodes")) {
    node n{jn.at("op").get<std::string>(), json_integers<int>(jn.at("inputs"), what + ": node inputs"),
           json_integers<int>(jn.at("outputs"), what + ": node outputs"), jn.value("loc", "")};
    g.nodes.push_back(std::move(n));
  }
  g.inputs = json_integers<int>(j.at("inputs"), what + ": graph inputs");
  g.outputs = json_integers<int>(j.at("outputs"), what + ": graph outputs");
  verify(g, what);
  g.reindex_producers();
  return g;
}

}  // namespace cactus::ir
