#pragma once
// Greedy generation on a causal LM graph whose first input is the token ids [1, N] (int64) and
// whose first output is the logits [1, N, V]: each step appends the argmax of the last position's
// logits and runs the whole sequence again (no KV cache yet: the cost of a step grows with the
// sequence). The executor's other inputs stay as they were set.
#include <algorithm>
#include <cstdint>
#include <functional>
#include <vector>

#include "cactus/runtime/executor.hpp"

namespace cactus::runtime::llm {

struct generation {
  std::vector<std::int64_t> ids;  // the generated ids, prompt excluded
  std::vector<tensor> outputs;    // the outputs of the run that gave the last id
};

// `prompt_outputs` are the outputs of the run on `prompt` (already executed); `on_token` sees
// the ids generated so far after each step (to stream their text).
inline generation generate_greedy(executor& ex, const tensor& prompt, std::vector<tensor> prompt_outputs, int max_new_tokens,
                                  const std::function<void(const std::vector<std::int64_t>&)>& on_token = {}) {
  check(prompt.type == dtype::i64 && prompt.shape.size() == 2 && prompt.shape[0] == 1,
        "generation needs token ids: an int64 [1, N] first input, got ", name_of(prompt.type), " ", to_string(prompt.shape));
  generation r;
  r.outputs = std::move(prompt_outputs);
  std::vector<std::int64_t> seq(prompt.ptr<std::int64_t>(), prompt.ptr<std::int64_t>() + prompt.numel());
  for (int step = 0; step < max_new_tokens; ++step) {
    check(!r.outputs.empty(), "generation: the graph has no outputs");
    const tensor& logits = r.outputs[0];
    check(logits.type == dtype::f32 && !logits.shape.empty() && logits.shape.back() > 0 && logits.numel() >= logits.shape.back(),
          "generation: the first output is not logits (f32 [..., V]), got ", name_of(logits.type), " ", to_string(logits.shape));
    const std::int64_t V = logits.shape.back();
    const float* last = logits.ptr<float>() + logits.numel() - V;
    const std::int64_t best = std::max_element(last, last + V) - last;
    r.ids.push_back(best);
    seq.push_back(best);
    if (on_token) on_token(r.ids);
    if (step + 1 == max_new_tokens) break;
    tensor t = tensor::empty(dtype::i64, {1, static_cast<std::int64_t>(seq.size())});
    std::copy(seq.begin(), seq.end(), t.ptr<std::int64_t>());
    ex.set_input(0, t);
    r.outputs = ex.execute();
  }
  return r;
}

}  // namespace cactus::runtime::llm
