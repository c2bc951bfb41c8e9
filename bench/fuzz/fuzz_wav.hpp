// WAV files (cactus run --audio): the RIFF chunks, the format header, the sample data; a short
// file that reads is also resampled to 16 kHz and turned into Parakeet features.
#pragma once
#include "cactus/runtime/audio/feature_extractor.hpp"
#include "cactus/runtime/audio/resample.hpp"
#include "cactus/runtime/audio/wav.hpp"
#include "fuzz_input.hpp"

inline int fuzz_wav(const std::uint8_t* data, std::size_t size) {
  return cactus_fuzz::guarded([&] {
    namespace audio = cactus::runtime::audio;
    auto w = audio::parse_wav(data, size, "fuzz.wav");
    if (w.samples.size() > 4096) return;
    w = audio::resampled(std::move(w), 16000);
    if (w.samples.size() > 8192) return;
    audio::feature_config c;
    c.kind = audio::feature_kind::parakeet, c.n_fft = 512, c.win_length = 400, c.preemphasis = 0.97;
    (void)audio::extract_features(c, w.samples);
  });
}
