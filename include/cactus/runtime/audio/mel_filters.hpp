#pragma once
// Triangular mel filter banks on the Slaney mel scale with Slaney's area normalization: the bank
// Whisper and Parakeet (and librosa's default) use. Filter m rises from mel point m to m + 1 and
// falls to m + 2, over FFT bins at linspace(0, rate // 2, bins) Hz; each is scaled by
// 2 / (width in Hz) so that every channel has about the same energy.
#include <algorithm>
#include <cmath>
#include <vector>

#include "cactus/core/error.hpp"

namespace cactus::runtime::audio {

// The Slaney mel scale: linear below 1 kHz (3 mels per 200 Hz), logarithmic above.
inline double hz_to_mel(double hz) {
  constexpr double min_log_hz = 1000.0, min_log_mel = 15.0;
  return hz >= min_log_hz ? min_log_mel + std::log(hz / min_log_hz) * (27.0 / std::log(6.4)) : 3.0 * hz / 200.0;
}
inline double mel_to_hz(double mel) {
  constexpr double min_log_hz = 1000.0, min_log_mel = 15.0;
  return mel >= min_log_mel ? min_log_hz * std::exp(std::log(6.4) / 27.0 * (mel - min_log_mel)) : 200.0 * mel / 3.0;
}

// A bank of `mels` filters over `bins` frequency bins, stored filter by filter with the range
// of bins where each is non-zero (a filter spans a few bins, so applying it reads only those).
struct mel_bank {
  int bins = 0, mels = 0;
  std::vector<double> weights;       // [mels][bins]
  std::vector<int> first, last;      // per filter: its non-zero bins are [first, last)
  const double* filter(int m) const { return weights.data() + static_cast<std::size_t>(m) * static_cast<std::size_t>(bins); }
};

inline mel_bank slaney_mel_bank(int bins, int mels, double min_hz, double max_hz, int sample_rate) {
  check(bins >= 2 && mels >= 1, "mel filter bank: needs at least 2 frequency bins and 1 filter (", bins, " bins, ", mels, " filters)");
  check(min_hz >= 0 && min_hz <= max_hz, "mel filter bank: frequency range ", min_hz, " to ", max_hz, " Hz is empty or negative");
  const double mel_lo = hz_to_mel(min_hz), mel_hi = hz_to_mel(max_hz);
  std::vector<double> f(static_cast<std::size_t>(mels) + 2), fft(static_cast<std::size_t>(bins));
  for (int i = 0; i < mels + 2; ++i) f[static_cast<std::size_t>(i)] = mel_to_hz(mel_lo + (mel_hi - mel_lo) * i / (mels + 1));
  f.back() = mel_to_hz(mel_hi);
  const double nyquist = static_cast<double>(sample_rate / 2);  // integer halving, as transformers' linspace(0, rate // 2, bins)
  for (int k = 0; k < bins; ++k) fft[static_cast<std::size_t>(k)] = k == bins - 1 ? nyquist : nyquist * k / (bins - 1);
  mel_bank b;
  b.bins = bins, b.mels = mels;
  b.weights.assign(static_cast<std::size_t>(mels) * static_cast<std::size_t>(bins), 0.0);
  b.first.assign(static_cast<std::size_t>(mels), 0), b.last.assign(static_cast<std::size_t>(mels), 0);
  for (int m = 0; m < mels; ++m) {
    const auto j = static_cast<std::size_t>(m);
    const double lo = f[j], mid = f[j + 1], hi = f[j + 2], norm = 2.0 / (hi - lo);
    int first = bins, last = 0;
    for (int k = 0; k < bins; ++k) {
      const double x = fft[static_cast<std::size_t>(k)];
      const double w = std::max(0.0, std::min((x - lo) / (mid - lo), (hi - x) / (hi - mid))) * norm;
      b.weights[j * static_cast<std::size_t>(bins) + static_cast<std::size_t>(k)] = w;
      if (w > 0) first = std::min(first, k), last = k + 1;
    }
    b.first[j] = std::min(first, last), b.last[j] = last;
  }
  return b;
}

}  // namespace cactus::runtime::audio
