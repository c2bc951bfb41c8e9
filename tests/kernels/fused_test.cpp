// The fused ops' kernels (kernels/fused-inl.hpp) against their double-precision oracles
// (kernels/reference/fused.hpp), on
// every compiled Highway target this CPU (or qemu's) supports: rotary rows in both layouts and
// any split, the gated activation product, the conv epilogue, and attention rows in both
// paths (per-key dots; transposed keys and two GEMMs) with masks, causality and tails.
#include <cmath>

#include "every_target.hpp"

using namespace cactus;
using cactus::testing::for_each_target;
using cactus::testing::randn;

TEST_CASE("rope rows (rotate_half at any split, interleaved) match the oracle on every target") {
  for_each_target([] {
    for (std::size_t D : {2u, 8u, 30u, 64u, 128u, 130u}) {
      const auto x = randn(D, 1), c = randn(D, 2), s = randn(D, 3);
      std::vector<float> y(D);
      for (std::size_t h : {D / 2, std::size_t{0}, D, D / 2 + 1}) {
        if (h > D) continue;
        kernels::rope_row(x.data(), c.data(), s.data(), y.data(), D, h, false);
        const auto ref = kernels::reference::rope_row(x.data(), c.data(), s.data(), D, h, false);
        for (std::size_t i = 0; i < D; ++i) REQUIRE(y[i] == Approx(ref[i]).margin(1e-5));
      }
      kernels::rope_row(x.data(), c.data(), s.data(), y.data(), D, 0, true);
      const auto ref = kernels::reference::rope_row(x.data(), c.data(), s.data(), D, 0, true);
      for (std::size_t i = 0; i < D; ++i) REQUIRE(y[i] == Approx(ref[i]).margin(1e-5));
    }
  });
}

TEST_CASE("gated activation and conv epilogue match the oracle on every target") {
  for_each_target([] {
    const std::size_t n = 77;
    const auto g = randn(n, 4), u = randn(n, 5);
    std::vector<float> y(n);
    for (auto k : {kernels::unary_kind::silu, kernels::unary_kind::gelu_tanh, kernels::unary_kind::gelu_erf}) {
      kernels::gated_act_serial(k, g.data(), u.data(), y.data(), n);
      const auto ref = kernels::reference::gated_act(k, g.data(), u.data(), n);
      for (std::size_t i = 0; i < n; ++i) REQUIRE(y[i] == Approx(ref[i]).margin(2e-6));
    }
    auto epilogue = [&](float scale, float shift, bool act, kernels::unary_kind k, float p0, float p1) {
      kernels::affine_act(g.data(), y.data(), n, scale, shift, act, k, p0, p1);
      const auto ref = kernels::reference::affine_act(g.data(), n, scale, shift, act, k, p0, p1);
      for (std::size_t i = 0; i < n; ++i) REQUIRE(y[i] == Approx(ref[i]).margin(1e-6));
    };
    epilogue(1.5f, -0.25f, false, kernels::unary_kind::relu, 0.0f, 0.0f);
    epilogue(1.5f, -0.25f, true, kernels::unary_kind::relu, 0.0f, 0.0f);
    epilogue(3.0f, 1.0f, true, kernels::unary_kind::clamp, 0.0f, 6.0f);
  });
}

TEST_CASE("lstm cell step matches the oracle on every target") {
  for_each_target([] {
    for (std::size_t H : {1u, 15u, 64u}) {
      const auto a = randn(4 * H, 23), b = randn(4 * H, 24), c = randn(H, 25);
      std::vector<float> h(H), cn(H);
      for (const bool two : {false, true}) {
        kernels::lstm_cell(a.data(), two ? b.data() : nullptr, c.data(), h.data(), cn.data(), H);
        const auto [hr, cr] = kernels::reference::lstm_cell(a.data(), two ? b.data() : nullptr, c.data(), H);
        for (std::size_t j = 0; j < H; ++j) {
          REQUIRE(cn[j] == Approx(cr[j]).margin(2e-6));
          REQUIRE(h[j] == Approx(hr[j]).margin(2e-6));
        }
      }
    }
  });
}

TEST_CASE("attention rows (dot and GEMM paths, masks, causal, tails) match the oracle on every target") {
  for_each_target([] {
    for (auto [L, S, E, Ev] : std::vector<std::array<std::size_t, 4>>{{1, 37, 16, 16}, {9, 9, 24, 40}, {13, 70, 64, 33}, {6, 4, 7, 5}}) {
      const auto q = randn(L * E, 6), k = randn(S * E, 7), v = randn(S * Ev, 8), m = randn(L * S, 9);
      std::vector<std::uint8_t> keep(L * S);
      for (std::size_t i = 0; i < keep.size(); ++i) keep[i] = (i * 7 + 3) % 5 != 0 || i % S == 0;
      std::vector<float> kt(E * S);
      for (std::size_t j = 0; j < S; ++j)
        for (std::size_t e = 0; e < E; ++e) kt[e * S + j] = k[j * E + e];
      std::vector<float> scores(L * S), out(L * Ev);
      for (int variant = 0; variant < 4; ++variant) {
        const bool use_mask = variant == 1, use_keep = variant == 2, causal = variant == 3;
        const std::int64_t offset = static_cast<std::int64_t>(S) - static_cast<std::int64_t>(L);
        const float scale = 1.0f / std::sqrt(static_cast<float>(E));
        const auto ref = kernels::reference::attention_head(q.data(), k.data(), v.data(), L, S, E, Ev, scale, use_mask ? m.data() : nullptr,
                                                            use_keep ? keep.data() : nullptr, -1e9f, causal, offset);
        for (const bool gemm : {false, true}) {
          kernels::attention_head h{q.data(), E, k.data(), E, v.data(), Ev, out.data(), Ev, S, E, Ev, scale};
          if (use_mask) { h.mask = m.data(); h.ldm = S; }
          if (use_keep) { h.keep = keep.data(); h.ldkeep = S; h.fill = -1e9f; }
          h.causal = causal;
          h.causal_offset = offset;
          // rows in two blocks, as the op splits them
          kernels::attention_rows(h, 0, L / 2, gemm ? kt.data() : nullptr, S, scores.data());
          kernels::attention_rows(h, L / 2, L, gemm ? kt.data() : nullptr, S, scores.data());
          INFO("L " << L << " S " << S << " E " << E << " Ev " << Ev << " variant " << variant << " gemm " << gemm);
          for (std::size_t i = 0; i < L * Ev; ++i) {
            if (std::isnan(ref[i])) REQUIRE(std::isnan(out[i]));
            else REQUIRE(out[i] == Approx(ref[i]).margin(2e-5));
          }
        }
      }
    }
  });
}

TEST_CASE("cached attention rows over an int8 cache (a scale per 32 features) match a scalar softmax of the dequantized rows on every target") {
  for_each_target([] {
    for (std::size_t M : {1u, 3u})
      for (std::size_t n : {1u, 9u, 40u})
        for (std::size_t E : {32u, 128u}) {
          const std::size_t Ev = E == 32 ? 64 : E, ldq = E + 1, ldo = Ev + 2, gk = E / 32, gv = Ev / 32, lds = std::max(gk, gv);
          auto q = randn(M * ldq, 4), kf = randn(n * E, 5), vf = randn(n * Ev, 6);
          std::vector<std::int8_t> k8(n * E), v8(n * Ev);
          std::vector<float> ks(n * lds), vs(n * lds);
          auto quantize = [&](std::vector<float>& x, std::size_t width, std::vector<std::int8_t>& codes, std::vector<float>& s) {
            for (std::size_t j = 0; j < n; ++j)
              for (std::size_t g = 0; g < width / 32; ++g) {
                float amax = 0;
                for (std::size_t i = 0; i < 32; ++i) amax = std::max(amax, std::fabs(x[j * width + g * 32 + i]));
                s[j * lds + g] = amax / 127.0f;
                for (std::size_t i = 0; i < 32; ++i) {
                  auto& c = codes[j * width + g * 32 + i];
                  c = static_cast<std::int8_t>(std::lrint(x[j * width + g * 32 + i] * 127.0f / amax));
                  x[j * width + g * 32 + i] = c * s[j * lds + g];  // the reference sees what the cache holds
                }
              }
          };
          quantize(kf, E, k8, ks);
          quantize(vf, Ev, v8, vs);
          const float scale = 1.0f / std::sqrt(float(E));
          std::vector<float> out(M * ldo, -7.0f), scores(M * n + 64);
          cactus::kernels::cached_attention_rows_i8(q.data(), ldq, M, k8.data(), ks.data(), E, lds, v8.data(), vs.data(), Ev, lds, n, E, Ev, scale,
                                                    out.data(), ldo, scores.data());
          for (std::size_t m = 0; m < M; ++m) {
            std::vector<double> s(n);
            double mx = -1e300, sum = 0;
            for (std::size_t j = 0; j < n; ++j) {
              double d = 0;
              for (std::size_t e = 0; e < E; ++e) d += double(q[m * ldq + e]) * kf[j * E + e];
              s[j] = d * scale;
              mx = std::max(mx, s[j]);
            }
            for (auto& x : s) sum += x = std::exp(x - mx);
            for (std::size_t e = 0; e < Ev; ++e) {
              double want = 0;
              for (std::size_t j = 0; j < n; ++j) want += s[j] / sum * vf[j * Ev + e];
              INFO("M " << M << " n " << n << " E " << E << " row " << m << " e " << e);
              REQUIRE(std::fabs(out[m * ldo + e] - want) <= 1e-5 + 1e-5 * std::fabs(want));
            }
            REQUIRE(out[m * ldo + Ev] == -7.0f);
          }
        }
  });
  std::vector<float> q(64), s(64);
  std::vector<std::int8_t> k(48 * 2);
  CHECK_THROWS_WITH(cactus::kernels::cached_attention_rows_i8(q.data(), 48, 1, k.data(), s.data(), 48, 2, k.data(), s.data(), 48, 2, 2, 48, 48, 1.0f,
                                                              q.data(), 48, s.data()),
                    Catch::Contains("multiples of 32"));
}

TEST_CASE("cached attention rows (f32 and f16 caches, grouped queries, odd sizes) match a scalar softmax on every target") {
  for_each_target([] {
    for (bool f16 : {false, true})
      for (std::size_t M : {1u, 2u, 3u, 5u})  // 5: a block of four and one
        for (std::size_t n : {1u, 7u, 33u, 70u})  // past kAttentionAhead: the rows asked for ahead stop at n
          for (std::size_t E : {5u, 16u, 64u, 130u}) {
            const std::size_t Ev = E + 3, ldq = E + 1, ldk = E + 2, ldv = Ev + 1, ldo = Ev + 2;
            auto q = randn(M * ldq, 1), kf = randn(n * ldk, 2), vf = randn(n * ldv, 3);
            std::vector<std::uint16_t> kh(kf.size()), vh(vf.size());
            for (std::size_t i = 0; i < kf.size(); ++i) { kh[i] = cactus::f32_to_f16(kf[i]); kf[i] = cactus::f16_to_f32(kh[i]); }
            for (std::size_t i = 0; i < vf.size(); ++i) { vh[i] = cactus::f32_to_f16(vf[i]); vf[i] = cactus::f16_to_f32(vh[i]); }
            const float scale = 1.0f / std::sqrt(float(E));
            std::vector<float> out(M * ldo, -7.0f), scores(M * n + 64);
            cactus::kernels::cached_attention_rows(q.data(), ldq, M, f16 ? static_cast<const void*>(kh.data()) : kf.data(), ldk,
                                                   f16 ? static_cast<const void*>(vh.data()) : vf.data(), ldv, f16, n, E, Ev, scale, out.data(), ldo,
                                                   scores.data());
            for (std::size_t m = 0; m < M; ++m) {
              std::vector<double> s(n);
              double mx = -1e300, sum = 0;
              for (std::size_t j = 0; j < n; ++j) {
                double d = 0;
                for (std::size_t e = 0; e < E; ++e) d += double(q[m * ldq + e]) * kf[j * ldk + e];
                s[j] = d * scale;
                mx = std::max(mx, s[j]);
              }
              for (auto& x : s) sum += x = std::exp(x - mx);
              for (std::size_t e = 0; e < Ev; ++e) {
                double want = 0;
                for (std::size_t j = 0; j < n; ++j) want += s[j] / sum * vf[j * ldv + e];
                INFO("f16 " << f16 << " M " << M << " n " << n << " E " << E << " row " << m << " e " << e);
                REQUIRE(std::fabs(out[m * ldo + e] - want) <= 1e-5 + 1e-5 * std::fabs(want));
              }
              REQUIRE(out[m * ldo + Ev] == -7.0f);  // the row's padding is not written
            }
          }
  });
}
