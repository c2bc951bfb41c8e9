#pragma once
// The one graph interpreter: a slot per IR value, each node's op resolved once through the
// registry, and each node's input and output slots gathered once, so a step allocates nothing.
// Shape inference (passes/infer_shapes.hpp), constant folding (passes/fold_constants.hpp) and
// the executor's planner and run loop (runtime/executor.hpp) are each a walk over it that
// decides what a node does: infer only, fold now, or run every execution.
//
// The interpreter keeps no reference to the graph it was made from (the executor moves its
// graph, a pass rewrites it): it copies the per-node facts it needs. It is movable (the slot
// pointers point into its own heap buffer, which a move keeps) and not copyable.
#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "cactus/ir/graph.hpp"
#include "cactus/ops/registry.hpp"

namespace cactus::ops {

class interpreter {
 public:
  // Slots start as each value's ops::slot_of (meta and in-memory tensor constants with their
  // data, bound weights with dtype and shape only). A node whose op is not registered is kept
  // with no op: walks that skip such nodes (constant folding) may; op() reports it.
  explicit interpreter(const ir::graph& g) : slots_(g.values.size()) {
    for (std::size_t i = 0; i < g.values.size(); ++i) slots_[i] = slot_of(g.values[i]);
    const auto& table = op_table();
    steps_.reserve(g.nodes.size());
    for (std::size_t n = 0; n < g.nodes.size(); ++n) {
      const ir::node& nd = g.nodes[n];
      step s;
      const auto id = find_op(nd.op);
      s.op = id ? &table[*id] : nullptr;
      s.name = nd.op;
      s.loc = nd.loc;
      steps_.push_back(std::move(s));
      for (int v : nd.inputs) steps_.back().in.push_back(&slot_at(n, v));
      for (int v : nd.outputs) steps_.back().out.push_back(&slot_at(n, v));
    }
  }
  interpreter(interpreter&&) noexcept = default;
  interpreter& operator=(interpreter&&) noexcept = default;
  interpreter(const interpreter&) = delete;
  interpreter& operator=(const interpreter&) = delete;

  std::size_t num_nodes() const { return steps_.size(); }
  std::vector<slot>& slots() { return slots_; }
  const std::vector<slot>& slots() const { return slots_; }
  slot& value(int v) { return slots_[static_cast<std::size_t>(v)]; }

  // Sets every slot from `base` (same size), in place, so the nodes' slot pointers stay valid,
  // and forgets the kernel paths chosen for the previous shapes.
  void reset(const std::vector<slot>& base) {
    check(base.size() == slots_.size(), "interpreter reset with ", base.size(), " slots for ", slots_.size(), " values");
    std::copy(base.begin(), base.end(), slots_.begin());
    for (step& s : steps_) s.choice = -1;
  }

  bool registered(std::size_t n) const { return steps_[n].op != nullptr; }
  const op_info& op(std::size_t n) const {
    const step& s = steps_[n];
    if (!s.op) fail("unsupported op '", s.name, "'", s.loc.empty() ? "" : " at ", s.loc, ": no runtime kernel for it");
    return *s.op;
  }

  // "node 3 (matmul, model.py:12)", the prefix of every error a node's op raises.
  std::string where(std::size_t n) const {
    const step& s = steps_[n];
    return "node " + std::to_string(n) + " (" + s.name + (s.loc.empty() ? "" : ", " + s.loc) + ")";
  }

  context at(std::size_t n) const {
    const step& s = steps_[n];
    return context(s.in, s.out, s.name, s.loc, &s.prepared, s.choice);
  }
  const std::vector<slot*>& inputs(std::size_t n) const { return steps_[n].in; }
  const std::vector<slot*>& outputs(std::size_t n) const { return steps_[n].out; }

  // Output kinds, dtypes and shapes (or meta values) of node n from its input slots.
  void infer(std::size_t n) const {
    const op_info& o = op(n);
    auto c = at(n);
    try {
      o.infer(c);
    } catch (const error& e) {
      fail(where(n), ": ", e.what());
    }
  }

  // Runs node n's kernel on the bytes its slots point at.
  void run(std::size_t n) const {
    const op_info& o = op(n);
    check(o.run != nullptr, where(n), ": op has no kernel for non-constant inputs");
    auto c = at(n);
    try {
      o.run(c);
    } catch (const error& e) {
      fail(where(n), ": ", e.what());
    }
  }

  // Records node n's kernel path (its op's choose(), on the inferred slots): the planner calls it
  // once per plan for each node it will run; run() then takes that path. -1: the op has one.
  void choose(std::size_t n) {
    const op_info& o = op(n);
    if (!o.choose) return;
    try {
      steps_[n].choice = o.choose(at(n));
    } catch (const error& e) {
      fail(where(n), ": ", e.what());
    }
  }
  int choice(std::size_t n) const { return steps_[n].choice; }
  // "gemm8", "f32"...: the recorded path's name; empty where none was recorded.
  std::string choice_name(std::size_t n) const {
    const step& s = steps_[n];
    return s.choice >= 0 && s.op && s.op->choice_name ? s.op->choice_name(s.choice) : "";
  }

  // Every input of node n is known now: a constant tensor or a meta value.
  bool inputs_constant(std::size_t n) const {
    return std::all_of(steps_[n].in.begin(), steps_[n].in.end(), [](const slot* s) { return s->is_const || !s->is_tensor(); });
  }
  bool has_tensor_output(std::size_t n) const {
    return std::any_of(steps_[n].out.begin(), steps_[n].out.end(), [](const slot* s) { return s->is_tensor(); });
  }

  // Computes an inferred node once, now: its tensor outputs get storage of their own (a view
  // op's output aliases input 0), the kernel runs, and the outputs become constants.
  void fold(std::size_t n) const {
    const op_info& o = op(n);
    for (slot* s : steps_[n].out) {
      if (s->is_tensor()) {
        if (o.view) {
          s->data = steps_[n].in.at(0)->data;
          s->owner = steps_[n].in.at(0)->owner;
        } else {
          tensor t = tensor::empty(s->type, s->shape);
          s->data = t.data;
          s->owner = t.owner;
        }
      }
      s->is_const = true;
    }
    if (!o.view) run(n);
    steps_[n].prepared.reset();  // a folded node never runs again
  }

 private:
  slot& slot_at(std::size_t n, int v) {
    check(v >= 0 && static_cast<std::size_t>(v) < slots_.size(), where(n), " refers to value ", v, "; the graph has ", slots_.size(), " values");
    return slots_[static_cast<std::size_t>(v)];
  }

  struct step {
    const op_info* op = nullptr;
    std::string name, loc;
    std::vector<slot*> in, out;
    mutable std::shared_ptr<void> prepared;  // context::prepared: what the op keeps across runs
    int choice = -1;                         // choose(): the kernel path of this plan
  };
  std::vector<slot> slots_;
  std::vector<step> steps_;
};

}  // namespace cactus::ops
