#pragma once
// One run of a bundle, as `cactus run` makes it: the inputs of the session's first component
// come from .npy files (in order or by name), token ids, or a prompt tokenized with the bundle's
// tokenizer.json (through its chat template, or raw); the component runs once on the session,
// and with max_new_tokens its first output is read as next-token logits and tokens are appended
// greedily (runtime/llm/generate.hpp), their text streamed as it is generated. With an audio
// file, a speech bundle's input features come from the WAV through the bundle's
// preprocessor_config.json (runtime/audio/), in chunks as long as the model takes, and a CTC or
// TDT bundle's transcript is decoded from what its components give. The request's
// fields are the flags of `cactus run`, and its errors name those flags.
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "cactus/core/npy.hpp"
#include "cactus/core/whole_number.hpp"
#include "cactus/runtime/audio/ctc.hpp"
#include "cactus/runtime/audio/feature_extractor.hpp"
#include "cactus/runtime/audio/resample.hpp"
#include "cactus/runtime/audio/tdt.hpp"
#include "cactus/runtime/audio/wav.hpp"
#include "cactus/runtime/llm/causal_lm.hpp"
#include "cactus/runtime/llm/generate.hpp"
#include "cactus/runtime/session.hpp"
#include "cactus/tokenizer/chat_template.hpp"
#include "cactus/tokenizer/text_stream.hpp"
#include "cactus/tokenizer/tokenizer.hpp"

namespace cactus::runtime {

struct run_request {
  std::vector<std::string> inputs;                  // --input FILE.npy or NAME=FILE.npy
  std::optional<std::string> input_ids;             // --input-ids 1,2,3
  std::optional<std::string> audio;                 // --audio FILE.wav (a speech bundle)
  std::optional<std::string> prompt, raw_prompt;    // --prompt (chat template applied), --raw-prompt
  std::optional<std::string> system;                // --system, with --prompt
  std::vector<std::string> chat_vars;               // --chat-var KEY=JSON, with --prompt
  std::optional<int> max_new_tokens;                // --max-new-tokens (a KV-cache bundle: 128 when not given)
  // a KV-cache bundle's sampling (runtime/llm/causal_lm.hpp): unset values come from the
  // bundle's generation_config.json
  std::optional<float> temperature, top_p, min_p, repetition_penalty;
  std::optional<int> top_k;
  std::uint64_t seed = 0;
  bool thinking = false;   // --thinking: the chat template's enable_thinking (off unless given)
  bool keep_logits = false;  // keep each generated token's logits (run_result::step_logits)
};

struct run_result {
  std::vector<tensor> inputs;   // what the component ran on (the prompt's ids included)
  std::vector<tensor> outputs;  // of the last run (the one that gave the last generated id)
  std::vector<std::int64_t> generated;
  std::optional<std::string> generated_text;  // when a tokenizer decoded `generated`
  double milliseconds = 0;                    // the run, generation included
  std::vector<std::int64_t> prompt;           // a KV-cache bundle: the prompt's ids
  std::optional<llm::generation_stats> stats;  // a KV-cache bundle: its generation's figures
  tensor step_logits;                         // with keep_logits: [generated, V]
  std::optional<double> audio_seconds;         // --audio: the file's length
  std::size_t audio_chunks = 0;                // --audio: the model's runs (one per chunk)
};

namespace detail {
inline tensor token_tensor(const std::vector<std::int64_t>& ids) {
  tensor t = tensor::empty(dtype::i64, {1, static_cast<std::int64_t>(ids.size())});
  std::copy(ids.begin(), ids.end(), t.ptr<std::int64_t>());
  return t;
}

inline std::vector<int> prompt_ids(const std::string& dir, const run_request& r, const tokenizer::tokenizer& tok) {
  const std::string flag = r.prompt ? "--prompt" : "--raw-prompt";
  std::vector<int> ids;
  if (r.prompt) {
    auto tmpl = tokenizer::chat_template::open(dir);
    check(tmpl.has_value(), dir, ": the bundle has no chat template (chat_template.jinja or tokenizer_config.json's chat_template) for --prompt; --raw-prompt TEXT tokenizes TEXT without one");
    tokenizer::chat_request req;
    if (r.system) req.messages.push_back({{"role", "system"}, {"content", *r.system}});
    req.messages.push_back({{"role", "user"}, {"content", *r.prompt}});
    req.variables["enable_thinking"] = r.thinking;
    for (auto& kv : r.chat_vars) {
      const auto eq = kv.find('=');
      check(eq != std::string::npos && eq > 0, "--chat-var: '", kv, "' is not KEY=VALUE");
      const std::string v = kv.substr(eq + 1);
      auto parsed = nlohmann::ordered_json::parse(v, nullptr, false);
      req.variables[kv.substr(0, eq)] = parsed.is_discarded() ? nlohmann::ordered_json(v) : parsed;
    }
    ids = tok.encode(tmpl->render(req), false);
  } else {
    ids = tok.encode(*r.raw_prompt, true);
  }
  check(!ids.empty(), flag, ": the prompt has no tokens");
  return ids;
}
}  // namespace detail

// The inputs `r` gives the graph `g` (the session's first component), in the graph's order;
// `tok` is opened when the request has a prompt.
inline std::vector<tensor> gather_inputs(const std::string& dir, const ir::graph& g, const run_request& r, std::optional<tokenizer::tokenizer>& tok) {
  check(!(r.prompt && r.raw_prompt), "--prompt and --raw-prompt: give one of them (--raw-prompt skips the chat template)");
  check(r.prompt || (!r.system && r.chat_vars.empty()), "--system and --chat-var go with --prompt");
  std::vector<tensor> inputs(g.inputs.size());
  std::size_t next = 0;
  for (auto& spec : r.inputs) {
    const auto eq = spec.find('=');
    std::size_t slot = next;
    std::string path = spec;
    if (eq != std::string::npos) {
      const std::string nm = spec.substr(0, eq);
      path = spec.substr(eq + 1);
      slot = g.inputs.size();
      for (std::size_t i = 0; i < g.inputs.size(); ++i)
        if (g.values[static_cast<std::size_t>(g.inputs[i])].name == nm) slot = i;
      check(slot < g.inputs.size(), "the bundle has no input named '", nm, "'");
    } else {
      ++next;
    }
    check(slot < inputs.size(), "too many --input files: the bundle takes ", inputs.size());
    inputs[slot] = npy_load(path);
  }
  auto take = [&](const std::string& flag, tensor t) {
    check(next < inputs.size(), flag, ": the bundle takes ", inputs.size(), " input", inputs.size() == 1 ? "" : "s", ", all given already by --input");
    inputs[next++] = std::move(t);
  };
  if (r.prompt || r.raw_prompt) {
    const std::string flag = r.prompt ? "--prompt" : "--raw-prompt";
    check(!r.input_ids, flag, " and --input-ids: give one of them");
    check(std::filesystem::exists(std::filesystem::path(dir) / "tokenizer.json"), dir, ": no tokenizer.json in the bundle for ", flag,
          " (cactus convert of a Hugging Face directory copies it)");
    tok = tokenizer::tokenizer::open(dir);
    const auto ids = detail::prompt_ids(dir, r, *tok);
    take(flag, detail::token_tensor(std::vector<std::int64_t>(ids.begin(), ids.end())));
  }
  if (r.input_ids) {
    std::vector<std::int64_t> ids;
    std::stringstream ss(*r.input_ids);
    for (std::string s; std::getline(ss, s, ',');) ids.push_back(whole_number(s, "--input-ids", "a token id", (1 << 24) - 1));
    take("--input-ids", detail::token_tensor(ids));
  }
  for (std::size_t i = 0; i < inputs.size(); ++i)
    check(inputs[i].data != nullptr, "input ", i, " ('", g.values[static_cast<std::size_t>(g.inputs[i])].name, "') was not given; the bundle takes ",
          inputs.size(), " inputs");
  return inputs;
}

// Generation on a KV-cache bundle: the prompt (ids, or text through the chat template) in one
// prefill, then tokens sampled one decode step at a time until --max-new-tokens or an EOS id, the
// text streamed to on_text as it comes.
inline run_result run_causal_lm(session& s, const run_request& r, const std::function<void(const std::string&)>& on_text) {
  const std::string dir = s.dir().string();
  check(r.inputs.empty(), "--input: a causal LM bundle takes --prompt, --raw-prompt or --input-ids");
  check(!(r.prompt && r.raw_prompt), "--prompt and --raw-prompt: give one of them (--raw-prompt skips the chat template)");
  check(r.prompt || (!r.system && r.chat_vars.empty() && !r.thinking), "--system, --thinking and --chat-var go with --prompt");
  check(int(r.prompt.has_value()) + int(r.raw_prompt.has_value()) + int(r.input_ids.has_value()) == 1,
        "a causal LM bundle takes one of --prompt, --raw-prompt and --input-ids");
  llm::causal_lm lm(s);
  run_result res;
  std::optional<tokenizer::tokenizer> tok;
  if (r.input_ids) {
    std::stringstream ss(*r.input_ids);
    for (std::string t; std::getline(ss, t, ',');) res.prompt.push_back(whole_number(t, "--input-ids", "a token id", (1 << 24) - 1));
  } else {
    const std::string flag = r.prompt ? "--prompt" : "--raw-prompt";
    check(std::filesystem::exists(s.dir() / "tokenizer.json"), dir, ": no tokenizer.json in the bundle for ", flag,
          " (cactus transpile of a Hugging Face directory copies it; --input-ids needs none)");
    tok = tokenizer::tokenizer::open(dir);
    for (int id : detail::prompt_ids(dir, r, *tok)) res.prompt.push_back(id);
  }
  llm::generation_request g;
  g.prompt = res.prompt;
  g.max_new_tokens = r.max_new_tokens.value_or(128);
  g.eos = lm.config().eos;
  g.sample = lm.config().defaults;
  if (r.temperature) g.sample.temperature = *r.temperature;
  if (r.top_k) g.sample.top_k = *r.top_k;
  if (r.top_p) g.sample.top_p = *r.top_p;
  if (r.min_p) g.sample.min_p = *r.min_p;
  if (r.repetition_penalty) g.sample.repetition_penalty = *r.repetition_penalty;
  g.sample.seed = r.seed;
  g.keep_logits = r.keep_logits;
  std::optional<tokenizer::text_stream> stream;
  if (tok && on_text) stream.emplace(*tok);
  std::vector<int> shown;  // the ids whose text is streamed (an EOS id is not)
  const auto t0 = std::chrono::steady_clock::now();
  auto out = lm.generate(g, [&](std::int64_t id) {
    if (stream && !g.eos.count(id)) {
      shown.push_back(static_cast<int>(id));
      on_text(stream->next(shown));
    }
    return true;
  });
  if (stream) on_text(stream->finish(shown) + "\n");
  res.milliseconds = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  res.generated = out.ids;
  res.stats = out.stats;
  res.step_logits = out.logits;
  if (!out.logits.shape.empty()) res.outputs.push_back(out.logits);
  if (tok) {
    std::vector<int> text_ids;
    for (auto id : res.generated)
      if (!g.eos.count(id)) text_ids.push_back(static_cast<int>(id));
    res.generated_text = tok->decode(text_ids);
  }
  return res;
}

namespace detail {
// The bundle's config.json (copied from the checkpoint), or null when it has none.
inline nlohmann::json bundle_config(const std::filesystem::path& dir) {
  const auto p = dir / "config.json";
  return path_exists(p) ? read_json(p) : nlohmann::json();
}

// The greedy TDT loop over a TDT bundle's decoder and joint components, the decoder's state
// (session state, as the manifest marks it) set to zeros in the shapes the manifest gives.
inline audio::tdt_greedy tdt_over(session& s, audio::tdt_config c) {
  for (const char* name : {"encoder", "decoder", "joint"})
    check(s.manifest().find(name) != nullptr, s.dir().string(), ": a TDT bundle has the components encoder, decoder and joint; '", name,
          "' is missing");
  for (auto& in : s.manifest().find("decoder")->inputs)
    if (!in.state.empty()) {
      check(in.dtype == "f32", s.dir().string(), ": the decoder's state '", in.state, "' is ", in.dtype, "; the TDT loop starts f32 state only");
      tensor z = tensor::empty(dtype::f32, in.shape);
      std::fill(z.ptr<float>(), z.ptr<float>() + z.numel(), 0.0f);
      s.set_state(in.state, std::move(z));
    }
  return audio::tdt_greedy(
      std::move(c), [&s](const tensor& frame, const tensor& dec) { return s.run("joint", {frame, dec}).at(0); },
      [&s](std::int64_t token) {
        tensor id = tensor::empty(dtype::i64, {1, 1});
        *id.ptr<std::int64_t>() = token;
        return s.run("decoder", {id}).at(0);
      });
}
}  // namespace detail

// A speech model on a WAV file: the audio resampled to the rate the bundle's
// preprocessor_config.json names, cut into chunks as long as the model takes (Whisper: its
// chunk_length, 30 s, the last chunk padded as the feature extractor pads; Parakeet: the
// encoder's max_position_embeddings frames after subsampling), the features of each run through
// the first component (a transducer's encoder), and each output's chunks joined along its time
// axis (dim 1). A CTC bundle's logits are then decoded greedily (blank: config.json's
// pad_token_id); a TDT bundle's encoder output is decoded chunk by chunk as it comes, by the
// greedy TDT loop over its decoder and joint components (audio/tdt.hpp). The ids are
// detokenized when the bundle has a tokenizer.
inline run_result run_audio(session& s, const run_request& r) {
  const std::string dir = s.dir().string();
  check(r.inputs.empty() && !r.input_ids && !r.prompt && !r.raw_prompt, "--audio gives the speech bundle's input: no --input, --input-ids or prompt with it");
  check(!r.max_new_tokens, "--max-new-tokens: not with --audio");
  const auto cfg_path = s.dir() / "preprocessor_config.json";
  check(path_exists(cfg_path), dir, ": no preprocessor_config.json in the bundle, so --audio does not know the model's features (transpile "
        "the speech model from its Hugging Face directory, which has one)");
  const auto cfg = audio::read_feature_config(cfg_path);
  const std::string component = s.manifest().components.front().name;
  executor& ex = s.component(component);
  check(ex.num_inputs() == 1, dir, ": --audio runs bundles of one input (the features); this one takes ", ex.num_inputs());
  const auto config = detail::bundle_config(s.dir());
  std::optional<audio::tdt_greedy> tdt;
  if (s.manifest().task == "tdt_transcription") {
    const auto gen = s.dir() / "generation_config.json";
    tdt.emplace(detail::tdt_over(s, audio::read_tdt_config(config, path_exists(gen) ? read_json(gen) : nlohmann::json(), dir)));
  }
  const auto w = audio::resampled(audio::read_wav(*r.audio), cfg.sample_rate);
  check(!w.samples.empty(), *r.audio, ": the WAV file holds no samples");
  std::size_t chunk = w.samples.size();
  if (cfg.kind == audio::feature_kind::whisper) {
    chunk = static_cast<std::size_t>(cfg.chunk_seconds) * static_cast<std::size_t>(cfg.sample_rate);
  } else if (config.is_object() && config.contains("encoder_config") && config["encoder_config"].is_object()) {
    const auto& enc = config["encoder_config"];
    const auto positions = json_integer_or<std::int64_t>(enc, "max_position_embeddings", dir + "/config.json: encoder_config", 0);
    const auto factor = json_integer_or<std::int64_t>(enc, "subsampling_factor", dir + "/config.json: encoder_config", 8);
    if (positions > 0 && factor > 0) chunk = static_cast<std::size_t>((positions - 1) * factor) * static_cast<std::size_t>(cfg.hop);
  }
  run_result res;
  res.audio_seconds = w.seconds();
  std::vector<std::vector<tensor>> parts;
  const auto t0 = std::chrono::steady_clock::now();
  for (std::size_t at = 0; at < w.samples.size(); at += chunk) {
    const std::vector<float> piece(w.samples.begin() + static_cast<std::ptrdiff_t>(at),
                                   w.samples.begin() + static_cast<std::ptrdiff_t>(std::min(w.samples.size(), at + chunk)));
    auto f = audio::extract_features(cfg, piece);
    tensor x = tensor::empty(dtype::f32, f.shape);
    std::copy(f.data.begin(), f.data.end(), static_cast<float*>(x.data));
    if (res.inputs.empty()) res.inputs.push_back(x);
    parts.push_back(s.run(component, {x}));
    if (tdt) tdt->feed(parts.back().at(0));
  }
  res.audio_chunks = parts.size();
  if (parts.size() == 1) {
    res.outputs = std::move(parts.front());
  } else {
    for (std::size_t o = 0; o < parts.front().size(); ++o) {
      const tensor& first = parts.front()[o];
      check(first.shape.size() >= 2 && first.shape[0] == 1, dir, ": output ", o, " of shape ", to_string(first.shape),
            " cannot be joined across audio chunks (expected [1, time, ...])");
      shape_t shape = first.shape;
      shape[1] = 0;
      for (auto& p : parts) shape[1] += p[o].shape[1];
      tensor joined = tensor::empty(first.type, shape);
      std::size_t off = 0;
      for (auto& p : parts) {
        std::memcpy(static_cast<char*>(joined.data) + off, p[o].data, p[o].bytes());
        off += p[o].bytes();
      }
      res.outputs.push_back(std::move(joined));
    }
  }
  if (s.manifest().task == "ctc_logits") {
    check(config.is_object() && config.contains("pad_token_id"), dir, ": a CTC bundle needs config.json's pad_token_id (the blank token)");
    const auto blank = json_integer<std::int64_t>(config["pad_token_id"], dir + "/config.json: pad_token_id");
    check(!res.outputs.empty(), dir, ": the CTC model gave no output");
    res.generated = audio::ctc_greedy(res.outputs[0], blank);
  }
  if (tdt) res.generated = tdt->ids();
  if ((tdt || s.manifest().task == "ctc_logits") && path_exists(s.dir() / "tokenizer.json"))
    res.generated_text = tokenizer::tokenizer::open(dir).decode(std::vector<int>(res.generated.begin(), res.generated.end()));
  res.milliseconds = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  return res;
}

// Runs the session's first component on what `r` gives; `on_text` sees the generated text piece
// by piece as it is generated (with a tokenizer), and once more with the rest at the end.
inline run_result run(session& s, const run_request& r, const std::function<void(const std::string&)>& on_text = {}) {
  const std::string dir = s.dir().string();
  check(!s.manifest().components.empty(), dir, ": the bundle has no components");
  if (llm::causal_lm::is_causal_lm(s.manifest())) {
    check(!r.audio, "--audio: this bundle is a causal LM; it takes --prompt, --raw-prompt or --input-ids");
    return run_causal_lm(s, r, on_text);
  }
  if (r.audio) return run_audio(s, r);
  check(!r.temperature && !r.top_p && !r.min_p && !r.repetition_penalty && !r.top_k && r.seed == 0,
        "--temperature, --top-k, --top-p, --min-p, --repetition-penalty and --seed are for KV-cache bundles (a causal LM transpiled from a "
        "Hugging Face checkpoint); this bundle generates greedily");
  const std::string component = s.manifest().components.front().name;
  executor& ex = s.component(component);
  std::optional<tokenizer::tokenizer> tok;
  run_result res;
  res.inputs = gather_inputs(dir, ex.graph(), r, tok);
  const auto t0 = std::chrono::steady_clock::now();
  res.outputs = s.run(component, res.inputs);
  if (r.max_new_tokens.value_or(0) > 0) {
    const tensor& first = res.inputs.at(0);
    check(first.type == dtype::i64 && first.shape.size() == 2 && first.shape[0] == 1, "--max-new-tokens needs --input-ids, --prompt or --raw-prompt");
    std::optional<tokenizer::text_stream> stream;
    if (tok) stream.emplace(*tok);
    auto as_ints = [](const std::vector<std::int64_t>& ids) { return std::vector<int>(ids.begin(), ids.end()); };
    auto g = llm::generate_greedy(ex, first, std::move(res.outputs), *r.max_new_tokens, [&](const std::vector<std::int64_t>& ids) {
      if (stream && on_text) on_text(stream->next(as_ints(ids)));
    });
    res.generated = std::move(g.ids);
    res.outputs = std::move(g.outputs);
    if (stream && on_text) on_text(stream->finish(as_ints(res.generated)) + "\n");
  }
  res.milliseconds = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  if (tok && !res.generated.empty()) res.generated_text = tok->decode(std::vector<int>(res.generated.begin(), res.generated.end()));
  return res;
}

// Per-op wall time over `runs` more runs of `ex` on `inputs` (after one warm-up run).
struct op_profile {
  struct row {
    std::string op;
    double ms_per_run;
    std::size_t calls_per_run;
  };
  int runs = 0;
  double ms_per_run = 0, ms_in_ops = 0;  // wall time per run; the ops' share of it
  std::vector<row> rows;                 // slowest first
};

namespace detail {
// ex's per-op totals over `per` units (runs, tokens) of `ms_total` wall milliseconds
inline op_profile profile_of(const executor& ex, int runs, std::size_t per, double ms_total) {
  op_profile p;
  p.runs = runs;
  if (per == 0) return p;
  p.ms_per_run = ms_total / static_cast<double>(per);
  for (auto& [op, e] : ex.profile()) {
    p.rows.push_back({op, e.first / static_cast<double>(per), e.second / per});
    p.ms_in_ops += e.first / static_cast<double>(per);
  }
  std::sort(p.rows.begin(), p.rows.end(), [](const auto& x, const auto& y) { return x.ms_per_run > y.ms_per_run; });
  return p;
}
}  // namespace detail

inline op_profile profile_runs(executor& ex, const std::vector<tensor>& inputs, int runs) {
  check(runs > 0, "profiling takes a positive number of runs, got ", runs);
  for (std::size_t i = 0; i < inputs.size(); ++i) ex.set_input(i, inputs[i]);
  ex.execute();  // warm-up
  ex.set_profiling(true);
  const auto t0 = std::chrono::steady_clock::now();
  for (int k = 0; k < runs; ++k) ex.execute();
  const op_profile p = detail::profile_of(ex, runs, static_cast<std::size_t>(runs),
                                          std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
  ex.set_profiling(false);
  return p;
}

// Per-op wall time of generation on a KV-cache bundle: `runs` more generations of `r` (after
// the one the caller ran: caches and plans are warm), their text not shown. The prefill
// component's figures are per prompt, the decode component's per decode step (a generation's
// tokens after the first); ms_per_run there is the wall time of a step, sampling included.
struct generation_profile {
  op_profile prefill, decode;
  std::size_t decode_steps = 0;  // over all runs
};
inline generation_profile profile_generation(session& s, const run_request& r, int runs) {
  check(runs > 0, "profiling takes a positive number of runs, got ", runs);
  executor &prefill = s.component("prefill"), &decode = s.component("decode");
  prefill.set_profiling(true);
  decode.set_profiling(true);
  double prefill_ms = 0, decode_ms = 0;
  std::size_t steps = 0;
  for (int k = 0; k < runs; ++k) {
    const run_result res = run_causal_lm(s, r, {});
    check(res.stats.has_value(), s.dir().string(), ": a generation gave no figures");
    prefill_ms += res.stats->prefill_ms;
    decode_ms += res.stats->decode_ms;
    steps += res.stats->generated_tokens > 0 ? res.stats->generated_tokens - 1 : 0;
  }
  generation_profile g{detail::profile_of(prefill, runs, static_cast<std::size_t>(runs), prefill_ms), detail::profile_of(decode, runs, steps, decode_ms),
                       steps};
  prefill.set_profiling(false);
  decode.set_profiling(false);
  return g;
}

}  // namespace cactus::runtime
