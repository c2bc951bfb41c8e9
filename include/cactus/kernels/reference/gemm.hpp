#pragma once
// Scalar oracles of the matrix kernels (kernels/gemm-inl.hpp, depthwise-inl.hpp): what each
// computes, in double precision and plain loops. The tests check every Highway target against
// them; nothing at run time calls them.
#include <cstddef>
#include <cstdint>
#include <vector>

namespace cactus::kernels::reference {

// C[m, n] = bias[n] + sum_k A[m, k] B[n, k] (A [M, K], B [N, K], row-major), as gemm_nt.
inline std::vector<double> gemm_nt(std::size_t M, std::size_t N, std::size_t K, const float* A, const float* B, const float* bias) {
  std::vector<double> C(M * N);
  for (std::size_t m = 0; m < M; ++m)
    for (std::size_t n = 0; n < N; ++n) {
      double acc = bias ? bias[n] : 0.0;
      for (std::size_t k = 0; k < K; ++k) acc += static_cast<double>(A[m * K + k]) * B[n * K + k];
      C[m * N + n] = acc;
    }
  return C;
}

// C[m, n] = bias[m] + sum_k A[m, k] B[k * ldb + n] (A [M, K]), as gemm_nn.
inline std::vector<double> gemm_nn(std::size_t M, std::size_t N, std::size_t K, const float* A, const float* B, std::size_t ldb, const float* bias) {
  std::vector<double> C(M * N);
  for (std::size_t m = 0; m < M; ++m)
    for (std::size_t n = 0; n < N; ++n) {
      double acc = bias ? bias[m] : 0.0;
      for (std::size_t k = 0; k < K; ++k) acc += static_cast<double>(A[m * K + k]) * B[k * ldb + n];
      C[m * N + n] = acc;
    }
  return C;
}

// One plane of a depthwise convolution: y[oh, ow] = bias + sum_{i,j} w[i, j] *
// x[oh*sh - ph + i*dh, ow*sw - pw + j*dw] (zero outside the plane), as depthwise_plane.
inline std::vector<double> depthwise_plane(const float* x, std::int64_t H, std::int64_t W, const float* w, std::int64_t kh, std::int64_t kw,
                                           std::int64_t sh, std::int64_t sw, std::int64_t ph, std::int64_t pw, std::int64_t dh, std::int64_t dw,
                                           float bias, std::int64_t OH, std::int64_t OW) {
  std::vector<double> y(static_cast<std::size_t>(OH * OW));
  for (std::int64_t oh = 0; oh < OH; ++oh)
    for (std::int64_t ow = 0; ow < OW; ++ow) {
      double acc = bias;
      for (std::int64_t i = 0; i < kh; ++i)
        for (std::int64_t j = 0; j < kw; ++j) {
          const std::int64_t ih = oh * sh - ph + i * dh, iw = ow * sw - pw + j * dw;
          if (ih >= 0 && ih < H && iw >= 0 && iw < W) acc += static_cast<double>(w[i * kw + j]) * x[ih * W + iw];
        }
      y[static_cast<std::size_t>(oh * OW + ow)] = acc;
    }
  return y;
}

}  // namespace cactus::kernels::reference
