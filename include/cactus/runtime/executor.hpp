#pragma once
// Executes a canonical IR graph. Planning (on the first run and whenever input shapes change):
// infer every node's outputs, run nodes whose inputs are all constant once (plan-time folding:
// f16->f32 casts of small weights, masks from arange...), then lay out the remaining tensors in
// one arena, reusing bytes once a value is dead; view ops alias their input. Execution runs
// the remaining nodes' kernels in order.
#include <chrono>
#include <functional>
#include <map>
#include <numeric>

#include "cactus/ir/graph.hpp"
#include "cactus/ops/registry.hpp"
#include "cactus/runtime/memory_plan.hpp"

namespace cactus::runtime {

using ops::slot;

// Resolves a bound weight name to its (usually mmapped) tensor.
using weight_resolver = std::function<tensor(const std::string& name)>;

class executor {
 public:
  explicit executor(ir::graph g, const weight_resolver& resolve = {}) : g_(std::move(g)) {
    const auto& table = ops::op_table();
    for (auto& n : g_.nodes) {
      auto id = ops::find_op(n.op);
      if (!id) fail("unsupported op '", n.op, "'", n.loc.empty() ? "" : " at ", n.loc, ": no runtime kernel for it");
      ops_.push_back(&table[*id]);
    }
    base_.resize(g_.values.size());
    for (std::size_t i = 0; i < g_.values.size(); ++i) {
      const ir::value& v = g_.values[i];
      slot& s = base_[i];
      s.k = v.k;
      if (v.constant) { s.m = *v.constant; s.k = v.constant->k; s.is_const = true; }
      if (v.is_tensor() && (v.data || !v.weight.empty())) {
        tensor t;
        if (!v.weight.empty()) {
          if (!resolve) fail("graph binds weight '", v.weight, "' but no weights were given");
          t = resolve(v.weight);
          if (t.shape != v.shape)
            fail("weight '", v.weight, "' has shape ", to_string(t.shape), ", the graph expects ", to_string(v.shape));
        } else {
          t = *v.data;
        }
        s.type = t.type;
        s.shape = t.shape;
        s.data = t.data;
        s.owner = t.owner;
        s.is_const = true;
      }
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
    for (std::size_t i = 0; i < g_.inputs.size(); ++i) slots_[static_cast<std::size_t>(g_.inputs[i])].data = inputs_[i].data;
    for (auto [v, r] : views_) slots_[static_cast<std::size_t>(v)].data = slots_[static_cast<std::size_t>(r)].data;
    if (profile_) {
      for (std::size_t n : run_order_) {
        const auto t0 = std::chrono::steady_clock::now();
        run_planned(n);
        auto& e = profile_stats_[g_.nodes[n].op];
        e.first += std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
        e.second += 1;
      }
    } else {
      for (std::size_t n : run_order_) run_planned(n);
    }
    std::vector<tensor> out;
    for (int o : g_.outputs) {
      const slot& s = slots_[static_cast<std::size_t>(o)];
      if (s.is_tensor()) out.push_back(s.view().clone());
      else out.push_back(meta_as_tensor(s));
    }
    return out;
  }

 private:
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

  std::string where(std::size_t n) const {
    const ir::node& nd = g_.nodes[n];
    return "node " + std::to_string(n) + " (" + nd.op + (nd.loc.empty() ? "" : ", " + nd.loc) + ")";
  }

  ops::context ctx(std::size_t n, std::vector<slot*>& in, std::vector<slot*>& out) {
    const ir::node& nd = g_.nodes[n];
    in.clear();
    out.clear();
    for (int i : nd.inputs) in.push_back(&slots_[static_cast<std::size_t>(i)]);
    for (int o : nd.outputs) out.push_back(&slots_[static_cast<std::size_t>(o)]);
    return ops::context(in, out, nd.op, nd.loc);
  }

  // Runs a node of the run order with the slot pointers the plan prepared (no allocation).
  void run_planned(std::size_t n) {
    ops::context c(node_in_[n], node_out_[n], g_.nodes[n].op, g_.nodes[n].loc);
    run_op(n, c);
  }

  // Runs a node outside the plan (plan-time folding), gathering its slots first.
  void run_node(std::size_t n) {
    std::vector<slot*> in, out;
    auto c = ctx(n, in, out);
    run_op(n, c);
  }

  void run_op(std::size_t n, ops::context& c) {
    try {
      ops_[n]->run(c);
    } catch (const error& e) {
      fail(where(n), ": ", e.what());
    }
  }

  void plan(const std::vector<shape_t>& shapes) {
    slots_ = base_;
    folded_.clear();
    run_order_.clear();
    for (std::size_t i = 0; i < g_.inputs.size(); ++i) {
      slot& s = slots_[static_cast<std::size_t>(g_.inputs[i])];
      s.k = ir::kind::tensor;
      s.type = inputs_[i].type;
      s.shape = shapes[i];
      s.is_const = false;
    }
    const std::size_t nn = g_.nodes.size();
    std::vector<int> alias(g_.values.size(), -1);  // view outputs -> root value
    std::vector<int> last_use(g_.values.size(), -1);
    std::vector<slot*> in, out;
    for (std::size_t n = 0; n < nn; ++n) {
      auto c = ctx(n, in, out);
      try {
        ops_[n]->infer(c);
      } catch (const error& e) {
        fail(where(n), ": ", e.what());
      }
      bool all_const = std::all_of(in.begin(), in.end(), [](slot* s) { return s->is_const || !s->is_tensor(); });
      bool has_tensor_out = std::any_of(out.begin(), out.end(), [](slot* s) { return s->is_tensor(); });
      if (!has_tensor_out) {
        continue;  // plan-time values: infer computed them
      }
      if (all_const) {  // fold: run once now on owned storage
        for (slot* s : out) {
          if (ops_[n]->view) { s->data = in[0]->data; s->owner = in[0]->owner; }
          else {
            tensor t = tensor::empty(s->type, s->shape);
            s->data = t.data;
            s->owner = t.owner;
          }
          s->is_const = true;
        }
        if (!ops_[n]->view) run_node(n);
        folded_.push_back(n);
        continue;
      }
      for (int i : g_.nodes[n].inputs) last_use[static_cast<std::size_t>(root(alias, i))] = static_cast<int>(n);
      if (ops_[n]->view) {
        int r = root(alias, g_.nodes[n].inputs[0]);
        alias[static_cast<std::size_t>(g_.nodes[n].outputs[0])] = r;
        last_use[static_cast<std::size_t>(r)] = static_cast<int>(n);
      } else {
        check(ops_[n]->run != nullptr, where(n), ": op has no kernel for non-constant inputs");
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
      const slot& s = slots_[v];
      if (!s.is_tensor() || s.is_const || alias[v] >= 0 || def[v] < 0) continue;
      vals.push_back(static_cast<int>(v));
      req.push_back({s.bytes(), def[v], std::max(last_use[v], def[v])});
    }
    auto mp = plan_memory(req);
    arena_ = tensor::empty(dtype::u8, {static_cast<std::int64_t>(std::max<std::size_t>(mp.arena_bytes, 1))});
    for (std::size_t i = 0; i < vals.size(); ++i)
      slots_[static_cast<std::size_t>(vals[i])].data = arena_.ptr<unsigned char>() + mp.offsets[i];
    // views of non-constant values take their root's bytes (inputs are bound in execute()).
    views_.clear();
    for (std::size_t v = 0; v < g_.values.size(); ++v)
      if (alias[v] >= 0) views_.emplace_back(static_cast<int>(v), alias[v]);
    node_in_.assign(nn, {});
    node_out_.assign(nn, {});
    for (std::size_t n : run_order_) {
      for (int i : g_.nodes[n].inputs) node_in_[n].push_back(&slots_[static_cast<std::size_t>(i)]);
      for (int o : g_.nodes[n].outputs) node_out_[n].push_back(&slots_[static_cast<std::size_t>(o)]);
    }
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

  // Per-op wall time: when enabled, execute() adds each node's time to its op's total.
  void set_profiling(bool on) { profile_ = on; }
  // op name -> (total milliseconds, calls)
  const std::map<std::string, std::pair<double, std::size_t>>& profile() const { return profile_stats_; }

 private:
  ir::graph g_;
  std::vector<const ops::op_info*> ops_;
  std::vector<slot> base_, slots_;
  std::vector<tensor> inputs_;
  std::vector<std::size_t> run_order_, folded_;
  std::vector<std::pair<int, int>> views_;
  std::vector<shape_t> planned_shapes_;
  std::vector<std::vector<slot*>> node_in_, node_out_;
  tensor arena_;
  bool planned_ = false, profile_ = false;
  std::map<std::string, std::pair<double, std::size_t>> profile_stats_;
};

}  // namespace cactus::runtime
