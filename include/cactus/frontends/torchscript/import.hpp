#pragma once
// TorchScript front end, step 3 of 3: import. The frozen, inlined graph is walked node by node
// into the IR: constants become IR constants (named after their state_dict entry when they are
// one), tensor lists and tuples are flattened, chunk / split / unbind and their unpacking become
// one split node, and every other node keeps its aten:: name for canonicalize to map. Tensor
// values take the dtype and shape the probe saw.
#include <torch/script.h>

#include <map>
#include <vector>

#include "cactus/frontends/torchscript/probe.hpp"
#include "cactus/ir/dtype_code.hpp"
#include "cactus/ir/graph.hpp"

namespace cactus::frontends::torchscript {

namespace detail {
// TorchScript passes a dtype argument as an int holding a c10::ScalarType; the IR's dtype codes
// are those numbers, so the import passes them through as they are.
constexpr bool same_code(c10::ScalarType t, ir::dtype_code c) { return static_cast<std::int64_t>(t) == static_cast<std::int64_t>(c); }
static_assert(same_code(c10::kByte, ir::dtype_code::u8) && same_code(c10::kChar, ir::dtype_code::i8) &&
              same_code(c10::kShort, ir::dtype_code::i16) && same_code(c10::kInt, ir::dtype_code::i32) &&
              same_code(c10::kLong, ir::dtype_code::i64) && same_code(c10::kHalf, ir::dtype_code::f16) &&
              same_code(c10::kFloat, ir::dtype_code::f32) && same_code(c10::kDouble, ir::dtype_code::f64) &&
              same_code(c10::kBool, ir::dtype_code::b8) && same_code(c10::kBFloat16, ir::dtype_code::bf16),
              "the IR's dtype codes are c10::ScalarType's");
inline std::string source_of(const torch::jit::Node* n) {
  auto r = n->sourceRange();
  if (auto orig = r.findSourceRangeThatGenerated()) r = *orig;
  if (auto flc = r.file_line_col()) return std::get<0>(*flc) + ":" + std::to_string(std::get<1>(*flc));
  return {};
}

inline ir::kind kind_of(const c10::TypePtr& t) {
  using K = c10::TypeKind;
  switch (t->kind()) {
    case K::TensorType: return ir::kind::tensor;
    case K::IntType: case K::SymIntType: return ir::kind::int_;
    case K::FloatType: case K::NumberType: return ir::kind::float_;
    case K::BoolType: return ir::kind::bool_;
    case K::NoneType: return ir::kind::none;
    case K::StringType: case K::DeviceObjType: return ir::kind::string;
    case K::ListType: {
      auto el = t->containedTypes().at(0)->kind();
      if (el == K::IntType || el == K::SymIntType) return ir::kind::ints;
      if (el == K::FloatType) return ir::kind::floats;
      break;
    }
    default: break;
  }
  return ir::kind::none;
}

inline ir::meta meta_of(const c10::IValue& v, const std::string& where) {
  if (v.isNone()) return ir::meta::none();
  if (v.isInt()) return ir::meta::of_int(v.toInt());
  if (v.isDouble()) return ir::meta::of_float(v.toDouble());
  if (v.isBool()) return ir::meta::of_bool(v.toBool());
  if (v.isString()) return ir::meta::of_string(v.toStringRef());
  if (v.isDevice()) return ir::meta::of_string(v.toDevice().str());
  if (v.isIntList()) return ir::meta::of_ints(v.toIntVector());
  if (v.isDoubleList()) return ir::meta::of_floats(v.toDoubleVector());
  if (v.isBoolList()) {
    std::vector<std::int64_t> r;
    for (bool b : v.toBoolList()) r.push_back(b);
    return ir::meta::of_ints(r);
  }
  fail(where, ": unsupported constant of type ", v.tagKind());
}
}  // namespace detail

inline ir::graph import_graph(const frozen_module& f, const probe_result& probed, const std::vector<tensor>& example_inputs,
                              const std::string& label) {
  const std::string& file = label;
  const auto& graph = f.graph;
  const auto& seen = probed.seen;
  const std::size_t n_inputs = f.tensor_inputs();
  ir::graph g;
  std::map<const torch::jit::Value*, int> ids;
  std::map<const torch::jit::Value*, std::vector<int>> lists;  // tensor lists and tuples: element ids
  std::map<const torch::jit::Value*, const torch::jit::Node*> pending_split;  // chunk/split/unbind results

  auto set_tensor_info = [&](int id, const torch::jit::Value* v) {
    auto it = seen.find(v);
    if (it == seen.end()) return;
    g.values[static_cast<std::size_t>(id)].type = from_torch(it->second.scalar_type(), file);
    g.values[static_cast<std::size_t>(id)].shape = shape_t(it->second.sizes().begin(), it->second.sizes().end());
  };
  auto id_of = [&](const torch::jit::Value* v, const torch::jit::Node* user) -> int {
    auto it = ids.find(v);
    if (it != ids.end()) return it->second;
    fail(file, ": ", detail::source_of(user), ": ", user->kind().toQualString(), " uses a value of type ", v->type()->str(),
         " that cactus cannot represent");
  };

  for (std::size_t i = 0; i < n_inputs; ++i) {
    ir::value v;
    v.name = graph->inputs()[i + 1]->debugName();
    v.type = example_inputs[i].type;
    v.shape = example_inputs[i].shape;
    g.inputs.push_back(g.add_value(std::move(v)));
    ids[graph->inputs()[i + 1]] = g.inputs.back();
  }

  for (auto* n : graph->nodes()) {
    const std::string kind = n->kind().toQualString();
    const std::string loc = detail::source_of(n);
    const std::string where = file + (loc.empty() ? "" : " (" + loc + ")");
    if (n->kind() == c10::prim::Constant) {
      auto* o = n->output();
      auto iv = torch::jit::toIValue(o);
      check(iv.has_value(), where, ": constant without a value");
      if (iv->isTensor() && iv->toTensor().dim() == 0 && f.name_of(iv->toTensor()).empty()) {
        // 0-d literals (traced Python numbers, e.g. head counts) are plan-time numbers
        at::Tensor t = iv->toTensor();
        ids[o] = t.is_floating_point() ? g.add_constant(ir::meta::of_float(t.item<double>()))
                                       : g.add_constant(ir::meta::of_int(t.item<std::int64_t>()));
      } else if (iv->isTensor()) {
        at::Tensor t = iv->toTensor();
        ids[o] = g.add_tensor_constant(from_torch(t, where), f.name_of(t));
      } else if (iv->isTensorList()) {  // e.g. an LSTM's frozen weight list
        std::vector<int> el;
        for (const at::Tensor& t : iv->toTensorVector()) el.push_back(g.add_tensor_constant(from_torch(t, where), f.name_of(t)));
        lists[o] = el;
      } else if (iv->isTuple()) {
        fail(where, ": constant tuples are not supported");
      } else {
        ids[o] = g.add_constant(detail::meta_of(*iv, where));
      }
      continue;
    }
    if (n->kind() == c10::prim::If || n->kind() == c10::prim::Loop)
      fail(where, ": data-dependent control flow (", kind, ") is not supported; trace the model, or make the condition a constant");
    if (n->kind() == c10::prim::ListConstruct && n->output()->type()->containedTypes().at(0)->kind() == c10::TypeKind::TensorType) {
      std::vector<int> el;
      for (auto* i : n->inputs()) el.push_back(id_of(i, n));
      lists[n->output()] = el;
      continue;
    }
    if (n->kind() == c10::prim::TupleConstruct) {
      std::vector<int> el;
      for (auto* i : n->inputs()) {
        if (lists.count(i)) fail(where, ": nested tuples are not supported");
        el.push_back(id_of(i, n));
      }
      lists[n->output()] = el;
      continue;
    }
    if (n->kind() == c10::prim::TupleUnpack || (n->kind() == c10::prim::ListUnpack && lists.count(n->input()))) {
      auto& el = lists.at(n->input());
      check(el.size() == n->outputs().size(), where, ": unpacks ", n->outputs().size(), " of ", el.size());
      for (std::size_t i = 0; i < el.size(); ++i) ids[n->outputs()[i]] = el[i];
      continue;
    }
    if (kind == "aten::chunk" || kind == "aten::unsafe_chunk" || kind == "aten::split" || kind == "aten::unsafe_split" ||
        kind == "aten::unbind") {
      pending_split[n->output()] = n;
      continue;
    }
    auto make_split = [&](const torch::jit::Node* src, std::int64_t mode, int arg, int dim, const torch::jit::Node* unpack) {
      const int x = id_of(src->input(0), src);
      std::vector<ir::kind> kinds(unpack->outputs().size(), ir::kind::tensor);
      int idx = g.add_node("split", {x, dim, g.add_constant(ir::meta::of_int(mode)), arg}, kinds, loc);
      for (std::size_t i = 0; i < unpack->outputs().size(); ++i) {
        ids[unpack->outputs()[i]] = g.nodes[static_cast<std::size_t>(idx)].outputs[i];
        set_tensor_info(ids[unpack->outputs()[i]], unpack->outputs()[i]);
      }
    };
    if (n->kind() == c10::prim::ListUnpack && pending_split.count(n->input())) {
      const torch::jit::Node* src = pending_split.at(n->input());
      const std::string sk = src->kind().toQualString();
      if (sk == "aten::unbind") make_split(src, 2, g.add_constant(ir::meta::of_int(0)), id_of(src->input(1), src), n);
      else make_split(src, sk.find("chunk") != std::string::npos ? 0 : 1, id_of(src->input(1), src), id_of(src->input(2), src), n);
      continue;
    }
    if (n->kind() == c10::prim::ConstantChunk) {
      std::vector<ir::kind> kinds(n->outputs().size(), ir::kind::tensor);
      int idx = g.add_node("split", {id_of(n->input(0), n), g.add_constant(ir::meta::of_int(n->i(c10::attr::dim))),
                                     g.add_constant(ir::meta::of_int(0)), g.add_constant(ir::meta::of_int(n->i(c10::attr::chunks)))},
                           kinds, loc);
      for (std::size_t i = 0; i < n->outputs().size(); ++i) {
        ids[n->outputs()[i]] = g.nodes[static_cast<std::size_t>(idx)].outputs[i];
        set_tensor_info(ids[n->outputs()[i]], n->outputs()[i]);
      }
      continue;
    }
    if (n->kind() == c10::prim::dtype) {
      auto it = seen.find(n->input());
      check(it != seen.end(), where, ": prim::dtype of an unknown tensor");
      ids[n->output()] = g.add_constant(ir::meta::of_int(static_cast<std::int64_t>(it->second.scalar_type())));
      continue;
    }
    if (n->kind() == c10::prim::device) {
      ids[n->output()] = g.add_constant(ir::meta::of_string("cpu"));
      continue;
    }
    // Generic node: tensor lists in the inputs are flattened in place (cat, stack, lstm).
    std::vector<int> ins;
    for (auto* i : n->inputs()) {
      auto l = lists.find(i);
      if (l != lists.end()) ins.insert(ins.end(), l->second.begin(), l->second.end());
      else ins.push_back(id_of(i, n));
    }
    std::vector<ir::kind> kinds;
    for (auto* o : n->outputs()) {
      auto k = detail::kind_of(o->type());
      if (k == ir::kind::none && o->type()->kind() != c10::TypeKind::NoneType)
        fail(where, ": ", kind, " returns ", o->type()->str(), ", which cactus does not support");
      kinds.push_back(k);
    }
    int idx = g.add_node(kind, ins, kinds, loc);
    for (std::size_t i = 0; i < n->outputs().size(); ++i) {
      int id = g.nodes[static_cast<std::size_t>(idx)].outputs[i];
      ids[n->outputs()[i]] = id;
      if (kinds[i] == ir::kind::tensor) set_tensor_info(id, n->outputs()[i]);
    }
  }
  for (auto* o : graph->outputs()) {
    auto l = lists.find(o);
    if (l != lists.end()) g.outputs.insert(g.outputs.end(), l->second.begin(), l->second.end());
    else g.outputs.push_back(id_of(o, graph->return_node()));
  }
  g.reindex_producers();
  return g;
}

}  // namespace cactus::frontends::torchscript
