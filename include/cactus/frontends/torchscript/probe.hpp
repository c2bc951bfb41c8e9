#pragma once
// TorchScript front end, step 2 of 3: probe. An instrumented copy of the frozen graph returns
// every intermediate tensor besides the real outputs and runs once on the example inputs, so
// the import records each value's dtype and shape as PyTorch computed them, and the real
// outputs become the reference the bundle is checked against.
#include <torch/csrc/jit/api/function_impl.h>
#include <torch/script.h>

#include <map>
#include <vector>

#include "cactus/frontends/torchscript/freeze.hpp"
#include "cactus/frontends/torchscript/torch_tensor.hpp"

namespace cactus::frontends::torchscript {

struct probe_result {
  std::map<const torch::jit::Value*, at::Tensor> seen;  // keyed by the frozen graph's values
  std::vector<at::Tensor> outputs;                       // forward()'s outputs, tuples and lists flattened
};

// `label` names the model in error messages.
inline probe_result probe(const frozen_module& f, const std::vector<tensor>& example_inputs, const std::string& label) {
  const std::string& file = label;
  const auto& graph = f.graph;
  const std::size_t n_inputs = f.tensor_inputs();
  check(example_inputs.size() == n_inputs, file, ": forward() takes ", n_inputs, " tensor inputs, ", example_inputs.size(),
        " example inputs were given (--example-input / --input-shape)");

  // Run an instrumented copy that also returns every intermediate tensor.
  // graph->copy() keeps node order, so walking both graphs together pairs each probed value
  // of the copy with its original.
  auto instrumented = graph->copy();
  std::vector<torch::jit::Value*> probed, orig;
  for (auto pn = instrumented->nodes().begin(), on = graph->nodes().begin(); pn != instrumented->nodes().end(); ++pn, ++on)
    for (std::size_t k = 0; k < pn->outputs().size(); ++k)
      if (pn->outputs()[k]->type()->kind() == c10::TypeKind::TensorType && pn->kind() != c10::prim::Constant) {
        probed.push_back(pn->outputs()[k]);
        orig.push_back(on->outputs()[k]);
      }
  const std::size_t n_real_outputs = instrumented->outputs().size();
  {  // functions must return one value: return (real outputs..., probed...) as a tuple
    std::vector<torch::jit::Value*> all(instrumented->outputs().begin(), instrumented->outputs().end());
    all.insert(all.end(), probed.begin(), probed.end());
    auto* tup = instrumented->createTuple(all);
    instrumented->appendNode(tup);
    while (!instrumented->outputs().empty()) instrumented->eraseOutput(0);
    instrumented->registerOutput(tup->output());
  }
  torch::jit::Stack stack;
  stack.emplace_back(f.module._ivalue());
  for (auto& t : example_inputs) stack.emplace_back(to_torch(t));
  try {
    torch::NoGradGuard ng;
    torch::jit::GraphFunction fn("cactus_probe", instrumented, nullptr);
    fn.run(stack);
    auto elems = stack.back().toTupleRef().elements().vec();
    stack.assign(elems.begin(), elems.end());
  } catch (const c10::Error& e) {
    std::string msg = e.what_without_backtrace();
    fail(file, ": PyTorch failed on the example inputs: ", msg.substr(0, msg.find('\n')));
  }
  // stack holds the real outputs then the probed tensors, in order
  probe_result out;
  auto& seen = out.seen;  // keyed by the ORIGINAL graph's values
  for (std::size_t i = 0; i < orig.size(); ++i) {
    const auto& iv = stack[n_real_outputs + i];
    if (iv.isTensor()) seen[orig[i]] = iv.toTensor();
  }
  for (std::size_t i = 0; i < n_real_outputs; ++i) {
    const auto& iv = stack[i];
    if (iv.isTensor()) out.outputs.push_back(iv.toTensor());
    else if (iv.isTuple()) for (auto& e : iv.toTupleRef().elements()) out.outputs.push_back(e.toTensor());
    else if (iv.isTensorList()) for (const at::Tensor& e : iv.toTensorVector()) out.outputs.push_back(e);
    else fail(file, ": forward() returns a ", iv.tagKind(), "; only tensors, tuples and lists of tensors are supported");
  }
  return out;
}

}  // namespace cactus::frontends::torchscript
