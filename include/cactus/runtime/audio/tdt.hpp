#pragma once
// Greedy decoding of a token-and-duration transducer (TDT), the loop of transformers'
// ParakeetForTDT.generate over a TDT bundle's three components (run.hpp gives it the session's):
//   encoder: features -> encoder_output [1, T, H] (run once per audio chunk, by the caller)
//   decoder: the prediction network, one token -> decoder_output [1, 1, H]; its recurrent state
//            is session state (the manifest names it), so it persists between calls
//   joint:   (encoder frame t, decoder_output) -> logits [1, 1, V + D]: V token logits (the blank
//            among them), then one per entry of `durations`
// From frame t = 0 and the decoder's output for the start token: the best token and the best
// duration d; a blank with d = 0 advances one frame all the same; a non-blank token is emitted and
// fed to the decoder (a blank leaves its state and output as they were); t += d; until t passes
// the last frame or the steps (blanks included) reach max_symbols_per_step per frame, less the
// start token (transformers' max_length). Across chunks the decoder's state carries over, and so
// does a duration that jumps past the end of a chunk. The loop sees the networks as two
// functions, so it is tested on its own (tests/runtime/audio_test.cpp).
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "cactus/core/json_read.hpp"
#include "cactus/core/tensor.hpp"

namespace cactus::runtime::audio {

struct tdt_config {
  std::int64_t vocab = 0;               // token logits, the blank included
  std::int64_t blank = 0;               // blank_token_id
  std::int64_t start = 0;               // the decoder's first input: decoder_start_token_id, else the blank
  std::vector<std::int64_t> durations;  // frames advanced per duration logit
  std::int64_t max_symbols_per_step = 10;
};

// From the checkpoint's config.json (vocab_size, blank_token_id, durations, max_symbols_per_step)
// and generation_config.json (decoder_start_token_id; null when the bundle has none).
inline tdt_config read_tdt_config(const nlohmann::json& config, const nlohmann::json& generation, const std::string& where) {
  check(config.is_object(), where, ": a TDT bundle needs the checkpoint's config.json");
  tdt_config c;
  const std::string w = where + "/config.json";
  check(config.contains("vocab_size"), w, ": no vocab_size");
  c.vocab = json_integer<std::int64_t>(config["vocab_size"], w + ": vocab_size");
  c.blank = config.contains("blank_token_id") ? json_integer<std::int64_t>(config["blank_token_id"], w + ": blank_token_id") : -1;
  check(c.blank >= 0 && c.blank < c.vocab, w, ": blank_token_id ", c.blank, " is not a token of the ", c.vocab, " (vocab_size)");
  check(config.contains("durations") && config["durations"].is_array() && !config["durations"].empty(), w, ": no \"durations\" list");
  c.durations = json_integers(config["durations"], w + ": durations");
  for (auto d : c.durations) check(d >= 0, w, ": a duration of ", d, " frames");
  c.max_symbols_per_step = json_integer_or<std::int64_t>(config, "max_symbols_per_step", w, 10);
  check(c.max_symbols_per_step >= 1, w, ": max_symbols_per_step ", c.max_symbols_per_step, " must be at least 1");
  c.start = c.blank;
  if (generation.is_object() && generation.contains("decoder_start_token_id") && !generation["decoder_start_token_id"].is_null())
    c.start = json_integer<std::int64_t>(generation["decoder_start_token_id"], where + "/generation_config.json: decoder_start_token_id");
  check(c.start >= 0 && c.start < c.vocab, where, ": the decoder's start token ", c.start, " is not a token of the ", c.vocab);
  return c;
}

class tdt_greedy {
 public:
  // joint(frame [1, 1, H], decoder_output) -> logits of vocab + durations; decoder(token) ->
  // decoder_output, advancing the decoder's state (which starts from zeros, the caller's part)
  using joint_fn = std::function<tensor(const tensor& frame, const tensor& decoder_output)>;
  using decoder_fn = std::function<tensor(std::int64_t token)>;

  tdt_greedy(tdt_config c, joint_fn joint, decoder_fn decoder) : c_(std::move(c)), joint_(std::move(joint)), decoder_(std::move(decoder)) {}

  // Decodes one chunk's encoder output [1, T, H] (f32), carrying on from the chunks before.
  void feed(const tensor& enc) {
    check(enc.type == dtype::f32 && enc.shape.size() == 3 && enc.shape[0] == 1, "TDT decoding: the encoder gave ", name_of(enc.type), " ",
          to_string(enc.shape), ", expected f32 [1, frames, hidden]");
    const std::int64_t T = enc.shape[1], H = enc.shape[2];
    const auto D = static_cast<std::int64_t>(c_.durations.size());
    if (!started_) {
      dec_ = decoder_(c_.start);
      started_ = true;
      budget_ = -1;  // the start token counts as a step
    }
    budget_ += c_.max_symbols_per_step * T;
    tensor frame = tensor::empty(dtype::f32, {1, 1, H});
    std::int64_t t = skip_;
    while (t < T && steps_ < budget_) {
      std::memcpy(frame.data, enc.ptr<float>() + t * H, static_cast<std::size_t>(H) * sizeof(float));
      const tensor logits = joint_(frame, dec_);
      check(logits.type == dtype::f32 && logits.numel() == c_.vocab + D, "TDT decoding: the joint network gave ", name_of(logits.type), " ",
            to_string(logits.shape), " logits, expected ", c_.vocab, " tokens + ", D, " durations");
      const float* l = logits.ptr<float>();
      const std::int64_t tok = std::max_element(l, l + c_.vocab) - l;  // the first of equals, as argmax
      std::int64_t d = c_.durations[static_cast<std::size_t>(std::max_element(l + c_.vocab, l + c_.vocab + D) - (l + c_.vocab))];
      if (tok == c_.blank && d == 0) d = 1;
      ++steps_;
      if (tok != c_.blank) {
        ids_.push_back(tok);
        dec_ = decoder_(tok);
      }
      t += d;
    }
    skip_ = t > T ? t - T : 0;
  }

  const std::vector<std::int64_t>& ids() const { return ids_; }
  std::int64_t steps() const { return steps_; }  // joint calls so far (blanks included)

 private:
  tdt_config c_;
  joint_fn joint_;
  decoder_fn decoder_;
  tensor dec_;
  bool started_ = false;
  std::int64_t skip_ = 0, steps_ = 0, budget_ = 0;
  std::vector<std::int64_t> ids_;
};

}  // namespace cactus::runtime::audio
