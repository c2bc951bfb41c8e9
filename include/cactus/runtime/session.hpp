#pragma once
// A session: a loaded bundle's executors, one per component, and the state that persists between
// calls. The manifest marks a component's input or output with the name of a state tensor
// (io_spec::state): run() feeds such an input from the session's state and stores such an output
// back into it, so a graph that threads state through its inputs and outputs (the KV cache of a
// decode step, a streaming conv's or LSTM's carry) runs call after call with the caller giving
// only the other inputs. State starts empty: set_state() gives a first value (a state input that
// has none is an error naming it), reset() drops it all.
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "cactus/bundle/load.hpp"

namespace cactus::runtime {

class session {
 public:
  explicit session(const std::filesystem::path& bundle_dir) : b_(bundle::load_bundle(bundle_dir)) {}

  const std::filesystem::path& dir() const { return b_.dir; }
  const bundle::manifest& manifest() const { return b_.manifest; }
  executor& component(const std::string& name) const { return b_.executor(name); }

  void set_state(const std::string& name, tensor t) { state_[name] = std::move(t); }
  const tensor* state(const std::string& name) const {
    auto it = state_.find(name);
    return it == state_.end() ? nullptr : &it->second;
  }
  void reset() { state_.clear(); }

  // Runs `component` on `inputs`, which give, in order, the inputs that are not state.
  std::vector<tensor> run(const std::string& component, const std::vector<tensor>& inputs) {
    const bundle::component* c = b_.manifest.find(component);
    check(c != nullptr, b_.dir.string(), ": the bundle has no component '", component, "'");
    executor& ex = b_.executor(component);
    const std::string where = b_.dir.string() + ": component '" + component + "'";
    check(c->inputs.empty() || c->inputs.size() == ex.num_inputs(), where, ": the manifest lists ", c->inputs.size(), " inputs, the graph takes ",
          ex.num_inputs());
    check(c->outputs.empty() || c->outputs.size() == ex.num_outputs(), where, ": the manifest lists ", c->outputs.size(),
          " outputs, the graph gives ", ex.num_outputs());
    std::size_t given = 0;
    for (std::size_t i = 0; i < ex.num_inputs(); ++i) {
      const std::string st = i < c->inputs.size() ? c->inputs[i].state : std::string();
      if (!st.empty()) {
        const tensor* s = state(st);
        check(s != nullptr, where, ": input '", c->inputs[i].name, "' is the state '", st, "', which has no value yet (set_state gives a first one)");
        ex.set_input(i, *s);
      } else {
        check(given < inputs.size(), where, ": takes ", ex.num_inputs() - state_inputs(*c), " inputs besides its state, ", inputs.size(), " were given");
        ex.set_input(i, inputs[given++]);
      }
    }
    check(given == inputs.size(), where, ": takes ", given, " inputs besides its state, ", inputs.size(), " were given");
    auto out = ex.execute();
    for (std::size_t i = 0; i < c->outputs.size() && i < out.size(); ++i)
      if (!c->outputs[i].state.empty()) state_[c->outputs[i].state] = out[i];
    return out;
  }

 private:
  static std::size_t state_inputs(const bundle::component& c) {
    std::size_t n = 0;
    for (auto& i : c.inputs) n += !i.state.empty();
    return n;
  }

  bundle::loaded_bundle b_;
  std::map<std::string, tensor> state_;
};

}  // namespace cactus::runtime
