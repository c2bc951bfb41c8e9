// quant_matmul (q8, cq1..cq4) on every Highway target compiled in and supported by this CPU:
// bit-level against the scalar integer oracle (kernels/reference/quant.hpp) on the same quantized
// activations, and end to end against x . unpack(W)^T in double precision.
#include <catch2/catch.hpp>
#include <cmath>
#include <functional>
#include <iostream>
#include <random>
#include <string>
#if defined(__aarch64__) && defined(__linux__)
#include <asm/hwcap.h>
#include <sys/auxv.h>
#endif

#include <cactus/cactus.hpp>  // the public header, so the tests also run against single_include/

#include "every_target.hpp"

using namespace cactus;

using testing::for_each_target;
using testing::randn;

namespace {

const dtype packed_formats[] = {dtype::q8, dtype::cq4, dtype::cq3, dtype::cq2, dtype::cq1};
}  // namespace

TEST_CASE("activation quantization: int16 per group of 128, rotated for CQ") {
  for_each_target([] {
    for (std::size_t K : {1u, 100u, 128u, 300u}) {
      const std::size_t Kp = (K + 127) / 128 * 128, G = Kp / 128;
      auto x = randn(2 * K, 5);
      for (bool rotate : {false, true}) {
        std::vector<std::int16_t> xq(2 * Kp);
        std::vector<float> steps(2 * G);
        kernels::quantize_activations(x.data(), 2, K, rotate, xq.data(), steps.data());
        for (std::size_t r = 0; r < 2; ++r)
          for (std::size_t g = 0; g < G; ++g) {
            float ref[128] = {};
            for (std::size_t j = 0; j < 128 && g * 128 + j < K; ++j) ref[j] = x[r * K + g * 128 + j];
            if (rotate) quant::rotate_group(ref);
            float amax = 0;
            for (float v : ref) amax = std::max(amax, std::fabs(v));
            INFO("K " << K << " rotate " << rotate << " row " << r << " group " << g);
            REQUIRE(steps[r * G + g] == Approx(amax / 32767.0f).epsilon(1e-6));
            const std::size_t B = kernels::quant_activation_block();
            for (std::size_t j = 0; j < 128; ++j) {
              const std::size_t at = B < 2 ? j : j / B * B + (j % 2) * (B / 2) + (j % B) / 2;  // evens first per block
              REQUIRE(std::fabs(xq[r * Kp + g * 128 + at] * steps[r * G + g] - ref[j]) <= steps[r * G + g] * 0.5001f + 1e-6f * amax);
            }
          }
      }
    }
  });
}

TEST_CASE("quant_matmul matches the integer oracle and unpack() on every target, every format") {
  for_each_target([] {
    for (auto [M, N, K] : std::vector<std::array<std::size_t, 3>>{{1, 1, 128}, {1, 7, 300}, {2, 5, 256}, {3, 9, 129}, {5, 33, 640}, {9, 4, 1}}) {
      auto wf = randn(N * K, 11), x = randn(M * K, 12), bias = randn(N, 13);
      tensor w = tensor::empty(dtype::f32, {static_cast<std::int64_t>(N), static_cast<std::int64_t>(K)});
      std::copy(wf.begin(), wf.end(), w.ptr<float>());
      for (dtype fmt : packed_formats) {
        tensor p = quant::pack(w, fmt);
        const packed_layout l = packed_layout_of(fmt, p.shape);
        const std::size_t Kp = static_cast<std::size_t>(l.kp), G = static_cast<std::size_t>(l.groups);
        const bool int8_acts = kernels::quant_int8_activations(fmt, M);
        // the activations the dispatched path quantizes
        std::vector<std::int16_t> xq(M * Kp);
        std::vector<std::int8_t> xq8(M * Kp);
        std::vector<float> steps(M * G);
        std::vector<std::int32_t> sums(M * G);
        if (int8_acts) kernels::quantize_activations_i8(x.data(), M, K, fmt != dtype::q8, xq8.data(), steps.data(), sums.data());
        else kernels::quantize_activations(x.data(), M, K, fmt != dtype::q8, xq.data(), steps.data());
        const std::size_t B = kernels::quant_activation_block();
        auto at = [&](std::size_t j) { return B < 2 ? j : j / B * B + (j % 2) * (B / 2) + (j % B) / 2; };
        std::vector<float> C(M * N);
        kernels::quant_matmul(fmt, p.data, N, K, M, x.data(), C.data(), N, bias.data());
        tensor deq = quant::unpack(p);
        for (std::size_t m = 0; m < M; ++m)
          for (std::size_t n = 0; n < N; ++n) {
            double mag = std::fabs(bias[n]);
            const double oracle = bias[n] + kernels::reference::quant_dot(
                fmt, p, n, G,
                [&](std::size_t g, std::size_t j) { return int8_acts ? double(xq8[m * Kp + g * 128 + j]) : double(xq[m * Kp + g * 128 + at(j)]); },
                [&](std::size_t g) { return double(steps[m * G + g]); }, &mag);
            double exact = bias[n], rounding = 0;
            for (std::size_t k = 0; k < K; ++k) {
              exact += double(x[m * K + k]) * deq.ptr<float>()[n * K + k];
              rounding += std::fabs(deq.ptr<float>()[n * K + k]);
            }
            INFO(name_of(fmt) << (int8_acts ? " (int8 activations)" : " (int16 activations)") << " M " << M << " N " << N << " K " << K << " m " << m
                              << " n " << n);
            REQUIRE(std::fabs(C[m * N + n] - oracle) <= 1e-5 * (mag + 1));
            // activation rounding: at most half a step per element (CQ rotates the activations, so
            // bound with the largest step and the weights' L1 norm times sqrt(128))
            float max_step = 0;
            for (std::size_t g = 0; g < G; ++g) max_step = std::max(max_step, steps[m * G + g]);
            REQUIRE(std::fabs(C[m * N + n] - exact) <= 0.5 * max_step * rounding * (fmt == dtype::q8 ? 1.0 : std::sqrt(128.0)) + 1e-4 * (mag + 1));
          }
      }
    }
  });
}

TEST_CASE("the int8-activation path (CQ; q8 matrix-vector with VNNI or SDOT) matches its integer oracle on every target (with and without VNNI, SDOT, SMMLA)") {
  for_each_target([] {
   for (const bool vnni : {true, false}) {
    kernels::allow_quant_vnni(vnni);
    INFO("int8 instructions: " << kernels::quant_int8_instructions());
    for (auto [M, N, K] : std::vector<std::array<std::size_t, 3>>{{1, 3, 128}, {1, 9, 384}, {1, 11, 1100}, {4, 5, 300}, {6, 17, 256}, {11, 9, 1}}) {
      auto wf = randn(N * K, 21), x = randn(M * K, 22), bias = randn(N, 23);
      tensor w = tensor::empty(dtype::f32, {static_cast<std::int64_t>(N), static_cast<std::int64_t>(K)});
      std::copy(wf.begin(), wf.end(), w.ptr<float>());
      for (dtype fmt : {dtype::q8, dtype::cq4, dtype::cq3, dtype::cq2, dtype::cq1}) {
        tensor p = quant::pack(w, fmt);
        const packed_layout l = packed_layout_of(fmt, p.shape);
        const std::size_t Kp = static_cast<std::size_t>(l.kp), G = static_cast<std::size_t>(l.groups);
        std::vector<std::int8_t> xq(M * Kp);
        std::vector<float> steps(M * G);
        std::vector<std::int32_t> sums(M * G);
        kernels::quantize_activations_i8(x.data(), M, K, fmt != dtype::q8, xq.data(), steps.data(), sums.data());
        for (std::size_t m = 0; m < M; ++m)
          for (std::size_t g = 0; g < G; ++g) {
            std::int32_t s = 0;
            for (std::size_t j = 0; j < 128; ++j) s += xq[m * Kp + g * 128 + j];
            REQUIRE(s == sums[m * G + g]);
          }
        std::vector<float> C(M * N);
        // in two calls split at an odd row, as two threads would take it
        const std::size_t half = N / 2 | 1;
        kernels::quant_matmul_rows_i8(fmt, p.data, N, K, M, xq.data(), steps.data(), sums.data(), 0, half, C.data(), N, bias.data());
        kernels::quant_matmul_rows_i8(fmt, p.data, N, K, M, xq.data(), steps.data(), sums.data(), half, N, C.data(), N, bias.data());
        for (std::size_t m = 0; m < M; ++m)
          for (std::size_t n = 0; n < N; ++n) {
            double mag = std::fabs(bias[n]);
            const double oracle = bias[n] + kernels::reference::quant_dot(
                fmt, p, n, G, [&](std::size_t g, std::size_t j) { return double(xq[m * Kp + g * 128 + j]); },
                [&](std::size_t g) { return double(steps[m * G + g]); }, &mag);
            INFO(name_of(fmt) << " M " << M << " N " << N << " K " << K << " m " << m << " n " << n);
            REQUIRE(std::fabs(C[m * N + n] - oracle) <= 1e-5 * (mag + 1));
          }
      }
    }
   }
   kernels::allow_quant_vnni(true);
  });
}

TEST_CASE("the int8 matrix-matrix microkernel (batch > 4) matches its integer oracle on every target, with and without VNNI or SDOT") {
  for_each_target([] {
   for (const bool vnni : {true, false}) {
    kernels::allow_quant_vnni(vnni);
    INFO("target " << kernels::active_target() << ", microkernel on " << kernels::quant_gemm8_path());
    // without the optional instructions it runs only where its own are in the target's base set
    // (AVX2's pmaddubsw)
    if (!vnni) REQUIRE(kernels::quant_gemm8() == (std::string(kernels::active_target()) == "AVX2"));
    // odd batches (blocks of 16 rows, tiles of two blocks), weight rows past a tile of 12 and of 4
    for (auto [M, N, K] : std::vector<std::array<std::size_t, 3>>{{5, 13, 128}, {16, 12, 256}, {17, 25, 300}, {33, 30, 1100}, {40, 1, 128}, {64, 37, 640}}) {
      auto wf = randn(N * K, 31), x = randn(M * K, 32), bias = randn(N, 33);
      tensor w = tensor::empty(dtype::f32, {static_cast<std::int64_t>(N), static_cast<std::int64_t>(K)});
      std::copy(wf.begin(), wf.end(), w.ptr<float>());
      for (dtype fmt : {dtype::q8, dtype::cq4, dtype::cq3, dtype::cq2, dtype::cq1}) {
        tensor p = quant::pack(w, fmt);
        const packed_layout l = packed_layout_of(fmt, p.shape);
        const std::size_t Kp = static_cast<std::size_t>(l.kp), G = static_cast<std::size_t>(l.groups), Mp = (M + 15) / 16 * 16;
        std::vector<std::int8_t> xq(M * Kp);
        std::vector<float> steps(M * G);
        std::vector<std::int32_t> sums(M * G);
        kernels::quantize_activations_i8(x.data(), M, K, fmt != dtype::q8, xq.data(), steps.data(), sums.data());
        std::vector<std::uint8_t> xp(Mp * Kp + 64);
        std::vector<float> sp(Mp * G + 16);
        // the kernel loads whole vectors: 64-byte aligned, as quant_matmul's scratch is
        auto* xa = reinterpret_cast<std::uint8_t*>((reinterpret_cast<std::uintptr_t>(xp.data()) + 63) & ~std::uintptr_t{63});
        auto* sa = reinterpret_cast<float*>((reinterpret_cast<std::uintptr_t>(sp.data()) + 63) & ~std::uintptr_t{63});
        kernels::pack_activations_i8(xq.data(), steps.data(), M, K, xa, sa);
        std::vector<float> C(M * N, -1.0f), Cnm(N * M, -1.0f);
        const std::size_t half = N / 2 | 1;  // two calls split at an odd row, as two threads would take it
        kernels::quant_gemm8_rows(fmt, p.data, N, K, M, xa, sa, 0, std::min(half, N), C.data(), N, bias.data());
        if (half < N) kernels::quant_gemm8_rows(fmt, p.data, N, K, M, xa, sa, half, N, C.data(), N, bias.data());
        // channels by pixels (a convolution's output): the same sums, stored transposed
        kernels::quant_gemm8_rows(fmt, p.data, N, K, M, xa, sa, 0, N, Cnm.data(), M, bias.data(), true);
        for (std::size_t m = 0; m < M; ++m)
          for (std::size_t n = 0; n < N; ++n) REQUIRE(Cnm[n * M + m] == C[m * N + n]);
        for (std::size_t m = 0; m < M; ++m)
          for (std::size_t n = 0; n < N; ++n) {
            double mag = std::fabs(bias[n]);
            const double oracle = bias[n] + kernels::reference::quant_dot(
                fmt, p, n, G, [&](std::size_t g, std::size_t j) { return double(xq[m * Kp + g * 128 + j]); },
                [&](std::size_t g) { return double(steps[m * G + g]); }, &mag);
            INFO(name_of(fmt) << " M " << M << " N " << N << " K " << K << " m " << m << " n " << n);
            REQUIRE(std::fabs(C[m * N + n] - oracle) <= 1e-5 * (mag + 1));
          }
      }
    }
   }
   kernels::allow_quant_vnni(true);
  });
}

TEST_CASE("activations given as columns (a convolution's im2col) quantize and pack to the same bytes as rows, on every target") {
  for_each_target([] {
    // odd K (zero past it up to a group of 128), a block with only some rows, columns ld apart
    for (auto [rows, K, ld] : std::vector<std::array<std::size_t, 3>>{{16, 128, 16}, {16, 300, 40}, {5, 576, 16}, {11, 1, 23}, {16, 1100, 17}}) {
      const std::size_t Kp = (K + 127) / 128 * 128, G = Kp / 128;
      auto x = randn(rows * K, 41);
      std::vector<float> col(K * ld, 7.0f);  // columns past `rows` are zeroed below, the rest of each line is never read
      for (std::size_t k = 0; k < K; ++k)
        for (std::size_t r = 0; r < 16; ++r) col[k * ld + r] = r < rows ? x[r * K + k] : 0.0f;
      for (const bool rotate : {false, true}) {
        INFO("target " << kernels::active_target() << " rows " << rows << " K " << K << " ld " << ld << (rotate ? " rotated" : ""));
        std::vector<std::int8_t> xq(rows * Kp);
        std::vector<float> steps(rows * G);
        std::vector<std::int32_t> sums(rows * G);
        kernels::quantize_activations_i8(x.data(), rows, K, rotate, xq.data(), steps.data(), sums.data());
        std::vector<std::uint8_t> want(16 * Kp + 64), got(16 * Kp + 64, 0xEE);
        std::vector<float> want_s(16 * G + 16), got_s(16 * G + 16, -1.0f);
        auto* wa = reinterpret_cast<std::uint8_t*>((reinterpret_cast<std::uintptr_t>(want.data()) + 63) & ~std::uintptr_t{63});
        auto* ws = reinterpret_cast<float*>((reinterpret_cast<std::uintptr_t>(want_s.data()) + 63) & ~std::uintptr_t{63});
        kernels::pack_activations_i8(xq.data(), steps.data(), rows, K, wa, ws);
        kernels::pack_columns_i8(col.data(), ld, K, rotate, got.data(), got_s.data());
        for (std::size_t i = 0; i < 16 * Kp; ++i) {
          INFO("byte " << i << " (k " << 4 * (i / 64) + i % 4 << ", row " << (i / 4) % 16 << ")");
          REQUIRE(int(got[i]) == int(wa[i]));
        }
        for (std::size_t i = 0; i < 16 * G; ++i) REQUIRE(got_s[i] == ws[i]);
      }
    }
  });
}

TEST_CASE("which int8 instructions each target's quantized products use, as the CPU (or qemu's -cpu) has them") {
  std::string line;
  for_each_target([&] {
    const std::string used = kernels::quant_int8_instructions();
    line += std::string(line.empty() ? "" : "; ") + kernels::active_target() + ": " + used + ", prefill microkernel " + kernels::quant_gemm8_path();
    kernels::allow_quant_vnni(false);
    const std::string without = kernels::quant_int8_instructions();
    kernels::allow_quant_vnni(true);
    INFO("target " << kernels::active_target() << " uses " << used << ", without the optional instructions " << without);
    // the optional instructions are switched off by allow_quant_vnni(false), and nothing else is
    REQUIRE(without.find("VNNI") == std::string::npos);
    REQUIRE(without.find("SMMLA") == std::string::npos);
    if (without.find("SVE") == std::string::npos) REQUIRE(without.find("SDOT") == std::string::npos);
#if defined(__aarch64__) && defined(__linux__)
    // NEON uses SDOT exactly when the hwcaps say FEAT_DotProd, and SMMLA when FEAT_I8MM too
    if (std::string(kernels::active_target()) == "NEON") {
      const bool dot = getauxval(AT_HWCAP) & HWCAP_ASIMDDP, mm = getauxval(AT_HWCAP2) & HWCAP2_I8MM;
      REQUIRE(kernels::quant_int8_dot() == dot);
      REQUIRE((used.find("SDOT") != std::string::npos) == dot);
      REQUIRE((used.find("SMMLA") != std::string::npos) == (dot && mm));
    }
    // the prefill microkernel runs on NEON and SVE exactly when the hwcaps say FEAT_DotProd: with
    // SMMLA when they say FEAT_I8MM too, else SDOT
    if (std::string(kernels::active_target()).rfind("NEON", 0) == 0 || std::string(kernels::active_target()).rfind("SVE", 0) == 0) {
      const bool dot = getauxval(AT_HWCAP) & HWCAP_ASIMDDP, mm = getauxval(AT_HWCAP2) & HWCAP2_I8MM;
      const bool smmla = dot && mm;
      const std::string path = kernels::quant_gemm8_path();
      REQUIRE(kernels::quant_gemm8() == dot);
      REQUIRE((path.find("SMMLA") != std::string::npos) == smmla);
      REQUIRE((path.find("SDOT") != std::string::npos) == (dot && !smmla));
    }
#endif
  });
  std::cout << "quantized products' int8 instructions: " << line << "\n";
}
