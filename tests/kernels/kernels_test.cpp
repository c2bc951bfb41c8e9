// Every kernel on every Highway target compiled in and supported by this CPU, against its scalar
// oracle (kernels/reference/), on sizes that exercise vector tails.
#include <catch2/catch.hpp>
#include <cmath>
#include <cstring>
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

TEST_CASE("f32 to f16 gives cactus::f32_to_f16's bits on every target: ties, subnormals, overflow, infinities") {
  std::vector<float> x;
  std::mt19937 rng(5);
  for (int i = 0; i < 4000; ++i) {  // every exponent f16 has and some past it, random mantissas
    const std::uint32_t bits = (rng() & 0x80000000u) | ((90u + rng() % 60u) << 23) | (rng() & 0x7fffffu);
    float f;
    std::memcpy(&f, &bits, 4);
    x.push_back(f);
  }
  for (std::uint32_t h : {0x3c00u, 0x0001u, 0x03ffu, 0x0400u, 0x7bffu}) {  // halfway between h and h + 1, both parities
    const float a = cactus::f16_to_f32(static_cast<std::uint16_t>(h)), b = cactus::f16_to_f32(static_cast<std::uint16_t>(h + 1));
    x.push_back(0.5f * (a + b));
    x.push_back(-0.5f * (a + b));
  }
  for (float f : {0.0f, -0.0f, 65504.0f, 65520.0f, 1e-8f, 3e-8f, INFINITY, -INFINITY, NAN}) x.push_back(f);
  for_each_target([&] {
    for (std::size_t n : {x.size(), std::size_t{13}}) {
      std::vector<std::uint16_t> y(n, 0xdead);
      kernels::f32_to_f16_span(x.data() + (x.size() - n), y.data(), n);
      for (std::size_t i = 0; i < n; ++i) {
        const float v = x[x.size() - n + i];
        INFO("x " << v << " n " << n);
        if (std::isnan(v))
          CHECK(std::isnan(cactus::f16_to_f32(y[i])));
        else
          REQUIRE(y[i] == cactus::f32_to_f16(v));
      }
    }
  });
}

TEST_CASE("rounding, hard activations, logs and inverse trigonometry match the scalar oracle on every target") {
  // inputs in each function's domain: (-1, 1) for asin / acos / atanh, [1, 5) for acosh,
  // (-1, 4) for log1p, (0, 4) for the logs, (-1.4, 1.4) for tan, 4 * randn elsewhere
  auto domain = [](unary_kind k, float r) {
    const float u = 0.5f * (std::tanh(r) + 1.0f);  // (0, 1)
    switch (k) {
      case unary_kind::asin: case unary_kind::acos: case unary_kind::atanh: return 1.98f * u - 0.99f;
      case unary_kind::acosh: return 1.0f + 4.0f * u;
      case unary_kind::log1p: return 5.0f * u - 0.99f;
      case unary_kind::log2: case unary_kind::log10: return 4.0f * u + 1e-3f;
      case unary_kind::tan: return 2.8f * u - 1.4f;
      default: return 4.0f * r;
    }
  };
  for_each_target([&] {
    for (std::size_t n : {1u, 7u, 16u, 33u, 1000u}) {
      const auto r = randn(n, 5);
      for (auto k : {unary_kind::floor, unary_kind::ceil, unary_kind::round, unary_kind::trunc, unary_kind::sign, unary_kind::hardswish,
                     unary_kind::hardsigmoid, unary_kind::expm1, unary_kind::log1p, unary_kind::log2, unary_kind::log10, unary_kind::tan,
                     unary_kind::asin, unary_kind::acos, unary_kind::atan, unary_kind::sinh, unary_kind::cosh, unary_kind::asinh,
                     unary_kind::acosh, unary_kind::atanh}) {
        std::vector<float> x(n), y(n);
        for (std::size_t i = 0; i < n; ++i) x[i] = domain(k, r[i]);
        kernels::unary(k, x.data(), y.data(), n, 0.0f, 0.0f);
        std::size_t worst = 0;  // the element furthest outside the tolerance (one REQUIRE: fast under qemu)
        double excess = -1;
        for (std::size_t i = 0; i < n; ++i) {
          const double ref = ops::detail::unary_scalar(k, x[i], 0, 0);
          const double e = std::fabs(y[i] - ref) - (4e-6 + 4e-6 * std::fabs(ref));
          if (!(e <= excess) && !std::isnan(excess)) excess = e, worst = i;  // a NaN sticks
        }
        INFO("kind " << int(k) << " n " << n << " i " << worst << " x " << x[worst] << " y " << y[worst]);
        REQUIRE(excess <= 0);
      }
    }
    // exact cases: halves round to even, signs of zero and NaN, hardswish's knees
    const std::vector<float> x = {0.5f, 1.5f, 2.5f, -0.5f, -1.5f, 0.0f, -0.0f, std::nanf(""), -3.0f, 3.0f, -2.9f, 2.9f};
    std::vector<float> y(x.size());
    kernels::unary(unary_kind::round, x.data(), y.data(), 7, 0.0f, 0.0f);
    REQUIRE(std::vector<float>(y.begin(), y.begin() + 5) == std::vector<float>{0.0f, 2.0f, 2.0f, -0.0f, -2.0f});
    kernels::unary(unary_kind::sign, x.data(), y.data(), x.size(), 0.0f, 0.0f);
    REQUIRE(y[5] == 0.0f);
    REQUIRE(y[7] == 0.0f);
    REQUIRE(y[8] == -1.0f);
    kernels::unary(unary_kind::hardswish, x.data(), y.data(), x.size(), 0.0f, 0.0f);
    REQUIRE(y[8] == 0.0f);
    REQUIRE(y[9] == 3.0f);
    REQUIRE(std::fabs(y[10] - (-2.9f * 0.1f / 6.0f)) < 1e-7f);
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

TEST_CASE("gemm_nn_packed (packed A panels, K blocks, row and column tails) matches the oracle on every target") {
  for_each_target([] {
    // rows: under one panel, one, a panel and a row, several with a 4- and 8-row tail; columns:
    // every tail width (under 4, 4, 5..8, 9..16, past a vector) and whole two-vector tiles
    for (std::size_t M : {1u, 5u, 12u, 13u, 20u, 40u})
      for (std::size_t N : {1u, 3u, 4u, 7u, 9u, 16u, 17u, 33u, 47u, 196u})
        for (std::size_t K : {1u, 7u, 300u}) {
          const std::size_t ldb = N + 3, ldc = N + 2;
          auto A = randn(M * K, 11), bias = randn(M, 13);
          // B exactly as large as its rows need, so that a read past it is caught (ASan)
          auto B = randn((K - 1) * ldb + N, 12);
          std::vector<float> Ap(kernels::gemm_packed_size(M, K), -1.0f);
          kernels::gemm_pack_a(M, K, A.data(), K, Ap.data());
          std::vector<float> C(M * ldc, -7.0f);
          // rows split at a panel, columns at an odd point, K in two blocks (the second adds)
          const std::size_t ms = M > 12 ? 12 : M, ns = N / 3, ks = K / 2;
          for (auto [m0, m1] : {std::pair{std::size_t{0}, ms}, std::pair{ms, M}})
            for (auto [n0, n1] : {std::pair{std::size_t{0}, ns}, std::pair{ns, N}}) {
              if (m0 == m1 || n0 == n1) continue;
              if (ks > 0) kernels::gemm_nn_packed(m0, m1, n0, n1, 0, ks, Ap.data(), K, B.data(), ldb, C.data(), ldc, true, bias.data());
              kernels::gemm_nn_packed(m0, m1, n0, n1, ks, K, Ap.data(), K, B.data() + ks * ldb, ldb, C.data(), ldc, ks == 0, bias.data());
            }
          const auto ref = kernels::reference::gemm_nn(M, N, K, A.data(), B.data(), ldb, bias.data());
          for (std::size_t m = 0; m < M; ++m) {
            for (std::size_t n = 0; n < N; ++n) {
              INFO("M " << M << " N " << N << " K " << K << " m " << m << " n " << n);
              REQUIRE(std::fabs(C[m * ldc + n] - ref[m * N + n]) <= 1e-4 * (1 + std::sqrt(double(K))));
            }
            for (std::size_t n = N; n < ldc; ++n) REQUIRE(C[m * ldc + n] == -7.0f);  // nothing written past the columns
          }
        }
  });
}

TEST_CASE("im2col_rows (padding, strides 1, 2, 3, dilation, unaligned pixel ranges) matches the definition on every target") {
  using kernels::reference::conv2d_geometry;
  for_each_target([] {
    for (const conv2d_geometry g : {conv2d_geometry{3, 14, 14, 3, 3, 1, 1, 1, 1, 1, 1}, conv2d_geometry{2, 28, 27, 3, 3, 2, 2, 1, 1, 1, 1},
                                    conv2d_geometry{2, 9, 40, 1, 5, 1, 3, 0, 2, 1, 1}, conv2d_geometry{2, 11, 11, 3, 3, 1, 1, 2, 2, 2, 2},
                                    conv2d_geometry{1, 7, 7, 7, 7, 2, 2, 3, 3, 1, 1}}) {
      const std::int64_t OH = g.out_h(), OW = g.out_w(), P = OH * OW, K = g.C * g.kh * g.kw;
      // x exactly as large as the planes, so that a read past it is caught (ASan)
      auto x = randn(static_cast<std::size_t>(g.C * g.H * g.W), 14);
      const kernels::im2col_geometry geo{g.C, g.H, g.W, g.kh, g.kw, g.sh, g.sw, g.ph, g.pw, g.dh, g.dw, OW};
      for (auto [p0, p1] : {std::pair<std::int64_t, std::int64_t>{0, P}, {OW / 2, OW * 2 + 3}, {P - 5, P}})
        for (auto [k0, k1] : {std::pair<std::int64_t, std::int64_t>{0, K}, {1, K - 1}}) {
          if (k0 >= k1) continue;
          const std::int64_t ld = p1 - p0 + 3;
          std::vector<float> col(static_cast<std::size_t>((k1 - k0) * ld) + kernels::im2col_slack, -9.0f);
          kernels::im2col_rows(x.data(), geo, k0, k1, p0, p1, col.data(), ld);
          for (std::int64_t k = k0; k < k1; ++k)
            for (std::int64_t p = p0; p < p1; ++p) {
              INFO("geometry C " << g.C << " H " << g.H << " W " << g.W << " k " << g.kh << "x" << g.kw << " stride " << g.sh << "," << g.sw
                                 << " dilation " << g.dh << " row " << k << " pixel " << p);
              REQUIRE(col[static_cast<std::size_t>((k - k0) * ld + p - p0)] == kernels::reference::im2col(x.data(), g, k, p));
            }
        }
    }
  });
}

// conv_forward picks conv_direct where the output channels fill its kernel panels (the last
// four cases on every target up to 512-bit vectors: 7x7 with 64 channels; stride 2 with 23 output columns, so rows of
// two or more uneven tiles; dilated and grouped with 120 channels a group; 1-D), conv_indirect
// (stride 1, few output channels: the 23x23, dilated, 5x5 and grouped cases) or conv_gemm on
// im2col (1x1, strided 20 channels) where the panel is wider than their channels.
TEST_CASE("conv_forward (packed kernel: 1x1, strided, dilated, grouped, 1-D, epilogue; direct, indirect and im2col) matches the oracle on every target") {
  using kernels::reference::conv2d_geometry;
  struct conv_case {
    conv2d_geometry g;
    std::int64_t O, G;
  };
  for_each_target([] {
    for (const conv_case cc : {conv_case{{16, 14, 14, 1, 1, 1, 1, 0, 0, 1, 1}, 40, 1}, conv_case{{8, 28, 28, 3, 3, 2, 2, 1, 1, 1, 1}, 20, 1},
                               conv_case{{6, 23, 23, 3, 3, 1, 1, 1, 1, 1, 1}, 13, 1}, conv_case{{8, 12, 17, 3, 3, 1, 1, 2, 2, 2, 2}, 24, 2},
                               conv_case{{4, 9, 9, 5, 5, 1, 1, 2, 2, 1, 1}, 3, 1}, conv_case{{12, 30, 30, 3, 3, 1, 1, 1, 1, 1, 1}, 12, 3},
                               conv_case{{16, 7, 7, 3, 3, 1, 1, 1, 1, 1, 1}, 64, 1}, conv_case{{4, 5, 45, 3, 3, 2, 2, 1, 1, 1, 1}, 120, 1},
                               conv_case{{8, 12, 17, 3, 3, 1, 2, 2, 2, 2, 1}, 240, 2}, conv_case{{4, 1, 40, 1, 5, 1, 1, 0, 2, 1, 1}, 64, 1}}) {
      const conv2d_geometry& r = cc.g;
      ops::detail::conv_geom g{};
      g.N = 2, g.C = r.C, g.H = r.H, g.W = r.W, g.O = cc.O, g.kh = r.kh, g.kw = r.kw, g.sh = r.sh, g.sw = r.sw, g.ph = r.ph, g.pw = r.pw;
      g.dh = r.dh, g.dw = r.dw, g.G = cc.G, g.OH = r.out_h(), g.OW = r.out_w();
      // panels are two vectors: 32 channels or fewer up to 512-bit vectors
      if (g.O / g.G >= 64 && kernels::conv_direct_panel() <= 32) REQUIRE(ops::detail::direct_pays(g));
      const std::int64_t Cg = g.C / g.G, Og = g.O / g.G, K = Cg * g.kh * g.kw, P = g.OH * g.OW;
      auto x = randn(static_cast<std::size_t>(g.N * g.C * g.H * g.W), 15), w = randn(static_cast<std::size_t>(g.O * K), 16);
      auto bias = randn(static_cast<std::size_t>(g.O), 17), scale = randn(static_cast<std::size_t>(g.O), 18), shift = randn(static_cast<std::size_t>(g.O), 19);
      const auto wp = ops::detail::packed_conv_kernel(g, w.data());
      const ops::detail::conv_epilogue ep{scale.data(), shift.data(), true, kernels::unary_kind::relu, 0.0f, 0.0f};
      for (int variant = 0; variant < 3; ++variant) {  // packed per call; packed once; with an epilogue
        std::vector<float> y(static_cast<std::size_t>(g.N * g.O * P), -5.0f);
        ops::detail::conv_forward(g, x.data(), w.data(), variant == 2 ? nullptr : bias.data(), y.data(), variant == 2 ? &ep : nullptr,
                                  variant == 0 ? nullptr : wp.data());
        conv2d_geometry rg = r;
        rg.C = Cg;
        for (std::int64_t n = 0; n < g.N; ++n)
          for (std::int64_t grp = 0; grp < g.G; ++grp) {
            const auto ref = kernels::reference::conv2d(x.data() + (n * g.C + grp * Cg) * g.H * g.W, rg, w.data() + grp * Og * K, Og,
                                                        variant == 2 ? nullptr : bias.data() + grp * Og);
            for (std::int64_t o = 0; o < Og; ++o)
              for (std::int64_t p = 0; p < P; ++p) {
                double want = ref[static_cast<std::size_t>(o * P + p)];
                if (variant == 2) want = std::max(0.0, want * scale[static_cast<std::size_t>(grp * Og + o)] + shift[static_cast<std::size_t>(grp * Og + o)]);
                INFO("C " << g.C << " O " << g.O << " groups " << g.G << " k " << g.kh << " stride " << g.sh << " variant " << variant << " n " << n
                          << " o " << grp * Og + o << " p " << p);
                REQUIRE(std::fabs(y[static_cast<std::size_t>((n * g.O + grp * Og + o) * P + p)] - want) <= 1e-4 * (1 + std::sqrt(double(K))) * (1 + std::fabs(want)));
              }
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
