#pragma once
// Scalar oracles of the convolution kernels (kernels/im2col-inl.hpp and the GEMM that
// ops/conv.hpp runs on it): what each computes, in plain loops from the definition, with the
// padding applied by bounds checks rather than a padded copy. Only the tests call them.
#include <cstdint>
#include <vector>

namespace cactus::kernels::reference {

// A 2-D convolution's geometry: input C x H x W, kernel kh x kw, stride, padding, dilation.
struct conv2d_geometry {
  std::int64_t C, H, W, kh, kw, sh, sw, ph, pw, dh, dw;
  std::int64_t out_h() const { return (H + 2 * ph - dh * (kh - 1) - 1) / sh + 1; }
  std::int64_t out_w() const { return (W + 2 * pw - dw * (kw - 1) - 1) / sw + 1; }
};

// The input under tap (c, i, j) for output pixel (oh, ow), zero outside the input.
inline float tap(const float* x, const conv2d_geometry& g, std::int64_t c, std::int64_t i, std::int64_t j, std::int64_t oh, std::int64_t ow) {
  const std::int64_t ih = oh * g.sh - g.ph + i * g.dh, iw = ow * g.sw - g.pw + j * g.dw;
  return ih < 0 || ih >= g.H || iw < 0 || iw >= g.W ? 0.0f : x[(c * g.H + ih) * g.W + iw];
}

// Row k = (c, i, j) of im2col for output pixel p = oh * out_w + ow, as im2col_rows.
inline float im2col(const float* x, const conv2d_geometry& g, std::int64_t k, std::int64_t p) {
  const std::int64_t OW = g.out_w();
  return tap(x, g, k / (g.kh * g.kw), (k / g.kw) % g.kh, k % g.kw, p / OW, p % OW);
}

// y[o, oh, ow] = bias[o] + sum_{c, i, j} w[o, c, i, j] * tap(c, i, j, oh, ow), one group of
// O output channels over all C input channels (bias may be null).
inline std::vector<double> conv2d(const float* x, const conv2d_geometry& g, const float* w, std::int64_t O, const float* bias) {
  const std::int64_t OH = g.out_h(), OW = g.out_w(), K = g.C * g.kh * g.kw;
  std::vector<double> y(static_cast<std::size_t>(O * OH * OW));
  for (std::int64_t o = 0; o < O; ++o)
    for (std::int64_t p = 0; p < OH * OW; ++p) {
      double acc = bias ? bias[o] : 0.0;
      for (std::int64_t k = 0; k < K; ++k) acc += static_cast<double>(w[o * K + k]) * im2col(x, g, k, p);
      y[static_cast<std::size_t>(o * OH * OW + p)] = acc;
    }
  return y;
}

}  // namespace cactus::kernels::reference
