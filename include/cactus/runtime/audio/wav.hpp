#pragma once
// WAV files in: RIFF/WAVE with PCM (8-bit unsigned, 16, 24 and 32-bit signed) or IEEE float
// (32 and 64-bit) samples, plain or WAVE_FORMAT_EXTENSIBLE, any number of channels. Samples
// come out as float in [-1, 1) (PCM divided by 2^(bits-1), as soundfile and librosa read them)
// and several channels are mixed down to their mean. Anything else (RIFX, RF64, compressed
// formats, a malformed or truncated header) is refused with the file and the reason.
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "cactus/core/byte_io.hpp"
#include "cactus/core/error.hpp"
#include "cactus/core/files.hpp"

namespace cactus::runtime::audio {

// Mono samples at their own rate.
struct waveform {
  std::vector<float> samples;
  int sample_rate = 0;
  int channels = 0;         // in the file (mixed down in `samples`)
  int bits_per_sample = 0;  // in the file
  bool is_float = false;    // IEEE float samples in the file
  double seconds() const { return sample_rate ? static_cast<double>(samples.size()) / sample_rate : 0.0; }
};

namespace detail {
constexpr std::uint16_t wave_pcm = 1, wave_float = 3, wave_extensible = 0xFFFE;

inline float pcm_sample(const unsigned char* p, int bytes) {
  switch (bytes) {
    case 1: return (static_cast<int>(p[0]) - 128) / 128.0f;
    case 2: return static_cast<float>(static_cast<std::int16_t>(p[0] | p[1] << 8)) / 32768.0f;
    case 3: {
      const std::int32_t v = static_cast<std::int32_t>(static_cast<std::uint32_t>(p[0]) << 8 | static_cast<std::uint32_t>(p[1]) << 16 |
                                                       static_cast<std::uint32_t>(p[2]) << 24) >> 8;
      return static_cast<float>(v) / 8388608.0f;
    }
    default: {
      const std::int32_t v = static_cast<std::int32_t>(static_cast<std::uint32_t>(p[0]) | static_cast<std::uint32_t>(p[1]) << 8 |
                                                       static_cast<std::uint32_t>(p[2]) << 16 | static_cast<std::uint32_t>(p[3]) << 24);
      return static_cast<float>(static_cast<double>(v) / 2147483648.0);
    }
  }
}
inline float float_sample(const unsigned char* p, int bytes) {
  std::uint64_t bits = 0;
  for (int i = 0; i < bytes; ++i) bits |= std::uint64_t(p[i]) << (8 * i);
  if (bytes == 4) {
    const auto b = static_cast<std::uint32_t>(bits);
    float f;
    std::memcpy(&f, &b, 4);
    return f;
  }
  double d;
  std::memcpy(&d, &bits, 8);
  return static_cast<float>(d);
}
}  // namespace detail

// The bytes of a WAV file; `name` is what errors call it (its path).
inline waveform parse_wav(const unsigned char* data, std::size_t size, const std::string& name) {
  byte_reader r(data, size, name);
  check(size >= 12, name, ": not a WAV file (", size, " bytes, shorter than a RIFF header)");
  const std::string riff(reinterpret_cast<const char*>(r.take(4)), 4);
  if (riff == "RIFX") fail(name, ": big-endian WAV (RIFX) is not supported; convert it to a little-endian RIFF WAV");
  if (riff == "RF64") fail(name, ": RF64 WAV (over 4 GB) is not supported");
  check(riff == "RIFF", name, ": not a WAV file (starts with '", riff, "', not 'RIFF')");
  r.le<std::uint32_t>();  // the RIFF size: often wrong in files written by streaming tools; the chunks are checked instead
  const std::string wave(reinterpret_cast<const char*>(r.take(4)), 4);
  check(wave == "WAVE", name, ": a RIFF file of type '", wave, "', not 'WAVE'");
  bool have_fmt = false;
  std::uint16_t format = 0, channels = 0, block_align = 0, bits = 0;
  std::uint32_t rate = 0;
  while (r.remaining() >= 8) {
    const std::size_t at = r.pos();
    const std::string id(reinterpret_cast<const char*>(r.take(4)), 4);
    const std::uint32_t n = r.le<std::uint32_t>();
    if (id == "fmt ") {
      check(n >= 16, name, ": its 'fmt ' chunk at offset ", at, " has ", n, " bytes, fewer than the 16 a WAV format needs");
      check(n <= r.remaining(), name, ": its 'fmt ' chunk at offset ", at, " says ", n, " bytes but the file has ", r.remaining(), " left (truncated)");
      byte_reader f(r.take(n), n, name + " ('fmt ' chunk)");
      format = f.le<std::uint16_t>(), channels = f.le<std::uint16_t>(), rate = f.le<std::uint32_t>();
      f.le<std::uint32_t>();  // bytes per second, implied by the rest
      block_align = f.le<std::uint16_t>(), bits = f.le<std::uint16_t>();
      if (format == detail::wave_extensible) {
        check(n >= 40, name, ": WAVE_FORMAT_EXTENSIBLE 'fmt ' chunk of ", n, " bytes, fewer than its 40");
        f.le<std::uint16_t>(), f.le<std::uint16_t>(), f.le<std::uint32_t>();  // extension size, valid bits, channel mask
        format = f.le<std::uint16_t>();  // the sub-format GUID's first two bytes are the format code
      }
      have_fmt = true;
    } else if (id == "data") {
      check(have_fmt, name, ": its 'data' chunk (offset ", at, ") comes before any 'fmt ' chunk");
      check(format == detail::wave_pcm || format == detail::wave_float, name, ": WAV format code ", format,
            " is not supported (PCM and IEEE float samples are; convert compressed audio to PCM first)");
      const bool is_float = format == detail::wave_float;
      check(channels >= 1, name, ": the WAV header says 0 channels");
      check(rate >= 1, name, ": the WAV header says a sample rate of 0");
      check(is_float ? (bits == 32 || bits == 64) : (bits == 8 || bits == 16 || bits == 24 || bits == 32), name, ": ", bits, "-bit ",
            is_float ? "float" : "PCM", " samples are not supported (PCM 8, 16, 24 or 32-bit; float 32 or 64-bit)");
      const int bytes = bits / 8;
      check(block_align == channels * bytes, name, ": the WAV header's block size ", block_align, " is not ", channels, " channels x ", bytes,
            " bytes");
      check(n <= r.remaining(), name, ": its 'data' chunk says ", n, " bytes but the file has ", r.remaining(), " after offset ", r.pos(),
            " (truncated)");
      check(n % block_align == 0, name, ": its 'data' chunk of ", n, " bytes is not a whole number of ", block_align, "-byte frames (truncated)");
      const unsigned char* p = r.take(n);
      waveform w;
      w.sample_rate = static_cast<int>(rate), w.channels = channels, w.bits_per_sample = bits, w.is_float = is_float;
      const std::size_t frames = n / block_align;
      w.samples.resize(frames);
      for (std::size_t i = 0; i < frames; ++i) {
        double sum = 0;
        for (std::size_t c = 0; c < channels; ++c) {
          const unsigned char* s = p + i * block_align + c * static_cast<std::size_t>(bytes);
          sum += is_float ? detail::float_sample(s, bytes) : detail::pcm_sample(s, bytes);
        }
        w.samples[i] = channels == 1 ? static_cast<float>(sum) : static_cast<float>(sum / channels);
      }
      return w;
    } else {
      check(n <= r.remaining(), name, ": its '", id, "' chunk at offset ", at, " says ", n, " bytes but the file has ", r.remaining(),
            " left (truncated)");
      r.take(n);
    }
    if (n % 2 && r.remaining()) r.take(1);  // chunks are padded to an even size
  }
  fail(name, have_fmt ? ": no 'data' chunk (no samples)" : ": no 'fmt ' chunk (not a complete WAV header)");
}

inline waveform read_wav(const std::filesystem::path& path) {
  const auto bytes = read_file_bytes(path);
  return parse_wav(bytes.data(), bytes.size(), path.string());
}

}  // namespace cactus::runtime::audio
