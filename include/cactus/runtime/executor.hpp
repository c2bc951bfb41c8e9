#pragma once
// Executes a canonical IR graph. Loading decides which stored weights each op reads as they are
// (f16, packed) and which are widened to f32 (runtime/weight_precision.hpp). Planning (on the
// first run and whenever input shapes change):
// infer every node's outputs, run nodes whose inputs are all constant once (plan-time folding:
// f16->f32 casts of small weights, masks from arange...), then lay out the remaining tensors in
// one arena, reusing bytes once a value is dead; view ops alias their input. Execution runs
// the remaining nodes' kernels in order. Both walk the one graph interpreter (ops/interpreter.hpp).
// Planning also records each running node's kernel path where its op has several (the op's
// choose(): a quantized product's int8 microkernel or row kernels, a convolution's int8
// microkernel, dequantized, depthwise, direct, indirect or GEMM kernel), from the shapes and the
// CPU; the kernels then take it.
#include <chrono>
#include <functional>
#include <map>
#include <numeric>

#include "cactus/ir/graph.hpp"
#include "cactus/ops/interpreter.hpp"
#include "cactus/runtime/memory_plan.hpp"
#include "cactus/runtime/weight_precision.hpp"

namespace cactus::runtime {

using ops::slot;

// Resolves a bound weight name to its (usually mmapped) tensor.
using weight_resolver = std::function<tensor(const std::string& name)>;

class executor {
 public:
  explicit executor(ir::graph g, const weight_resolver& resolve = {}, const weight_precision& precision = {})
      : g_(with_weight_precision(std::move(g), precision)), interp_(g_) {
    for (std::size_t n = 0; n < interp_.num_nodes(); ++n) interp_.op(n);  // every op has a kernel
    base_ = interp_.slots();
    for (std::size_t i = 0; i < g_.values.size(); ++i) {
      const ir::value& v = g_.values[i];
      if (!v.is_tensor() || v.weight.empty()) continue;
      if (!resolve) fail("graph binds weight '", v.weight, "' but no weights were given");
      const tensor t = resolve(v.weight);
      if (t.shape != v.shape) fail("weight '", v.weight, "' has shape ", to_string(t.shape), ", the graph expects ", to_string(v.shape));
      slot& s = base_[i];
      s.type = t.type;
      s.shape = t.shape;
      s.data = t.data;
      s.owner = t.owner;
      s.is_const = true;
    }
  }

  const ir::graph& graph() const { return g_; }
  std::size_t num_inputs() const { return g_.inputs.size(); }
  std::size_t num_outputs() const { return g_.outputs.size(); }
  std::size_t arena_bytes() const { return arena_.bytes(); }

  void set_input(std::size_t i, tensor t) {
    check(i < g_.inputs.size(), "input index ", i, " is out of range: the graph has ", g_.inputs.size(), " inputs");
    const ir::value& v = g_.values[static_cast<std::size_t>(g_.inputs[i])];
    const std::string label = "input " + std::to_string(i) + (v.name.empty() ? "" : " '" + v.name + "'");
    check(t.type == v.type, label, " must be ", name_of(v.type), ", got ", name_of(t.type));
    check(t.shape.size() == v.shape.size(), label, " must have rank ", v.shape.size(), " (like ", to_string(v.shape), "), got ",
          to_string(t.shape));
    if (!v.dims.empty()) {
      check(v.dims.size() == t.shape.size(), label, ": the graph records ", v.dims.size(), " dim ranges for a rank-", t.shape.size(), " input");
      for (std::size_t d = 0; d < v.dims.size(); ++d) {
        const auto& r = v.dims[d];
        if (r.min == r.max)
          check(t.shape[d] == r.min, label, " dim ", d, " is fixed at ", r.min, " in this graph (exported static), got ", t.shape[d], " in ", to_string(t.shape));
        else
          check(t.shape[d] >= r.min && t.shape[d] <= r.max, label, " dim ", d, " must be in [", r.min, ", ",
                r.max == std::numeric_limits<std::int64_t>::max() ? std::string("inf") : std::to_string(r.max), "] (the range it was exported with), got ",
                t.shape[d], " in ", to_string(t.shape));
      }
    }
    if (inputs_.size() < g_.inputs.size()) inputs_.resize(g_.inputs.size());
    inputs_[i] = std::move(t);
  }

  std::vector<tensor> execute() {
    check(inputs_.size() == g_.inputs.size() && std::all_of(inputs_.begin(), inputs_.end(), [](const tensor& t) { return t.data || t.numel() == 0; }),
          "all ", g_.inputs.size(), " inputs must be set before execute()");
    std::vector<shape_t> shapes;
    for (auto& t : inputs_) shapes.push_back(t.shape);
    if (!planned_ || shapes != planned_shapes_) plan(shapes);
    for (std::size_t i = 0; i < g_.inputs.size(); ++i) interp_.value(g_.inputs[i]).data = inputs_[i].data;
    for (auto [v, r] : views_) interp_.value(v).data = interp_.value(r).data;
    if (profile_) {
      for (std::size_t n : run_order_) {
        const auto t0 = std::chrono::steady_clock::now();
        interp_.run(n);
        const std::string path = interp_.choice_name(n);
        auto& e = profile_stats_[path.empty() ? g_.nodes[n].op : g_.nodes[n].op + " [" + path + "]"];
        e.first += std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
        e.second += 1;
      }
    } else {
      for (std::size_t n : run_order_) interp_.run(n);
    }
    std::vector<tensor> out;
    for (int o : g_.outputs) {
      const slot& s = interp_.value(o);
      if (s.is_tensor()) out.push_back(s.view().clone());
      else out.push_back(meta_as_tensor(s));
    }
    return out;
  }

 private:
  static ir::graph with_weight_precision(ir::graph g, const weight_precision& p) {
    plan_weight_precision(g, p);
    return g;
  }
  static tensor meta_as_tensor(const slot& s) {
    if (s.k == kind_float()) { tensor t = tensor::empty(dtype::f32, {}); *t.ptr<float>() = static_cast<float>(s.m.f); return t; }
    if (s.k == ir::kind::ints) {
      tensor t = tensor::empty(dtype::i64, {static_cast<std::int64_t>(s.m.ints.size())});
      std::copy(s.m.ints.begin(), s.m.ints.end(), t.ptr<std::int64_t>());
      return t;
    }
    tensor t = tensor::empty(dtype::i64, {});
    *t.ptr<std::int64_t>() = s.m.i;
    return t;
  }
  static ir::kind kind_float() { return ir::kind::float_; }

  void plan(const std::vector<shape_t>& shapes) {
    interp_.reset(base_);
    auto& slots = interp_.slots();
    folded_.clear();
    run_order_.clear();
    for (std::size_t i = 0; i < g_.inputs.size(); ++i) {
      slot& s = interp_.value(g_.inputs[i]);
      s.k = ir::kind::tensor;
      s.type = inputs_[i].type;
      s.shape = shapes[i];
      s.is_const = false;
    }
    const std::size_t nn = g_.nodes.size();
    std::vector<int> alias(g_.values.size(), -1);  // view outputs -> root value
    std::vector<int> last_use(g_.values.size(), -1);
    for (std::size_t n = 0; n < nn; ++n) {
      interp_.infer(n);
      if (!interp_.has_tensor_output(n)) continue;  // plan-time values: infer computed them
      if (interp_.inputs_constant(n)) {             // fold: run once now on owned storage
        interp_.fold(n);
        folded_.push_back(n);
        continue;
      }
      for (int i : g_.nodes[n].inputs) last_use[static_cast<std::size_t>(root(alias, i))] = static_cast<int>(n);
      if (interp_.op(n).view) {
        int r = root(alias, g_.nodes[n].inputs[0]);
        alias[static_cast<std::size_t>(g_.nodes[n].outputs[0])] = r;
        last_use[static_cast<std::size_t>(r)] = static_cast<int>(n);
      } else {
        check(interp_.op(n).run != nullptr, interp_.where(n), ": op has no kernel for non-constant inputs");
        interp_.choose(n);  // its kernel path for these shapes on this CPU
        run_order_.push_back(n);
      }
    }
    for (int o : g_.outputs) last_use[static_cast<std::size_t>(root(alias, o))] = static_cast<int>(nn);
    // arena requests: non-constant, non-input, non-alias tensors produced by nodes
    std::vector<int> vals;
    std::vector<buffer_request> req;
    std::vector<int> def(g_.values.size(), -1);
    for (std::size_t n = 0; n < nn; ++n)
      for (int o : g_.nodes[n].outputs) def[static_cast<std::size_t>(o)] = static_cast<int>(n);
    for (std::size_t v = 0; v < g_.values.size(); ++v) {
      const slot& s = slots[v];
      if (!s.is_tensor() || s.is_const || alias[v] >= 0 || def[v] < 0) continue;
      vals.push_back(static_cast<int>(v));
      req.push_back({s.bytes(), def[v], std::max(last_use[v], def[v])});
    }
    auto mp = plan_memory(req);
    arena_ = tensor::empty(dtype::u8, {static_cast<std::int64_t>(std::max<std::size_t>(mp.arena_bytes, 1))});
    for (std::size_t i = 0; i < vals.size(); ++i)
      slots[static_cast<std::size_t>(vals[i])].data = arena_.ptr<unsigned char>() + mp.offsets[i];
    // views of non-constant values take their root's bytes (inputs are bound in execute()).
    views_.clear();
    for (std::size_t v = 0; v < g_.values.size(); ++v)
      if (alias[v] >= 0) views_.emplace_back(static_cast<int>(v), alias[v]);
    planned_ = true;
    planned_shapes_ = shapes;
  }

  static int root(std::vector<int>& alias, int v) {
    while (alias[static_cast<std::size_t>(v)] >= 0) v = alias[static_cast<std::size_t>(v)];
    return v;
  }

 public:
  // (exposed for tests) values that plan-time folding computed
  const std::vector<std::size_t>& folded_nodes() const { return folded_; }
  // The kernel path planned for node n ("gemm8", "dequantized"...; empty: its op has one path,
  // or the node does not run), as `--profile` shows it beside the op.
  std::string kernel_choice(std::size_t n) const { return interp_.choice_name(n); }

  // Per-op wall time: when enabled, execute() adds each node's time to its op's total
  // (enabling starts from zero).
  void set_profiling(bool on) {
    if (on && !profile_) profile_stats_.clear();
    profile_ = on;
  }
  // op name -> (total milliseconds, calls)
  const std::map<std::string, std::pair<double, std::size_t>>& profile() const { return profile_stats_; }

 private:
  ir::graph g_;
  ops::interpreter interp_;  // over g_: slots, resolved ops, each node's slots
  std::vector<slot> base_;    // the slots before planning: constants and bound weights
  std::vector<tensor> inputs_;
  std::vector<std::size_t> run_order_, folded_;
  std::vector<std::pair<int, int>> views_;
  std::vector<shape_t> planned_shapes_;
  tensor arena_;
  bool planned_ = false, profile_ = false;
  std::map<std::string, std::pair<double, std::size_t>> profile_stats_;
};

}  // namespace cactus::runtime
