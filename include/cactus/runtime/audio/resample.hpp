#pragma once
// Sample-rate conversion for the audio front end, by libsamplerate (Debian's libsamplerate0-dev,
// BSD-2-Clause): its best band-limited sinc converter, run over the whole signal at once (no
// delay at either end). Hand-written resampling would alias or ring; this is the library
// audio tools use for exactly this.
#include <samplerate.h>

#include <cmath>
#include <string>
#include <vector>

#include "cactus/core/error.hpp"
#include "cactus/runtime/audio/wav.hpp"

namespace cactus::runtime::audio {

// x at rate `from` -> the same signal at rate `to` (about x.size() * to / from samples).
inline std::vector<float> resample(const std::vector<float>& x, int from, int to) {
  check(from > 0 && to > 0, "resample: sample rates must be positive (from ", from, " Hz to ", to, " Hz)");
  if (from == to || x.empty()) return x;
  const double ratio = static_cast<double>(to) / from;
  check(ratio >= 1.0 / 256 && ratio <= 256, "resample: ", from, " Hz to ", to, " Hz is beyond libsamplerate's ratio range (1/256 to 256)");
  std::vector<float> y(static_cast<std::size_t>(std::ceil(static_cast<double>(x.size()) * ratio)) + 16);
  SRC_DATA d{};
  d.data_in = x.data();
  d.input_frames = static_cast<long>(x.size());
  d.data_out = y.data();
  d.output_frames = static_cast<long>(y.size());
  d.end_of_input = 1;
  d.src_ratio = ratio;
  if (const int e = src_simple(&d, SRC_SINC_BEST_QUALITY, 1); e != 0)
    fail("resample: libsamplerate failed converting ", from, " Hz to ", to, " Hz: ", src_strerror(e));
  y.resize(static_cast<std::size_t>(d.output_frames_gen));
  return y;
}

// The waveform at `rate` (unchanged if it is there already).
inline waveform resampled(waveform w, int rate) {
  if (w.sample_rate == rate) return w;
  w.samples = resample(w.samples, w.sample_rate, rate);
  w.sample_rate = rate;
  return w;
}

}  // namespace cactus::runtime::audio
