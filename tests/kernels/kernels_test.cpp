// Every kernel on every Highway target compiled in and supported by this CPU, against its scalar
// oracle (kernels/reference/), on sizes that exercise vector tails.
#include <catch2/catch.hpp>
#include <cmath>
#include <iostream>
#include <random>

#include <cactus/cactus.hpp>

#include "every_target.hpp"

using namespace cactus;
using kernels::unary_kind;

using testing::for_each_target;
using testing::randn;

TEST_CASE("unary kernels match the scalar oracle on every target") {
  for_each_target([] {
    for (std::size_t n : {1u, 7u, 16u, 33u, 1000u}) {
      auto x = randn(n, 1);
      for (auto k : {unary_kind::relu, unary_kind::gelu_erf, unary_kind::gelu_tanh, unary_kind::silu, unary_kind::sigmoid, unary_kind::tanh,
                     unary_kind::exp, unary_kind::erf, unary_kind::neg, unary_kind::abs, unary_kind::sin, unary_kind::cos,
                     unary_kind::clamp, unary_kind::leaky_relu}) {
        std::vector<float> y(n);
        kernels::unary(k, x.data(), y.data(), n, -0.5f, 0.5f);
        for (std::size_t i = 0; i < n; ++i) {
          double ref = ops::detail::unary_scalar(k, x[i], -0.5, 0.5);
          INFO("kind " << int(k) << " n " << n << " i " << i << " x " << x[i]);
          REQUIRE(std::fabs(y[i] - ref) <= 2e-6 + 2e-6 * std::fabs(ref));
        }
      }
    }
  });
}

TEST_CASE("gemm_nt (f32 and f16 B) matches a double-precision oracle on every target") {
  for_each_target([] {
    for (auto [M, N, K] : std::vector<std::array<std::size_t, 3>>{{1, 1, 1}, {1, 13, 37}, {3, 5, 64}, {4, 4, 8}, {7, 66, 129}, {17, 9, 300}}) {
      auto A = randn(M * K, 2), B = randn(N * K, 3), bias = randn(N, 4);
      std::vector<std::uint16_t> Bh(N * K);
      for (std::size_t i = 0; i < Bh.size(); ++i) Bh[i] = f32_to_f16(B[i]);
      std::vector<float> Bw(N * K);  // the f16 B as the kernel reads it
      for (std::size_t i = 0; i < Bw.size(); ++i) Bw[i] = f16_to_f32(Bh[i]);
      for (bool half : {false, true}) {
        std::vector<float> C(M * N);
        kernels::gemm_nt(M, N, K, A.data(), K, half ? static_cast<const void*>(Bh.data()) : B.data(), half, K, C.data(), N, bias.data());
        const auto ref = kernels::reference::gemm_nt(M, N, K, A.data(), half ? Bw.data() : B.data(), bias.data());
        for (std::size_t i = 0; i < M * N; ++i) {
          INFO("M " << M << " N " << N << " K " << K << " half " << half);
          REQUIRE(std::fabs(C[i] - ref[i]) <= 1e-4 * (1 + std::sqrt(double(K))));
        }
      }
    }
  });
}

TEST_CASE("gemm_nn (outer-product tiles, strided B) matches a double-precision oracle on every target") {
  for_each_target([] {
    // rows cover every MR tail (1..6 and beyond); columns cover two-vector tiles, one-vector and
    // scalar tails on every vector width; ldb > N checks strided B.
    for (auto [M, N, K] : std::vector<std::array<std::size_t, 3>>{{1, 1, 1}, {5, 13, 7}, {6, 64, 9}, {7, 70, 33}, {13, 129, 144}, {16, 1024, 27}}) {
      const std::size_t ldb = N + 3;
      auto A = randn(M * K, 8), B = randn(K * ldb, 9), bias = randn(M, 10);
      for (bool with_bias : {false, true}) {
        std::vector<float> C(M * N, -7.0f);
        kernels::gemm_nn(M, N, K, A.data(), K, B.data(), ldb, C.data(), N, with_bias ? bias.data() : nullptr);
        const auto ref = kernels::reference::gemm_nn(M, N, K, A.data(), B.data(), ldb, with_bias ? bias.data() : nullptr);
        for (std::size_t m = 0; m < M; ++m)
          for (std::size_t n = 0; n < N; ++n) {
            INFO("M " << M << " N " << N << " K " << K << " m " << m << " n " << n);
            REQUIRE(std::fabs(C[m * N + n] - ref[m * N + n]) <= 1e-4 * (1 + std::sqrt(double(K))));
          }
      }
    }
  });
}

TEST_CASE("depthwise plane (padding, stride, dilation, column tails) matches the oracle on every target") {
  for_each_target([] {
    // {H, W, kh, kw, sh, sw, ph, pw, dh, dw}
    for (auto p : std::vector<std::array<std::int64_t, 10>>{{16, 16, 3, 3, 1, 1, 1, 1, 1, 1}, {17, 23, 3, 3, 2, 2, 1, 1, 1, 1},
                                                             {9, 37, 3, 5, 1, 1, 2, 2, 2, 1}, {5, 5, 3, 3, 2, 3, 2, 2, 2, 2},
                                                             {1, 40, 1, 7, 1, 1, 0, 3, 1, 1}, {8, 8, 1, 1, 1, 1, 0, 0, 1, 1}}) {
      kernels::depthwise_geometry g{p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7], p[8], p[9], 0, 0};
      g.OH = (g.H + 2 * g.ph - g.dh * (g.kh - 1) - 1) / g.sh + 1;
      g.OW = (g.W + 2 * g.pw - g.dw * (g.kw - 1) - 1) / g.sw + 1;
      g = kernels::make_depthwise_geometry(g);
      auto x = randn(static_cast<std::size_t>(g.H * g.W), 13), w = randn(static_cast<std::size_t>(g.kh * g.kw), 14);
      std::vector<float> y(static_cast<std::size_t>(g.OH * g.OW), -9.0f), scratch(g.scratch_floats());
      kernels::depthwise_plane(x.data(), w.data(), 0.25f, y.data(), g, scratch.data());
      const auto ref = kernels::reference::depthwise_plane(x.data(), g.H, g.W, w.data(), g.kh, g.kw, g.sh, g.sw, g.ph, g.pw, g.dh, g.dw, 0.25f, g.OH, g.OW);
      for (std::int64_t oh = 0; oh < g.OH; ++oh)
        for (std::int64_t ow = 0; ow < g.OW; ++ow) {
          const double r = ref[static_cast<std::size_t>(oh * g.OW + ow)];
          INFO("geometry " << p[0] << "x" << p[1] << " k " << p[2] << "x" << p[3] << " oh " << oh << " ow " << ow);
          REQUIRE(std::fabs(y[static_cast<std::size_t>(oh * g.OW + ow)] - r) <= 1e-5 * (1 + std::fabs(r)));
        }
    }
  });
}

TEST_CASE("softmax, log_softmax and layer_norm rows match the oracle on every target") {
  for_each_target([] {
    for (std::size_t cols : {1u, 5u, 16u, 31u, 200u}) {
      const std::size_t rows = 3;
      auto x = randn(rows * cols, 5), w = randn(cols, 6), b = randn(cols, 7);
      std::vector<float> y(x.size()), l(x.size()), ln(x.size());
      kernels::softmax_rows(x.data(), y.data(), rows, cols, false);
      kernels::softmax_rows(x.data(), l.data(), rows, cols, true);
      kernels::layer_norm_rows(x.data(), ln.data(), rows, cols, w.data(), b.data(), 1e-5f);
      for (std::size_t r = 0; r < rows; ++r) {
        const float* xr = x.data() + r * cols;
        const auto sm = kernels::reference::softmax_row(xr, cols, false), lsm = kernels::reference::softmax_row(xr, cols, true);
        const auto norm = kernels::reference::layer_norm_row(xr, cols, w.data(), b.data(), 1e-5);
        for (std::size_t c = 0; c < cols; ++c) {
          REQUIRE(std::fabs(y[r * cols + c] - sm[c]) <= 1e-6);
          REQUIRE(std::fabs(l[r * cols + c] - lsm[c]) <= 1e-5);
          REQUIRE(std::fabs(ln[r * cols + c] - norm[c]) <= 1e-4);
        }
      }
    }
  });
}

TEST_CASE("binary kernels with scalar broadcast on every target") {
  for_each_target([] {
    for (std::size_t n : {1u, 9u, 64u, 101u}) {
      auto a = randn(n, 8), b = randn(n, 9);
      std::vector<float> y(n);
      kernels::binary(kernels::binary_kind::mul, a.data(), 1, b.data(), 1, y.data(), n);
      for (std::size_t i = 0; i < n; ++i) REQUIRE(y[i] == Approx(a[i] * b[i]).margin(1e-7));
      kernels::binary(kernels::binary_kind::sub, a.data(), 1, b.data(), 0, y.data(), n);
      for (std::size_t i = 0; i < n; ++i) REQUIRE(y[i] == Approx(a[i] - b[0]).margin(1e-7));
      kernels::binary(kernels::binary_kind::div, a.data(), 0, b.data(), 1, y.data(), n);
      for (std::size_t i = 0; i < n; ++i) REQUIRE(y[i] == Approx(a[0] / b[i]).epsilon(1e-6));
    }
  });
}

// Which targets the tests above covered on this machine (printed, so CI logs show it).
TEST_CASE("report the Highway targets under test") {
  std::string names;
  for (std::int64_t t : hwy::SupportedAndGeneratedTargets()) names += std::string(names.empty() ? "" : ", ") + hwy::TargetName(t);
  std::cout << "kernel targets checked: " << names << " (dispatcher picks " << kernels::active_target() << ")\n";
  REQUIRE(!names.empty());
}
