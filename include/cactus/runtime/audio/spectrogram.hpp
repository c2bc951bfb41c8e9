#pragma once
// The power spectrogram as torch.stft(center=True) computes it: the signal padded by n_fft / 2
// on each side (reflected, or zeros), frames `hop` apart, each multiplied by a Hann window of
// win_length samples centred in n_fft, then |FFT|^2 of bins 0..n_fft/2. The FFT is KISS FFT's
// mixed-radix C++ template (Debian's libkissfft-dev, BSD-3-Clause, header only), in double:
// n_fft of 400 (Whisper) is 2^4 x 5^2, which a power-of-two FFT would not do.
#include <kissfft/kissfft.hh>

#include <cmath>
#include <complex>
#include <vector>

#include "cactus/core/error.hpp"

namespace cactus::runtime::audio {

enum class stft_padding { reflect, zeros };

struct stft_options {
  int n_fft = 400;
  int win_length = 400;  // <= n_fft; the window is centred in the frame
  int hop = 160;
  bool periodic_window = true;  // torch.hann_window's default; Parakeet uses the symmetric one
  stft_padding padding = stft_padding::reflect;
};

// power[frame][bin], frames = 1 + x.size() / hop, bins = n_fft / 2 + 1.
struct power_spectrogram {
  int frames = 0, bins = 0;
  std::vector<double> power;
  const double* frame(int t) const { return power.data() + static_cast<std::size_t>(t) * static_cast<std::size_t>(bins); }
};

inline std::vector<double> hann_window(int n, bool periodic) {
  std::vector<double> w(static_cast<std::size_t>(n));
  if (n == 1) return {1.0};
  const double pi = std::acos(-1.0), d = periodic ? n : n - 1;
  for (int i = 0; i < n; ++i) w[static_cast<std::size_t>(i)] = 0.5 - 0.5 * std::cos(2.0 * pi * i / d);
  return w;
}

// x: float or double samples.
template <class T>
power_spectrogram stft_power(const std::vector<T>& x, const stft_options& o) {
  check(o.n_fft >= 2 && o.hop >= 1 && o.win_length >= 1 && o.win_length <= o.n_fft, "spectrogram: n_fft ", o.n_fft, ", win_length ",
        o.win_length, " and hop ", o.hop, " are not a valid STFT (need 1 <= win_length <= n_fft, hop >= 1)");
  const std::ptrdiff_t n = static_cast<std::ptrdiff_t>(x.size()), half = o.n_fft / 2;
  check(o.padding != stft_padding::reflect || n > half, "spectrogram: ", n, " samples are too few to reflect-pad by ", half,
        " (n_fft / 2); the audio is shorter than one frame");
  // the window, zero-padded to n_fft with win_length centred
  std::vector<double> window(static_cast<std::size_t>(o.n_fft), 0.0);
  const auto hann = hann_window(o.win_length, o.periodic_window);
  const int left = (o.n_fft - o.win_length) / 2;
  for (int i = 0; i < o.win_length; ++i) window[static_cast<std::size_t>(left + i)] = hann[static_cast<std::size_t>(i)];
  auto sample = [&](std::ptrdiff_t i) -> double {  // x[i - half] of the padded signal
    i -= half;
    if (i >= 0 && i < n) return x[static_cast<std::size_t>(i)];
    if (o.padding == stft_padding::zeros) return 0.0;
    return x[static_cast<std::size_t>(i < 0 ? -i : 2 * (n - 1) - i)];
  };
  power_spectrogram s;
  s.frames = static_cast<int>(1 + n / o.hop);
  s.bins = o.n_fft / 2 + 1;
  s.power.resize(static_cast<std::size_t>(s.frames) * static_cast<std::size_t>(s.bins));
  const kissfft<double> fft(static_cast<std::size_t>(o.n_fft), false);
  std::vector<std::complex<double>> in(static_cast<std::size_t>(o.n_fft)), out(static_cast<std::size_t>(o.n_fft));
  for (int t = 0; t < s.frames; ++t) {
    const std::ptrdiff_t start = static_cast<std::ptrdiff_t>(t) * o.hop;
    for (int i = 0; i < o.n_fft; ++i) in[static_cast<std::size_t>(i)] = window[static_cast<std::size_t>(i)] * sample(start + i);
    fft.transform(in.data(), out.data());
    double* p = s.power.data() + static_cast<std::size_t>(t) * static_cast<std::size_t>(s.bins);
    for (int k = 0; k < s.bins; ++k) p[k] = std::norm(out[static_cast<std::size_t>(k)]);
  }
  return s;
}

}  // namespace cactus::runtime::audio
