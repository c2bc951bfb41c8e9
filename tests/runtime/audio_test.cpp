// runtime/audio: WAV files of every sample format the reader takes (bytes built here, values
// known), the errors for what it refuses, the resampler against the analytic signal, and the
// STFT and mel bank against their definitions. The features themselves are checked against
// transformers' feature extractors by tests/audio/features_test.py.
#include <catch2/catch.hpp>
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include <cactus/runtime/audio/feature_extractor.hpp>
#include <cactus/runtime/audio/resample.hpp>
#include <cactus/runtime/audio/tdt.hpp>
#include <cactus/runtime/audio/wav.hpp>

using namespace cactus::runtime::audio;
using cactus::dtype;
using cactus::tensor;

namespace {
void put(std::string& s, std::uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) s += static_cast<char>(v >> (8 * i) & 0xff);
}
// A WAV file: format code, channels, rate, bits, the sample bytes, and chunks before the data.
std::string wav(std::uint16_t format, int channels, int rate, int bits, const std::string& samples, const std::string& extra = "",
                bool extensible = false) {
  std::string fmt;
  put(fmt, extensible ? 0xFFFE : format, 2), put(fmt, static_cast<std::uint64_t>(channels), 2), put(fmt, static_cast<std::uint64_t>(rate), 4);
  put(fmt, static_cast<std::uint64_t>(rate * channels * bits / 8), 4), put(fmt, static_cast<std::uint64_t>(channels * bits / 8), 2);
  put(fmt, static_cast<std::uint64_t>(bits), 2);
  if (extensible) {
    put(fmt, 22, 2), put(fmt, static_cast<std::uint64_t>(bits), 2), put(fmt, 3, 4), put(fmt, format, 2);
    fmt += std::string("\x00\x00\x00\x00\x10\x00\x80\x00\x00\xAA\x00\x38\x9B\x71", 14);
  }
  std::string body = "WAVE";
  body += "fmt ", put(body, fmt.size(), 4), body += fmt;
  body += extra;
  body += "data", put(body, samples.size(), 4), body += samples;
  std::string out = "RIFF";
  put(out, body.size(), 4);
  return out + body;
}
waveform parse(const std::string& bytes) { return parse_wav(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(), "test.wav"); }
std::string error_of(const std::string& bytes) {
  try {
    parse(bytes);
  } catch (const cactus::error& e) {
    return e.what();
  }
  return "";
}
}  // namespace

TEST_CASE("WAV samples of every supported format read as float in [-1, 1)") {
  std::string s16;
  for (int v : {0, 16384, -32768, 32767}) put(s16, static_cast<std::uint16_t>(v), 2);
  auto w = parse(wav(1, 1, 16000, 16, s16));
  CHECK(w.sample_rate == 16000);
  CHECK(w.channels == 1);
  REQUIRE(w.samples.size() == 4);
  CHECK(w.samples[0] == 0.0f);
  CHECK(w.samples[1] == 0.5f);
  CHECK(w.samples[2] == -1.0f);
  CHECK(w.samples[3] == Approx(32767.0 / 32768.0));
  std::string s24;
  for (int v : {-8388608, 4194304}) put(s24, static_cast<std::uint32_t>(v) & 0xFFFFFF, 3);
  w = parse(wav(1, 1, 8000, 24, s24));
  REQUIRE(w.samples.size() == 2);
  CHECK(w.samples[0] == -1.0f);
  CHECK(w.samples[1] == 0.5f);
  std::string s32;
  for (std::int64_t v : {-2147483648LL, 1073741824LL}) put(s32, static_cast<std::uint32_t>(v), 4);
  w = parse(wav(1, 1, 8000, 32, s32, "", true));  // WAVE_FORMAT_EXTENSIBLE, PCM sub-format
  REQUIRE(w.samples.size() == 2);
  CHECK(w.samples[0] == -1.0f);
  CHECK(w.samples[1] == 0.5f);
  std::string s8;
  for (int v : {0, 128, 192}) put(s8, static_cast<std::uint64_t>(v), 1);
  w = parse(wav(1, 1, 8000, 8, s8));
  REQUIRE(w.samples.size() == 3);
  CHECK(w.samples[0] == -1.0f);
  CHECK(w.samples[1] == 0.0f);
  CHECK(w.samples[2] == 0.5f);
  std::string f32;
  for (float v : {0.25f, -0.75f}) {
    std::uint32_t b;
    std::memcpy(&b, &v, 4);
    put(f32, b, 4);
  }
  w = parse(wav(3, 1, 44100, 32, f32));
  REQUIRE(w.samples.size() == 2);
  CHECK(w.is_float);
  CHECK(w.samples[0] == 0.25f);
  CHECK(w.samples[1] == -0.75f);
  std::string f64;
  for (double v : {0.125, -0.5}) {
    std::uint64_t b;
    std::memcpy(&b, &v, 8);
    put(f64, b, 8);
  }
  w = parse(wav(3, 1, 44100, 64, f64, "", true));
  REQUIRE(w.samples.size() == 2);
  CHECK(w.samples[0] == 0.125f);
  CHECK(w.samples[1] == -0.5f);
}

TEST_CASE("stereo is mixed down to the mean of its channels, and other chunks are skipped (odd sizes padded)") {
  std::string s;
  for (int v : {16384, 0, -16384, -16384, 8192, 24576}) put(s, static_cast<std::uint16_t>(v), 2);
  std::string list = "LIST";
  put(list, 5, 4), list += std::string("INFO\0\0", 6);  // 5 bytes and a pad byte
  const auto w = parse(wav(1, 2, 48000, 16, s, list));
  CHECK(w.channels == 2);
  REQUIRE(w.samples.size() == 3);
  CHECK(w.samples[0] == 0.25f);
  CHECK(w.samples[1] == -0.5f);
  CHECK(w.samples[2] == 0.5f);
}

TEST_CASE("what the WAV reader refuses, each with the file and the reason") {
  std::string s16(8, '\0');
  CHECK(error_of("RIFF") == "test.wav: not a WAV file (4 bytes, shorter than a RIFF header)");
  CHECK(error_of("OggS" + std::string(40, '\0')).find("not a WAV file (starts with 'OggS'") != std::string::npos);
  auto rifx = wav(1, 1, 16000, 16, s16);
  rifx[3] = 'X';
  CHECK(error_of(rifx).find("big-endian WAV (RIFX)") != std::string::npos);
  CHECK(error_of(wav(2, 1, 16000, 4, s16)).find("WAV format code 2 is not supported") != std::string::npos);  // MS ADPCM
  CHECK(error_of(wav(1, 1, 16000, 12, s16)).find("12-bit PCM samples are not supported") != std::string::npos);
  CHECK(error_of(wav(3, 1, 16000, 16, s16)).find("16-bit float samples are not supported") != std::string::npos);
  CHECK(error_of(wav(1, 0, 16000, 16, s16)).find("0 channels") != std::string::npos);
  CHECK(error_of(wav(1, 1, 0, 16, s16)).find("sample rate of 0") != std::string::npos);
  auto cut = wav(1, 1, 16000, 16, s16);
  CHECK(error_of(cut.substr(0, cut.size() - 3)).find("'data' chunk says 8 bytes but the file has 5") != std::string::npos);
  CHECK(error_of(wav(1, 2, 16000, 16, std::string(6, '\0'))).find("not a whole number of 4-byte frames") != std::string::npos);
  std::string no_data = "RIFF";
  put(no_data, 4, 4), no_data += "WAVE";
  CHECK(error_of(no_data) == "test.wav: no 'fmt ' chunk (not a complete WAV header)");
  CHECK_THROWS_WITH(read_wav("/nonexistent/speech.wav"), Catch::Contains("/nonexistent/speech.wav"));
}

TEST_CASE("resampling keeps a band-limited signal: sines at 22.05, 44.1 and 8 kHz to 16 kHz") {
  const double pi = std::acos(-1.0);
  for (int from : {22050, 44100, 8000, 48000}) {
    INFO("from " << from << " Hz");
    const int n = from;  // one second
    std::vector<float> x(static_cast<std::size_t>(n));
    auto f = [&](double t) { return 0.5 * std::sin(2 * pi * 440 * t) + 0.25 * std::sin(2 * pi * 1750 * t + 0.3); };
    for (int i = 0; i < n; ++i) x[static_cast<std::size_t>(i)] = static_cast<float>(f(static_cast<double>(i) / from));
    const auto y = resample(x, from, 16000);
    CHECK(std::abs(static_cast<long>(y.size()) - 16000) <= 2);
    double worst = 0;
    for (std::size_t i = 800; i + 800 < y.size(); ++i) worst = std::max(worst, std::abs(y[i] - f(static_cast<double>(i) / 16000)));
    CHECK(worst < 2e-3);  // libsamplerate's best sinc: well above 60 dB on these tones, away from the ends
  }
  CHECK(resample({1.0f, 2.0f}, 16000, 16000) == std::vector<float>{1.0f, 2.0f});
  CHECK_THROWS_WITH(resample({1.0f}, 0, 16000), Catch::Contains("sample rates must be positive"));
}

TEST_CASE("the STFT's power is the DFT's, frame by frame, with torch.stft's centring") {
  // a cosine on bin 10 of a 400-point frame: the periodic Hann window spreads it over bins 9-11
  const int n_fft = 400, hop = 160;
  const double pi = std::acos(-1.0);
  std::vector<float> x(4000);
  for (std::size_t i = 0; i < x.size(); ++i) x[i] = static_cast<float>(std::cos(2 * pi * 10 * static_cast<double>(i) / n_fft));
  const auto s = stft_power(x, {n_fft, n_fft, hop, true, stft_padding::reflect});
  CHECK(s.frames == 1 + 4000 / hop);
  CHECK(s.bins == 201);
  // the direct DFT of frame 5 (samples 5 * hop - 200 ...), windowed
  const auto w = hann_window(n_fft, true);
  for (int k : {0, 9, 10, 11, 50}) {
    double re = 0, im = 0;
    for (int i = 0; i < n_fft; ++i) {
      const double v = w[static_cast<std::size_t>(i)] * x[static_cast<std::size_t>(5 * hop - n_fft / 2 + i)];
      re += v * std::cos(2 * pi * k * i / n_fft), im -= v * std::sin(2 * pi * k * i / n_fft);
    }
    CHECK(s.frame(5)[k] == Approx(re * re + im * im).margin(1e-9));
  }
  CHECK(s.frame(5)[10] == Approx(100.0 * 100.0).epsilon(1e-6));  // sum(w) / 2 = 100 (x rounded to float)
}

TEST_CASE("the Slaney mel bank: triangles meeting at the mel points, each of area-normalized height") {
  const auto b = slaney_mel_bank(201, 80, 0.0, 8000.0, 16000);
  CHECK(hz_to_mel(1000.0) == Approx(15.0));
  CHECK(mel_to_hz(hz_to_mel(3000.0)) == Approx(3000.0));
  for (int m = 0; m < b.mels; ++m) {
    INFO("filter " << m);
    REQUIRE(b.first[static_cast<std::size_t>(m)] < b.last[static_cast<std::size_t>(m)]);
    for (int k = 0; k < b.bins; ++k)
      if (k < b.first[static_cast<std::size_t>(m)] || k >= b.last[static_cast<std::size_t>(m)]) REQUIRE(b.filter(m)[k] == 0.0);
  }
  // the first filter spans mel points 0 to 2 (0, 37 and 75 Hz): bin 1 (40 Hz) is on its falling side
  const double f1 = mel_to_hz(hz_to_mel(8000.0) / 81), f2 = mel_to_hz(2 * hz_to_mel(8000.0) / 81);
  CHECK(b.filter(0)[1] == Approx(std::min(40.0 / f1, (f2 - 40.0) / (f2 - f1)) * 2.0 / f2));
}

TEST_CASE("preprocessor_config.json: the two extractors, their defaults, and what is refused") {
  auto c = feature_config_from_json(nlohmann::json::parse(R"({"feature_extractor_type": "WhisperFeatureExtractor", "feature_size": 128})"), "p.json");
  CHECK(c.kind == feature_kind::whisper);
  CHECK(c.mels == 128);
  CHECK(c.n_fft == 400);
  CHECK(c.chunk_seconds == 30);
  c = feature_config_from_json(nlohmann::json::parse(R"({"feature_extractor_type": "ParakeetFeatureExtractor", "feature_size": 128})"), "p.json");
  CHECK(c.kind == feature_kind::parakeet);
  CHECK(c.n_fft == 512);
  CHECK(c.win_length == 400);
  CHECK(c.preemphasis == 0.97);
  CHECK_THROWS_WITH(feature_config_from_json(nlohmann::json::parse(R"({"feature_extractor_type": "Wav2Vec2FeatureExtractor"})"), "p.json"),
                    Catch::Contains("\"Wav2Vec2FeatureExtractor\" is not supported"));
  CHECK_THROWS_WITH(feature_config_from_json(nlohmann::json::parse(R"({"feature_extractor_type": "WhisperFeatureExtractor", "dither": 0.1})"), "p.json"),
                    Catch::Contains("only 0 (no dither)"));
  CHECK_THROWS_WITH(feature_config_from_json(nlohmann::json::parse(R"({"feature_extractor_type": "WhisperFeatureExtractor", "hop_length": 0})"), "p.json"),
                    Catch::Contains("\"hop_length\" must be positive"));
  CHECK_THROWS_WITH(extract_features(c, {}), Catch::Contains("no samples"));
}

TEST_CASE("TDT config: config.json's decoding fields, the start token, and what is refused") {
  auto cfg = nlohmann::json::parse(R"({"vocab_size": 6, "blank_token_id": 5, "durations": [0, 1, 2, 3, 4], "max_symbols_per_step": 3})");
  auto c = read_tdt_config(cfg, nlohmann::json(), "b");
  CHECK(c.vocab == 6);
  CHECK(c.blank == 5);
  CHECK(c.start == 5);  // no generation_config.json: the blank
  CHECK(c.durations == std::vector<std::int64_t>{0, 1, 2, 3, 4});
  CHECK(c.max_symbols_per_step == 3);
  CHECK(read_tdt_config(cfg, nlohmann::json::parse(R"({"decoder_start_token_id": 2})"), "b").start == 2);
  auto without = [&](const char* key) {
    auto j = cfg;
    j.erase(key);
    return j;
  };
  CHECK_THROWS_WITH(read_tdt_config(without("durations"), nlohmann::json(), "b"), Catch::Contains("b/config.json: no \"durations\""));
  CHECK_THROWS_WITH(read_tdt_config(without("vocab_size"), nlohmann::json(), "b"), Catch::Contains("no vocab_size"));
  CHECK_THROWS_WITH(read_tdt_config(without("blank_token_id"), nlohmann::json(), "b"), Catch::Contains("blank_token_id -1"));
  auto bad = cfg;
  bad["durations"] = {0, -1};
  CHECK_THROWS_WITH(read_tdt_config(bad, nlohmann::json(), "b"), Catch::Contains("a duration of -1 frames"));
  CHECK_THROWS_WITH(read_tdt_config(cfg, nlohmann::json::parse(R"({"decoder_start_token_id": 9})"), "b"), Catch::Contains("start token 9"));
  CHECK_THROWS_WITH(read_tdt_config(nlohmann::json(), nlohmann::json(), "b"), Catch::Contains("needs the checkpoint's config.json"));
}

namespace {
// A scripted transducer: the joint network reads the frame's first value as the token and its
// second as the duration's index; the decoder's output is the token it was given.
struct scripted_tdt {
  std::vector<std::int64_t> decoded;  // the decoder's inputs, in order
  std::vector<std::pair<float, float>> seen;  // (frame value, decoder output) per joint call
  tdt_greedy make(tdt_config c) {
    const std::int64_t V = c.vocab, D = static_cast<std::int64_t>(c.durations.size());
    return tdt_greedy(
        c,
        [this, V, D](const tensor& frame, const tensor& dec) {
          seen.emplace_back(frame.ptr<float>()[0], dec.ptr<float>()[0]);
          tensor l = tensor::empty(dtype::f32, {1, 1, V + D});
          std::fill(l.ptr<float>(), l.ptr<float>() + V + D, 0.0f);
          l.ptr<float>()[static_cast<std::int64_t>(frame.ptr<float>()[0])] = 1.0f;
          l.ptr<float>()[V + static_cast<std::int64_t>(frame.ptr<float>()[1])] = 1.0f;
          return l;
        },
        [this](std::int64_t token) {
          decoded.push_back(token);
          tensor d = tensor::empty(dtype::f32, {1, 1, 1});
          d.ptr<float>()[0] = static_cast<float>(token);
          return d;
        });
  }
};
// frames of (token, duration index) as an encoder output [1, T, 2]
tensor frames(const std::vector<std::pair<int, int>>& f) {
  tensor t = tensor::empty(dtype::f32, {1, static_cast<std::int64_t>(f.size()), 2});
  for (std::size_t i = 0; i < f.size(); ++i) {
    t.ptr<float>()[2 * i] = static_cast<float>(f[i].first);
    t.ptr<float>()[2 * i + 1] = static_cast<float>(f[i].second);
  }
  return t;
}
}  // namespace

TEST_CASE("TDT greedy loop: durations, blanks, the decoder fed non-blank tokens only, chunks and the step budget") {
  tdt_config c;
  c.vocab = 5;
  c.blank = 4;
  c.start = 4;
  c.durations = {0, 1, 2};
  c.max_symbols_per_step = 10;
  scripted_tdt s;
  auto g = s.make(c);
  // frame 0: token 1, duration 2 -> frame 2: blank, duration 0 (advances 1 all the same) ->
  // frame 3: token 3, duration 2 -> frame 5, the end of this chunk of 5
  g.feed(frames({{1, 2}, {2, 1}, {4, 0}, {3, 2}, {2, 1}}));
  CHECK(g.ids() == std::vector<std::int64_t>{1, 3});
  CHECK(s.decoded == std::vector<std::int64_t>{4, 1, 3});  // the start token, then each emitted token
  REQUIRE(s.seen.size() == 3);
  CHECK(s.seen[0] == std::pair<float, float>(1.0f, 4.0f));  // frame 0 with the start token's output
  CHECK(s.seen[1] == std::pair<float, float>(4.0f, 1.0f));  // frame 2 with token 1's output
  CHECK(s.seen[2] == std::pair<float, float>(3.0f, 1.0f));  // frame 3: the blank left the decoder as it was
  CHECK(g.steps() == 3);
  // the next chunk starts at its frame 0, where token 2 with duration 0 is emitted again and
  // again: the budget of max_symbols_per_step per frame (10 x 7 frames, less 1 for the start
  // token) ends it before the blank of frame 1
  g.feed(frames({{2, 0}, {4, 1}}));
  CHECK(g.steps() == 10 * 7 - 1);
  REQUIRE(g.ids().size() == 2 + 66);
  CHECK(std::all_of(g.ids().begin() + 2, g.ids().end(), [](std::int64_t t) { return t == 2; }));
}

TEST_CASE("TDT greedy loop: a duration past the end of a chunk carries into the next") {
  tdt_config c;
  c.vocab = 5;
  c.blank = 4;
  c.start = 4;
  c.durations = {0, 1, 2};
  scripted_tdt s;
  auto g = s.make(c);
  g.feed(frames({{4, 1}, {1, 2}}));  // blank, 1 frame; token 1, 2 frames: one past this chunk
  g.feed(frames({{2, 1}, {3, 1}}));  // so frame 0 here is skipped
  CHECK(g.ids() == std::vector<std::int64_t>{1, 3});
  REQUIRE(s.seen.size() == 3);
  CHECK(s.seen[2].first == 3.0f);
  CHECK_THROWS_WITH(g.feed(tensor::empty(dtype::f32, {2, 3})), Catch::Contains("expected f32 [1, frames, hidden]"));
}
