#pragma once
// The speech models' feature front ends, as transformers' feature extractors compute them,
// configured from the checkpoint's preprocessor_config.json:
//   - Whisper (WhisperFeatureExtractor): the audio zero-padded or cut to chunk_length seconds,
//     a reflect-padded STFT (n_fft 400, hop 160, periodic Hann), the power of each bin, the mel
//     bank (0-8 kHz), log10 of it clamped at 1e-10, floored at 8 below the maximum, then
//     (x + 4) / 4. The last STFT frame is dropped: [mels, chunk_length * rate / hop].
//   - Parakeet (ParakeetFeatureExtractor): preemphasis x[i] - 0.97 x[i - 1], a zero-padded STFT
//     (n_fft 512, win_length 400, symmetric Hann), power, the mel bank (0 to rate / 2),
//     ln(x + 2^-24), then each mel channel normalized to zero mean and unit variance (n - 1)
//     over the valid frames (samples / hop of them), with 1e-5 added to the deviation, and the
//     frames past them zeroed: [frames, mels].
// Both compute in double and round to float at the end.
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <string>
#include <vector>

#include "cactus/core/error.hpp"
#include "cactus/core/json_read.hpp"
#include "cactus/runtime/audio/mel_filters.hpp"
#include "cactus/runtime/audio/spectrogram.hpp"

namespace cactus::runtime::audio {

enum class feature_kind { whisper, parakeet };

struct feature_config {
  feature_kind kind = feature_kind::whisper;
  int mels = 80;
  int sample_rate = 16000;
  int n_fft = 400;
  int win_length = 400;
  int hop = 160;
  int chunk_seconds = 30;    // Whisper: the audio is padded or cut to this
  double preemphasis = 0.0;  // Parakeet: 0.97
};

inline feature_config feature_config_from_json(const nlohmann::json& j, const std::string& where) {
  check(j.is_object(), where, ": expected a JSON object");
  const std::string type = json_string(j, "feature_extractor_type", where);
  feature_config c;
  if (type == "WhisperFeatureExtractor") {
    c.kind = feature_kind::whisper;
  } else if (type == "ParakeetFeatureExtractor") {
    c = feature_config{feature_kind::parakeet, 80, 16000, 512, 400, 160, 0, 0.97};
  } else {
    fail(where, ": feature_extractor_type \"", type, "\" is not supported (WhisperFeatureExtractor, ParakeetFeatureExtractor)");
  }
  auto positive = [&](const char* key, int fallback) {
    const int v = json_integer_or<int>(j, key, where, fallback);
    check(v > 0, where, ": \"", key, "\" must be positive, got ", v);
    return v;
  };
  c.mels = positive("feature_size", c.mels);
  c.sample_rate = positive("sampling_rate", c.sample_rate);
  c.n_fft = positive("n_fft", c.n_fft);
  c.hop = positive("hop_length", c.hop);
  if (c.kind == feature_kind::whisper) {
    c.win_length = c.n_fft;
    c.chunk_seconds = positive("chunk_length", c.chunk_seconds);
    if (const auto d = j.find("dither"); d != j.end() && !d->is_null())
      check(d->is_number() && d->get<double>() == 0.0, where, ": \"dither\" ", d->dump(),
            " adds random noise to the features; only 0 (no dither) is supported");
  } else {
    c.win_length = positive("win_length", c.win_length);
    if (const auto p = j.find("preemphasis"); p != j.end()) {
      check(p->is_null() || p->is_number(), where, ": \"preemphasis\" must be a number, got ", p->dump());
      c.preemphasis = p->is_null() ? 0.0 : p->get<double>();
    }
  }
  check(c.win_length <= c.n_fft, where, ": win_length ", c.win_length, " exceeds n_fft ", c.n_fft);
  return c;
}

inline feature_config read_feature_config(const std::filesystem::path& p) { return feature_config_from_json(read_json(p), p.string()); }

// Features of one utterance, row-major in the model's input layout.
struct audio_features {
  std::vector<float> data;
  std::vector<std::int64_t> shape;  // Whisper [1, mels, frames]; Parakeet [1, frames, mels]
  int valid_frames = 0;             // frames that hold audio (Parakeet's attention mask), the rest are padding
};

namespace detail {
// mel[t][m] = sum_k power[t][k] * filter_m[k]
inline std::vector<double> apply_mel(const power_spectrogram& s, const mel_bank& b, int frames) {
  std::vector<double> mel(static_cast<std::size_t>(frames) * static_cast<std::size_t>(b.mels));
  for (int t = 0; t < frames; ++t) {
    const double* p = s.frame(t);
    for (int m = 0; m < b.mels; ++m) {
      const double* w = b.filter(m);
      double acc = 0;
      for (int k = b.first[static_cast<std::size_t>(m)]; k < b.last[static_cast<std::size_t>(m)]; ++k) acc += p[k] * w[k];
      mel[static_cast<std::size_t>(t) * static_cast<std::size_t>(b.mels) + static_cast<std::size_t>(m)] = acc;
    }
  }
  return mel;
}
}  // namespace detail

inline audio_features whisper_features(const feature_config& c, const std::vector<float>& samples) {
  const std::size_t n = static_cast<std::size_t>(c.chunk_seconds) * static_cast<std::size_t>(c.sample_rate);
  std::vector<float> x(n, 0.0f);
  std::copy_n(samples.begin(), std::min(n, samples.size()), x.begin());
  const auto s = stft_power(x, {c.n_fft, c.n_fft, c.hop, true, stft_padding::reflect});
  const auto bank = slaney_mel_bank(s.bins, c.mels, 0.0, 8000.0, c.sample_rate);
  const int frames = s.frames - 1;
  auto mel = detail::apply_mel(s, bank, frames);
  double top = -1e300;
  for (double& v : mel) top = std::max(top, v = std::log10(std::max(v, 1e-10)));
  audio_features f;
  f.shape = {1, c.mels, frames};
  f.valid_frames = static_cast<int>(std::min<std::size_t>(samples.size(), n) / static_cast<std::size_t>(c.hop));
  f.data.resize(mel.size());
  for (int t = 0; t < frames; ++t)
    for (int m = 0; m < c.mels; ++m)
      f.data[static_cast<std::size_t>(m) * static_cast<std::size_t>(frames) + static_cast<std::size_t>(t)] = static_cast<float>(
          (std::max(mel[static_cast<std::size_t>(t) * static_cast<std::size_t>(c.mels) + static_cast<std::size_t>(m)], top - 8.0) + 4.0) / 4.0);
  return f;
}

inline audio_features parakeet_features(const feature_config& c, const std::vector<float>& samples) {
  check(samples.size() >= static_cast<std::size_t>(2 * c.hop), "Parakeet features: ", samples.size(), " samples are too few (at least ",
        2 * c.hop, ", two hops, to normalize over)");
  std::vector<double> x(samples.size());
  x[0] = samples[0];
  for (std::size_t i = 1; i < x.size(); ++i) x[i] = samples[i] - c.preemphasis * static_cast<double>(samples[i - 1]);
  const auto s = stft_power(x, {c.n_fft, c.win_length, c.hop, false, stft_padding::zeros});
  const auto bank = slaney_mel_bank(s.bins, c.mels, 0.0, c.sample_rate / 2.0, c.sample_rate);
  auto mel = detail::apply_mel(s, bank, s.frames);
  for (double& v : mel) v = std::log(v + 0x1p-24);
  // (samples + n_fft / 2 * 2 - n_fft) // hop frames hold audio
  const int valid = static_cast<int>((samples.size() + static_cast<std::size_t>(c.n_fft / 2 * 2) - static_cast<std::size_t>(c.n_fft)) /
                                     static_cast<std::size_t>(c.hop));
  audio_features f;
  f.shape = {1, s.frames, c.mels};
  f.valid_frames = valid;
  f.data.assign(mel.size(), 0.0f);
  for (int m = 0; m < c.mels; ++m) {
    double sum = 0, sq = 0;
    for (int t = 0; t < valid; ++t) sum += mel[static_cast<std::size_t>(t) * static_cast<std::size_t>(c.mels) + static_cast<std::size_t>(m)];
    const double mean = sum / valid;
    for (int t = 0; t < valid; ++t) {
      const double d = mel[static_cast<std::size_t>(t) * static_cast<std::size_t>(c.mels) + static_cast<std::size_t>(m)] - mean;
      sq += d * d;
    }
    const double sd = std::sqrt(sq / (valid - 1)) + 1e-5;
    for (int t = 0; t < valid; ++t) {
      const auto i = static_cast<std::size_t>(t) * static_cast<std::size_t>(c.mels) + static_cast<std::size_t>(m);
      f.data[i] = static_cast<float>((mel[i] - mean) / sd);
    }
  }
  return f;
}

// The features `c` describes, of mono samples at c.sample_rate.
inline audio_features extract_features(const feature_config& c, const std::vector<float>& samples) {
  check(!samples.empty(), "audio features: the audio has no samples");
  return c.kind == feature_kind::whisper ? whisper_features(c, samples) : parakeet_features(c, samples);
}

}  // namespace cactus::runtime::audio
