#pragma once
// Stage 2: TorchScript capture with LibTorch. The archive is loaded, put in eval mode, frozen
// (parameters become constants, attribute lookups and training branches disappear) and
// inlined; the remaining aten:: graph is imported node by node into the IR. Constants are
// named after the state_dict entry they are (not a view of one), so weights bind by name.
// Each value's dtype and shape on the example inputs comes from running an instrumented copy
// of the same graph, so the raw IR records what PyTorch computed.
#include <torch/csrc/jit/api/function_impl.h>
#include <torch/csrc/jit/passes/freeze_module.h>
#include <torch/csrc/jit/passes/inliner.h>
#include <torch/script.h>

#include <filesystem>
#include <map>

#include "cactus/capture/torch_tensor.hpp"
#include "cactus/formats/checkpoint.hpp"
#include "cactus/ir/graph.hpp"

namespace cactus::capture {

namespace detail {
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

struct captured_model {
  ir::graph graph;
  std::vector<at::Tensor> reference_outputs;  // LibTorch's outputs on the example inputs
};

inline torch::jit::Module load_torchscript(const std::filesystem::path& path) {
  check(std::filesystem::exists(path), path.string(), ": no such file");
  // what is plainly not an archive is said so before LibTorch's zip reader explains itself
  check(formats::looks_like_zip(*mapped_file::open(path.string())), path.string(),
        ": not a TorchScript archive (not a zip file); save one with torch.jit.trace(model, inputs).save(path)");
  try {
    return torch::jit::load(path.string());
  } catch (const c10::Error& e) {
    std::string msg = e.what_without_backtrace();
    fail(path.string(), ": not a TorchScript archive (", msg.substr(0, msg.find('\n')), "); save one with torch.jit.trace(model, inputs).save(path)");
  }
}

// Captures a module already in memory (torch::jit::script / trace from C++, or a loaded
// archive); `label` names it in error messages.
inline captured_model capture_module(torch::jit::Module m, const std::vector<tensor>& example_inputs, const std::string& label = "model") {
  m.eval();
  // state_dict names by storage; a frozen constant takes one only if it is that tensor (same
  // sizes and strides), not a view freezing made of it (`bias[:, None]`, `weight.t()`), which
  // stays an unnamed constant with its own data
  struct named {
    std::string name;
    std::vector<std::int64_t> sizes, strides;
  };
  std::map<const void*, named> names;
  auto remember = [&](const std::string& n, const at::Tensor& t) {
    names.emplace(t.data_ptr(), named{n, t.sizes().vec(), t.strides().vec()});
  };
  for (const auto& p : m.named_parameters()) remember(p.name, p.value);
  for (const auto& p : m.named_buffers()) remember(p.name, p.value);
  auto name_of_tensor = [&](const at::Tensor& t) {
    auto it = names.find(t.data_ptr());
    return it != names.end() && it->second.sizes == t.sizes().vec() && it->second.strides == t.strides().vec() ? it->second.name : std::string{};
  };
  torch::jit::Module frozen = torch::jit::freeze_module(m);
  auto graph = frozen.get_method("forward").graph();
  torch::jit::Inline(*graph);

  const std::string& file = label;
  const std::size_t n_inputs = graph->inputs().size() - 1;  // input 0 is `self`
  check(example_inputs.size() == n_inputs, file, ": forward() takes ", n_inputs, " tensor inputs, ", example_inputs.size(),
        " example inputs were given (--example-input / --input-shape)");

  // Run an instrumented copy that also returns every intermediate tensor.
  // graph->copy() keeps node order, so walking both graphs together pairs each probed value
  // of the copy with its original.
  auto probe = graph->copy();
  std::vector<torch::jit::Value*> probed, orig;
  for (auto pn = probe->nodes().begin(), on = graph->nodes().begin(); pn != probe->nodes().end(); ++pn, ++on)
    for (std::size_t k = 0; k < pn->outputs().size(); ++k)
      if (pn->outputs()[k]->type()->kind() == c10::TypeKind::TensorType && pn->kind() != c10::prim::Constant) {
        probed.push_back(pn->outputs()[k]);
        orig.push_back(on->outputs()[k]);
      }
  const std::size_t n_real_outputs = probe->outputs().size();
  {  // functions must return one value: return (real outputs..., probed...) as a tuple
    std::vector<torch::jit::Value*> all(probe->outputs().begin(), probe->outputs().end());
    all.insert(all.end(), probed.begin(), probed.end());
    auto* tup = probe->createTuple(all);
    probe->appendNode(tup);
    while (!probe->outputs().empty()) probe->eraseOutput(0);
    probe->registerOutput(tup->output());
  }
  torch::jit::Stack stack;
  stack.emplace_back(frozen._ivalue());
  for (auto& t : example_inputs) stack.emplace_back(to_torch(t));
  try {
    torch::NoGradGuard ng;
    torch::jit::GraphFunction fn("cactus_probe", probe, nullptr);
    fn.run(stack);
    auto elems = stack.back().toTupleRef().elements().vec();
    stack.assign(elems.begin(), elems.end());
  } catch (const c10::Error& e) {
    std::string msg = e.what_without_backtrace();
    fail(file, ": PyTorch failed on the example inputs: ", msg.substr(0, msg.find('\n')));
  }
  // stack holds the real outputs then the probed tensors, in order
  std::map<const torch::jit::Value*, at::Tensor> seen;  // keyed by the ORIGINAL graph's values
  for (std::size_t i = 0; i < orig.size(); ++i) {
    const auto& iv = stack[n_real_outputs + i];
    if (iv.isTensor()) seen[orig[i]] = iv.toTensor();
  }
  captured_model out;
  for (std::size_t i = 0; i < n_real_outputs; ++i) {
    const auto& iv = stack[i];
    if (iv.isTensor()) out.reference_outputs.push_back(iv.toTensor());
    else if (iv.isTuple()) for (auto& e : iv.toTupleRef().elements()) out.reference_outputs.push_back(e.toTensor());
    else if (iv.isTensorList()) for (const at::Tensor& e : iv.toTensorVector()) out.reference_outputs.push_back(e);
    else fail(file, ": forward() returns a ", iv.tagKind(), "; only tensors, tuples and lists of tensors are supported");
  }

  ir::graph& g = out.graph;
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
      if (iv->isTensor() && iv->toTensor().dim() == 0 && name_of_tensor(iv->toTensor()).empty()) {
        // 0-d literals (traced Python numbers, e.g. head counts) are plan-time numbers
        at::Tensor t = iv->toTensor();
        ids[o] = t.is_floating_point() ? g.add_constant(ir::meta::of_float(t.item<double>()))
                                       : g.add_constant(ir::meta::of_int(t.item<std::int64_t>()));
      } else if (iv->isTensor()) {
        at::Tensor t = iv->toTensor();
        ids[o] = g.add_tensor_constant(from_torch(t, where), name_of_tensor(t));
      } else if (iv->isTensorList()) {  // e.g. an LSTM's frozen weight list
        std::vector<int> el;
        for (const at::Tensor& t : iv->toTensorVector()) el.push_back(g.add_tensor_constant(from_torch(t, where), name_of_tensor(t)));
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
  return out;
}

// How formats::open_checkpoint reads a TorchScript archive among checkpoints (`cactus convert
// model.ts OUT`): its parameters and buffers, by their state_dict names.
inline formats::archive_reader checkpoint_reader() {
  return {formats::torchscript_marker, "TorchScript archive", [](const std::filesystem::path& path) {
            auto m = load_torchscript(path);
            std::vector<std::pair<std::string, tensor>> out;
            for (const auto& p : m.named_parameters()) out.emplace_back(p.name, from_torch(p.value, path.string()));
            for (const auto& p : m.named_buffers()) out.emplace_back(p.name, from_torch(p.value, path.string()));
            return formats::as_lazy(out);
          }};
}

inline captured_model capture_torchscript(const std::filesystem::path& path, const std::vector<tensor>& example_inputs) {
  return capture_module(load_torchscript(path), example_inputs, path.filename().string());
}

}  // namespace cactus::capture
