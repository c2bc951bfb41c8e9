#pragma once
// TorchScript front end, step 3 of 3: import. The frozen, inlined graph is walked node by node
// into the IR: constants become IR constants (named after their state_dict entry when they are
// one), tensor lists and tuples are flattened, chunk / split / unbind and their unpacking become
// one split node, and every other node keeps its aten:: name for canonicalize to map. Tensor
// values take the dtype and shape the probe saw.
#include <torch/script.h>

#include <map>
#include <set>
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

// Tensor[] and Tensor?[] (an index list, where None takes a dim whole) are flattened into the
// inputs of the node that reads them.
inline bool is_tensor_or_optional(const c10::TypePtr& t) {
  if (t->kind() == c10::TypeKind::OptionalType) return t->containedTypes().at(0)->kind() == c10::TypeKind::TensorType;
  return t->kind() == c10::TypeKind::TensorType;
}

// x[:, j] = v traces as an in-place write into the view slice(x, 0, 0, INT64_MAX): a view that
// covers its source, whose source the write changes too. Null for any other value.
inline const torch::jit::Value* whole_view_source(const torch::jit::Value* v) {
  const torch::jit::Node* p = v->node();
  if (p->kind() != c10::aten::slice || p->inputs().size() != 5) return nullptr;
  auto num = [&](std::size_t i) { return torch::jit::toIValue(p->input(i)); };
  const auto start = num(2), end = num(3), step = num(4);
  const bool whole = start && (start->isNone() || (start->isInt() && start->toInt() == 0)) && end &&
                     (end->isNone() || (end->isInt() && end->toInt() >= (std::int64_t{1} << 62))) && step && step->isInt() && step->toInt() == 1;
  return whole ? p->input(0) : nullptr;
}

// The tensor an in-place op (relu_, index_put_...) writes, or null. A write into a part of
// another tensor (a partial slice, a select, a view...) whose source is read afterwards is an
// error: the functional graph cactus builds cannot carry it back into the source.
inline const torch::jit::Value* in_place_target(const torch::jit::Node* n, const std::string& where) {
  const std::string kind = n->kind().toQualString();
  if (kind.size() < 3 || kind.back() != '_' || kind[kind.size() - 2] == '_' || kind.rfind("aten::", 0) != 0 || n->inputs().empty() ||
      n->outputs().size() != 1)
    return nullptr;
  const torch::jit::Value* t = n->input(0);
  while (const auto* src = whole_view_source(t)) t = src;
  static const std::set<std::string> views = {"aten::slice", "aten::select", "aten::narrow", "aten::view", "aten::reshape", "aten::transpose",
                                              "aten::t", "aten::permute", "aten::squeeze", "aten::unsqueeze", "aten::expand", "aten::flatten",
                                              "aten::unflatten", "aten::view_as", "aten::as_strided", "aten::diagonal", "aten::unfold"};
  for (const torch::jit::Node* p = t->node(); views.count(p->kind().toQualString()); p = p->input(0)->node())
    for (const auto& use : p->input(0)->uses())
      if (use.user != p && use.user->isAfter(n))
        fail(where, ": ", kind, " writes into a view of a tensor (", p->kind().toQualString(), ") that is read afterwards; cactus cannot carry ",
             "that write back into it. Capture with torch.export and run_decompositions(), which make such writes functional");
  return n->input(0);
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
    if (n->kind() == c10::prim::ListConstruct && detail::is_tensor_or_optional(n->output()->type()->containedTypes().at(0))) {
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
        kind == "aten::split_with_sizes" || kind == "aten::unsafe_split_with_sizes" || kind == "aten::unbind") {
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
    const auto* written = detail::in_place_target(n, where);
    int idx = g.add_node(kind, ins, kinds, loc);
    for (std::size_t i = 0; i < n->outputs().size(); ++i) {
      int id = g.nodes[static_cast<std::size_t>(idx)].outputs[i];
      ids[n->outputs()[i]] = id;
      if (kinds[i] == ir::kind::tensor) set_tensor_info(id, n->outputs()[i]);
    }
    // an in-place op: later reads of the tensor it wrote (and of the tensors it is a whole view
    // of) read its result
    for (; written; written = detail::whole_view_source(written)) ids[written] = ids[n->output(0)];
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
