#pragma once
// A causal language model bundle with a KV cache (lower/kv_cache.hpp): its "prefill" component
// runs the whole prompt in one pass and its "decode" component one token per call, both over the
// caches the session holds. The caches are allocated here, before a generation, with room for the
// prompt plus the tokens to generate (their capacity dim, from the manifest, up to the positions
// the model was exported for), and appended in place by the graphs. generate() samples each next
// token (runtime/llm/sampler.hpp), calls back per token, and stops at max_new_tokens or an id of
// the EOS set; generation_config reads that set and the sampling defaults from the bundle's
// generation_config.json / config.json as transformers does.
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <limits>
#include <set>
#include <span>
#include <string>
#include <vector>

#include "cactus/core/json_read.hpp"
#include "cactus/runtime/llm/sampler.hpp"
#include "cactus/runtime/session.hpp"

namespace cactus::runtime::llm {

// The EOS ids and sampling defaults of a checkpoint (transformers' GenerationConfig): sampling
// only when do_sample is true (else greedy), top_k 50, top_p 1, min_p off and repetition penalty
// 1 unless the file says otherwise.
struct generation_config {
  std::set<std::int64_t> eos;
  sampling defaults;

  static generation_config read(const std::filesystem::path& dir) {
    generation_config g;
    g.defaults.top_k = 50;
    auto ids_of = [&](const nlohmann::json& j, const std::string& where) {
      auto it = j.find("eos_token_id");
      if (it == j.end() || it->is_null()) return false;
      if (it->is_array()) {
        for (auto& v : *it) g.eos.insert(json_integer(v, where + ": eos_token_id"));
      } else {
        g.eos.insert(json_integer(*it, where + ": eos_token_id"));
      }
      return true;
    };
    const auto gen_path = dir / "generation_config.json", cfg_path = dir / "config.json";
    bool found = false;
    if (path_exists(gen_path)) {
      const auto j = read_json(gen_path);
      const std::string where = gen_path.string();
      found = ids_of(j, where);
      auto num = [&](const char* key, float fallback) {
        auto it = j.find(key);
        if (it == j.end() || it->is_null()) return fallback;
        check(it->is_number(), where, ": \"", key, "\" must be a number");
        return it->get<float>();
      };
      const bool do_sample = j.value("do_sample", false);
      g.defaults.temperature = do_sample ? num("temperature", 1.0f) : 0.0f;
      g.defaults.top_k = static_cast<int>(num("top_k", 50.0f));
      g.defaults.top_p = num("top_p", 1.0f);
      g.defaults.min_p = num("min_p", 0.0f);
      g.defaults.repetition_penalty = num("repetition_penalty", 1.0f);
    }
    if (!found && path_exists(cfg_path)) {
      const auto j = read_json(cfg_path);
      if (!ids_of(j, cfg_path.string()) && j.contains("text_config")) ids_of(j["text_config"], cfg_path.string() + ": text_config");
    }
    return g;
  }
};

struct generation_stats {
  std::size_t prompt_tokens = 0, generated_tokens = 0;
  double prefill_ms = 0, decode_ms = 0;
  double ttft_ms = 0;       // prompt in to first token out (prefill and one sampling)
  double prefill_tok_s = 0;  // prompt tokens per second of prefill
  double decode_tok_s = 0;   // tokens per second of the decode steps (the first token excluded)
  bool stopped_on_eos = false;
};

struct generation_request {
  std::vector<std::int64_t> prompt;
  int max_new_tokens = 64;
  sampling sample;
  std::set<std::int64_t> eos;  // stop after one of these (it is part of the output)
  bool keep_logits = false;    // keep each step's next-token logits (f32 [steps, V])
};

struct generation_result {
  std::vector<std::int64_t> ids;  // generated, prompt excluded
  tensor logits;                  // with keep_logits: row i the logits that chose ids[i]
  generation_stats stats;
};

class causal_lm {
 public:
  static bool is_causal_lm(const bundle::manifest& m) { return m.find("prefill") != nullptr && m.find("decode") != nullptr; }

  explicit causal_lm(session& s) : s_(s) {
    check(is_causal_lm(s.manifest()), s.dir().string(), ": not a causal LM bundle with a KV cache (components 'prefill' and 'decode'; "
          "`cactus transpile` of a Hugging Face causal LM writes them)");
    for (const auto& in : s.manifest().find("prefill")->inputs) {
      if (in.state.empty() || in.capacity_dim < 0) continue;  // a fixed-size state (a sliding window's ring)
      check(in.capacity_dim < static_cast<int>(in.shape.size()), s.dir().string(), ": state input '", in.name,
            "' has a capacity dim past its shape in components/manifest.json");
      max_positions_ = max_positions_ ? std::min(max_positions_, in.shape[static_cast<std::size_t>(in.capacity_dim)])
                                      : in.shape[static_cast<std::size_t>(in.capacity_dim)];
    }
    if (max_positions_ == 0) max_positions_ = std::numeric_limits<std::int32_t>::max();  // rings only: no bound from the caches
    config_ = generation_config::read(s.dir());
  }

  // The most positions (prompt plus generated tokens) the caches can hold.
  std::int64_t max_positions() const { return max_positions_; }
  const generation_config& config() const { return config_; }

  // Caches with room for `positions` (kept when they have exactly that room already); fixed-size
  // states (a sliding window's ring) keep the size the manifest gives.
  void reserve(std::int64_t positions) {
    check(positions >= 1 && positions <= max_positions_, s_.dir().string(), ": ", positions, " positions do not fit the bundle's KV cache (1 to ",
          max_positions_, ")");
    for (const auto& in : s_.manifest().find("prefill")->inputs) {
      if (in.state.empty()) continue;
      shape_t shape = in.shape;
      if (in.capacity_dim >= 0) shape[static_cast<std::size_t>(in.capacity_dim)] = positions;
      const tensor* have = s_.state(in.state);
      if (have && have->shape == shape) continue;
      s_.set_state(in.state, tensor::empty(dtype_from_name(in.dtype), shape));
    }
  }

  // The logits after new tokens `ids` at absolute positions p, p + 1, ... (the cache holds the
  // positions before p): one token after the first goes through decode, else prefill.
  tensor forward(const std::vector<std::int64_t>& ids, std::int64_t p) {
    const std::string component = ids.size() == 1 && p > 0 ? "decode" : "prefill";
    auto out = s_.run(component, inputs_for(component, ids, p));
    check(!out.empty() && out[0].type == dtype::f32 && !out[0].shape.empty() && out[0].shape.back() > 0, s_.dir().string(),
          ": the first output of '", component, "' is not logits (f32 [..., V])");
    return out[0];
  }

  // Runs the prompt, then samples up to r.max_new_tokens tokens; on_token sees each id as it is
  // chosen (return false to stop).
  generation_result generate(const generation_request& r, const std::function<bool(std::int64_t)>& on_token = {}) {
    const std::string where = s_.dir().string();
    check(!r.prompt.empty(), where, ": generation needs a prompt of at least one token");
    check(r.max_new_tokens >= 0, "--max-new-tokens must be at least 0, got ", r.max_new_tokens);
    const auto N = static_cast<std::int64_t>(r.prompt.size());
    const std::int64_t room = N + r.max_new_tokens;
    check(room <= max_positions_, where, ": a prompt of ", N, " tokens plus --max-new-tokens ", r.max_new_tokens, " needs ", room,
          " positions; the bundle's KV cache holds at most ", max_positions_, " (the sequence length the model was exported for)");
    reserve(room);
    sampler pick(r.sample);
    generation_result res;
    std::vector<std::int64_t> seen = r.prompt;
    using clock = std::chrono::steady_clock;
    const auto t0 = clock::now();
    tensor logits = forward(r.prompt, 0);
    res.stats.prompt_tokens = r.prompt.size();
    res.stats.prefill_ms = ms_since(t0);
    std::vector<float> kept;
    std::int64_t V = 0;
    auto choose = [&](const tensor& l) {
      V = l.shape.back();
      std::span<const float> last(l.ptr<float>() + l.numel() - V, static_cast<std::size_t>(V));
      if (r.keep_logits) kept.insert(kept.end(), last.begin(), last.end());
      return pick.next(last, seen);
    };
    std::int64_t pos = N;
    auto t_decode = clock::now();
    for (int step = 0; step < r.max_new_tokens; ++step) {
      if (step > 0) logits = forward({res.ids.back()}, pos++);
      const std::int64_t id = choose(logits);
      if (step == 0) {
        res.stats.ttft_ms = ms_since(t0);
        t_decode = clock::now();
      }
      res.ids.push_back(id);
      seen.push_back(id);
      const bool go_on = !on_token || on_token(id);
      if (r.eos.count(id)) {
        res.stats.stopped_on_eos = true;
        break;
      }
      if (!go_on) break;
    }
    res.stats.generated_tokens = res.ids.size();
    res.stats.decode_ms = ms_since(t_decode);
    res.stats.prefill_tok_s = res.stats.prefill_ms > 0 ? 1e3 * double(N) / res.stats.prefill_ms : 0;
    if (res.ids.size() > 1) res.stats.decode_tok_s = 1e3 * double(res.ids.size() - 1) / std::max(res.stats.decode_ms, 1e-9);
    if (r.keep_logits && V > 0) {
      res.logits = tensor::empty(dtype::f32, {static_cast<std::int64_t>(kept.size()) / V, V});
      std::copy(kept.begin(), kept.end(), res.logits.ptr<float>());
    }
    return res;
  }

 private:
  static double ms_since(std::chrono::steady_clock::time_point t) {
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t).count();
  }

  // The non-state inputs of `component` for new tokens `ids` starting at absolute position `p`.
  std::vector<tensor> inputs_for(const std::string& component, const std::vector<std::int64_t>& ids, std::int64_t p) const {
    std::vector<tensor> in;
    const auto L = static_cast<std::int64_t>(ids.size());
    for (const auto& spec : s_.manifest().find(component)->inputs) {
      if (!spec.state.empty()) continue;
      if (spec.name == "input_ids") {
        tensor t = tensor::empty(dtype::i64, {1, L});
        std::copy(ids.begin(), ids.end(), t.ptr<std::int64_t>());
        in.push_back(std::move(t));
      } else if (spec.name == "position_ids") {
        tensor t = tensor::empty(dtype::i64, {1, L});
        for (std::int64_t i = 0; i < L; ++i) t.ptr<std::int64_t>()[i] = p + i;
        in.push_back(std::move(t));
      } else if (spec.name == "cache_position") {
        tensor t = tensor::empty(dtype::i64, {1});
        t.ptr<std::int64_t>()[0] = p;
        in.push_back(std::move(t));
      } else {
        fail(s_.dir().string(), ": component '", component, "' takes an input '", spec.name,
             "' that generation does not know how to give (input_ids, position_ids, cache_position and state)");
      }
    }
    return in;
  }

  session& s_;
  std::int64_t max_positions_ = 0;
  generation_config config_;
};

}  // namespace cactus::runtime::llm
