// The runtime's audio front end on one file, for tests/audio/features_test.py: reads a WAV,
// resamples it to the rate preprocessor_config.json names, and writes the mono samples it
// resampled to (samples.npy) and the model's features (features.npy) into OUT_DIR.
// usage: audio_features FILE.wav preprocessor_config.json OUT_DIR
#include <cstdio>
#include <filesystem>

#include <cactus/core/npy.hpp>
#include <cactus/runtime/audio/feature_extractor.hpp>
#include <cactus/runtime/audio/resample.hpp>
#include <cactus/runtime/audio/wav.hpp>

int main(int argc, char** argv) {
  namespace audio = cactus::runtime::audio;
  if (argc != 4) {
    std::fprintf(stderr, "usage: audio_features FILE.wav preprocessor_config.json OUT_DIR\n");
    return 2;
  }
  try {
    const auto config = audio::read_feature_config(argv[2]);
    const auto w = audio::resampled(audio::read_wav(argv[1]), config.sample_rate);
    auto f = audio::extract_features(config, w.samples);
    const std::filesystem::path out = argv[3];
    std::filesystem::create_directories(out);
    auto samples = w.samples;
    cactus::npy_save(out / "samples.npy", cactus::tensor::view(cactus::dtype::f32, {static_cast<std::int64_t>(samples.size())}, samples.data()));
    cactus::npy_save(out / "features.npy", cactus::tensor::view(cactus::dtype::f32, f.shape, f.data.data()));
    std::printf("%s: %d Hz, %d channel(s), %d-bit%s, %.3f s -> features [%lld, %lld, %lld], %d valid frames\n", argv[1], w.sample_rate,
                w.channels, w.bits_per_sample, w.is_float ? " float" : "", w.seconds(), static_cast<long long>(f.shape[0]),
                static_cast<long long>(f.shape[1]), static_cast<long long>(f.shape[2]), f.valid_frames);
  } catch (const cactus::error& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
}
