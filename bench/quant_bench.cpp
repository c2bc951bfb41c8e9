// Quantized matmul throughput, side by side with LibTorch's f32 linear in the same process and
// the same thread count. For every layer size and format it prints the time per call, the
// weight bytes streamed per second, that rate as a share of the machine's read bandwidth
// (measured here first, STREAM-style), and LibTorch-f32-time / cactus-time.
//
// Decode reads every weight once per token, so weights must come from DRAM, not cache: each
// measurement cycles through enough copies of the matrix to exceed `--working-set` bytes
// (default 2 GiB, above this VM's reported 480 MiB L3).
//
// usage: quant_bench [threads] [--quick] [--working-set MiB] [--no-vnni] [--prefill [--ggml PATH]] [--conv]
// (--no-vnni: the AVX-512 target's pmaddubsw path even where the CPU has VNNI)
//
// --prefill: only matrix-matrix products at batch 64 and 512 (q8 and CQ4), each beside LibTorch
// f32 and, with --ggml, beside ggml's Q4_0 / Q4_K / Q8_0 products run by bench/peers/ggml_matmul
// (built against a ggml outside the repository; it is run once per row, same threads, same
// working set), with the ratios ggml-time / cactus-time (CQ4 against Q4_0 and Q4_K, q8 against
// Q8_0).
//
// --conv: only the convolution table (ImageNet-sized layers): the packed-weight convolution
// (--packed-conv) beside cactus's f32 convolution and LibTorch's conv2d.
#include <ATen/Parallel.h>
#include <torch/torch.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>

#include "cactus/kernels/dispatch.hpp"
#include "cactus/ops/conv.hpp"
#include "cactus/quant/quantize.hpp"
#include "read_bandwidth.hpp"

using namespace cactus;
using clk = std::chrono::steady_clock;

template <class F>
static double time_ms(F&& f, double min_ms = 300) {
  for (int i = 0; i < 2; ++i) f();
  int iters = 0;
  const auto t0 = clk::now();
  double el = 0;
  do {
    f();
    ++iters;
    el = std::chrono::duration<double, std::milli>(clk::now() - t0).count();
  } while (el < min_ms || iters < 5);
  return el / iters;
}

// Sum of [b, e): the read loop of the bandwidth measurement, compiled for the widest vectors
// this CPU has (a baseline x86-64 build would read with 16-byte loads only).
using cactus::bench::read_bandwidth_gbs;

// ms per product of bench/peers/ggml_matmul for this type and shape, or a negative value
static double ggml_ms(const std::string& peer, const char* type, int N, int K, int M, int threads, std::size_t working_set) {
  const std::string cmd = peer + " " + type + " " + std::to_string(N) + " " + std::to_string(K) + " " + std::to_string(M) + " " +
                          std::to_string(threads) + " " + std::to_string(working_set >> 20) + " 2>/dev/null";
  FILE* f = popen(cmd.c_str(), "r");
  if (!f) return -1;
  char line[512] = {};
  double ms = -1;
  while (std::fgets(line, sizeof line, f)) {
    char t[16];
    long long n, k, m;
    int th;
    double v;
    if (std::sscanf(line, "ggml %15s %lld %lld %lld %d %lf", t, &n, &k, &m, &th, &v) == 6) ms = v;
  }
  pclose(f);
  return ms;
}

// Prefill: batch 64 and 512, q8 and CQ4, beside LibTorch f32 and (with a peer) ggml.
static void prefill(int threads, std::size_t working_set, const std::string& peer) {
  std::printf("%-10s %5s %-6s %9s %7s %10s %7s", "N x K", "batch", "format", "ms", "GMAC/s", "torch ms", "ratio");
  if (!peer.empty()) std::printf("  %9s %7s %9s %7s", "ggml", "ratio", "ggml", "ratio");
  std::printf("\n");
  std::mt19937 rng(1);
  std::normal_distribution<float> nd;
  for (auto [N, K] : std::vector<std::pair<int, int>>{{1024, 1024}, {3072, 1024}, {1024, 3072}, {4096, 4096}}) {
    tensor w = tensor::empty(dtype::f32, {N, K});
    for (std::int64_t i = 0; i < w.numel(); ++i) w.ptr<float>()[i] = nd(rng) * 0.02f;
    for (int M : {64, 512}) {
      std::vector<float> x(static_cast<std::size_t>(M) * K), y(static_cast<std::size_t>(M) * N);
      for (auto& v : x) v = nd(rng);
      const std::size_t f32_bytes = static_cast<std::size_t>(N) * K * 4;
      const std::size_t tcopies = std::max<std::size_t>(1, std::min<std::size_t>(64, working_set / f32_bytes));
      std::vector<torch::Tensor> tw;
      for (std::size_t c = 0; c < tcopies; ++c) tw.push_back(torch::from_blob(w.data, {N, K}, torch::kFloat32).clone());
      const torch::Tensor tx = torch::from_blob(x.data(), {M, K}, torch::kFloat32).clone();
      std::size_t tc = 0;
      const double torch_ms = time_ms([&] { torch::linear(tx, tw[tc++ % tcopies]); });
      tw.clear();
      for (dtype fmt : {dtype::q8, dtype::cq4}) {
        const tensor p = quant::pack(w, fmt);
        const std::size_t copies = std::max<std::size_t>(1, std::min<std::size_t>(64, working_set / p.bytes()));
        std::vector<tensor> ws;
        for (std::size_t c = 0; c < copies; ++c) ws.push_back(p.clone());
        std::size_t ci = 0;
        const double ms = time_ms([&] {
          kernels::quant_matmul(fmt, ws[ci++ % copies].data, static_cast<std::size_t>(N), static_cast<std::size_t>(K), static_cast<std::size_t>(M),
                                x.data(), y.data(), static_cast<std::size_t>(N), nullptr);
        });
        std::printf("%4dx%-5d %5d %-6s %9.3f %7.1f %10.3f %6.2fx", N, K, M, std::string(name_of(fmt)).c_str(), ms, double(M) * N * K / ms / 1e6,
                    torch_ms, torch_ms / ms);
        if (!peer.empty())
          for (const char* t : fmt == dtype::q8 ? std::vector<const char*>{"q8_0"} : std::vector<const char*>{"q4_0", "q4_k"}) {
            const double g = ggml_ms(peer, t, N, K, M, threads, working_set);
            std::printf("  %4s %4.3f %6.2fx", t, g, g > 0 ? g / ms : 0.0);
          }
        std::printf("\n");
        std::fflush(stdout);
      }
    }
  }
}

static void conv_table() {
  std::mt19937 rng(7);
  std::normal_distribution<float> nd;
  // Convolutions with packed weights (ops::detail::conv_packed: im2col rows x the packed matrix)
  // against the f32 convolution (weights dequantized, as before) and LibTorch's conv2d.
  // "packed": conv_packed as --packed-conv runs it (the microkernel where it pays, else the
  // kernel dequantized for the call); "micro": the microkernel on every shape
  // "f32 ms": the f32 convolution as a node runs it after its first call (the kernel packed for
  // the GEMM once, outside the timing); "f32/torch": LibTorch's time over that one
  std::printf("\n%-34s %-6s %10s %10s %10s %11s %8s %8s %8s %9s\n", "conv", "format", "packed ms", "micro ms", "f32 ms", "torch f32", "vs f32",
              "micro/f32", "vs torch", "f32/torch");
  struct conv_case {
    const char* name;
    std::int64_t C, O, HW, k, s;
  };
  // ImageNet-sized layers, then small ones around the default rule (conv_op::packed_faster:
  // packed by default from 64 output channels and 256 products per output)
  for (const conv_case cc : {conv_case{"3x3 64->64 56x56", 64, 64, 56, 3, 1}, conv_case{"3x3 256->256 14x14", 256, 256, 14, 3, 1},
                             conv_case{"1x1 256->1024 14x14", 256, 1024, 14, 1, 1}, conv_case{"3x3 128->256 28x28 stride 2", 128, 256, 28, 3, 2},
                             conv_case{"3x3 16->16 32x32 (small)", 16, 16, 32, 3, 1}, conv_case{"3x3 32->32 16x16 (small)", 32, 32, 16, 3, 1},
                             conv_case{"3x3 32->64 16x16 stride 2", 32, 64, 16, 3, 2}, conv_case{"3x3 64->64 8x8", 64, 64, 8, 3, 1},
                             conv_case{"1x1 256->64 56x56", 256, 64, 56, 1, 1}, conv_case{"1x1 256->64 7x7", 256, 64, 7, 1, 1},
                             conv_case{"1x1 64->256 56x56 (small K)", 64, 256, 56, 1, 1}}) {
    ops::detail::conv_geom g{};
    g.N = 1, g.C = cc.C, g.H = g.W = cc.HW, g.O = cc.O, g.kh = g.kw = cc.k, g.sh = g.sw = cc.s, g.ph = g.pw = cc.k / 2, g.dh = g.dw = 1, g.G = 1;
    g.OH = g.OW = (cc.HW + 2 * g.ph - (cc.k - 1) - 1) / cc.s + 1;
    tensor w = tensor::empty(dtype::f32, {cc.O, cc.C, cc.k, cc.k});
    for (std::int64_t i = 0; i < w.numel(); ++i) w.ptr<float>()[i] = nd(rng) * 0.05f;
    std::vector<float> x(static_cast<std::size_t>(cc.C * cc.HW * cc.HW)), y(static_cast<std::size_t>(cc.O * g.OH * g.OW));
    for (auto& v : x) v = nd(rng);
    const torch::Tensor tx = torch::from_blob(x.data(), {1, cc.C, cc.HW, cc.HW}, torch::kFloat32).clone();
    const torch::Tensor tw = torch::from_blob(w.data, {cc.O, cc.C, cc.k, cc.k}, torch::kFloat32).clone();
    const double torch_ms = time_ms([&] { torch::conv2d(tx, tw, {}, cc.s, g.ph); });
    const std::vector<float> wp = ops::detail::packed_conv_kernel(g, w.ptr<float>());
    const double f32_ms = time_ms([&] { ops::detail::conv_forward(g, x.data(), w.ptr<float>(), nullptr, y.data(), nullptr, wp.data()); });
    for (dtype fmt : {dtype::q8, dtype::cq4}) {
      const tensor p = quant::pack(w, fmt);
      const double ms = time_ms([&] { ops::detail::conv_packed(g, x.data(), fmt, p.data, nullptr, y.data()); });
      const double micro_ms = time_ms([&] { ops::detail::conv_packed(g, x.data(), fmt, p.data, nullptr, y.data(), nullptr, true); });
      std::printf("%-34s %-6s %10.4f %10.4f %10.4f %11.4f %7.2fx %8.2fx %7.2fx %8.2fx\n", cc.name, std::string(name_of(fmt)).c_str(), ms, micro_ms,
                  f32_ms, torch_ms, f32_ms / ms, f32_ms / micro_ms, torch_ms / ms, torch_ms / f32_ms);
      std::fflush(stdout);
    }
  }
}

int main(int argc, char** argv) {
  int threads = 1;
  bool quick = false, prefill_only = false, conv_only = false;
  std::string peer;
  std::size_t working_set = std::size_t{2048} << 20;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--quick") quick = true;
    else if (a == "--no-vnni") kernels::allow_quant_vnni(false);
    else if (a == "--working-set" && i + 1 < argc) working_set = std::stoull(argv[++i]) << 20;
    else if (a == "--prefill") prefill_only = true;
    else if (a == "--conv") conv_only = true;
    else if (a == "--ggml" && i + 1 < argc) peer = argv[++i];
    else if (a.find_first_not_of("0123456789") == std::string::npos && std::atoi(a.c_str()) > 0) threads = std::atoi(a.c_str());
    else {
      const bool help = a == "--help" || a == "-h";
      if (!help) std::fprintf(stderr, "quant_bench: not an option or a thread count: %s\n", a.c_str());
      std::fprintf(stderr, "usage: quant_bench [threads] [--quick] [--working-set MiB] [--no-vnni] [--prefill [--ggml PATH]] [--conv]\n");
      return help ? 0 : 2;
    }
  }
  setenv("CACTUS_NUM_THREADS", std::to_string(threads).c_str(), 1);
  at::set_num_threads(threads);
  torch::NoGradGuard ng;
  const double bw = read_bandwidth_gbs(working_set);
  std::printf("threads=%d  kernels=%s%s  measured read bandwidth %.2f GB/s (%zu MiB buffer)\n", threads, kernels::active_target(),
              kernels::quant_vnni() ? " (VNNI for CQ)" : "", bw, working_set >> 20);
  if (prefill_only) {
    prefill(threads, working_set, peer);
    return 0;
  }
  if (conv_only) {
    conv_table();
    return 0;
  }
  std::printf("%-10s %-5s %-6s %10s %9s %8s %11s %8s\n", "N x K", "batch", "format", "ms", "weight", "% of", "torch f32", "ratio");
  std::printf("%-10s %-5s %-6s %10s %9s %8s %11s %8s\n", "", "", "", "", "GB/s", "read BW", "ms", "torch/us");
  std::vector<std::pair<int, int>> sizes = {{1024, 1024}, {1024, 3072}, {3072, 1024}, {4096, 4096}};
  if (quick) sizes = {{1024, 1024}, {4096, 4096}};
  std::mt19937 rng(1);
  std::normal_distribution<float> nd;
  for (auto [N, K] : sizes) {
    tensor w = tensor::empty(dtype::f32, {N, K});
    for (std::int64_t i = 0; i < w.numel(); ++i) w.ptr<float>()[i] = nd(rng) * 0.02f;
    for (int M : {1, 64}) {
      std::vector<float> x(static_cast<std::size_t>(M) * K), y(static_cast<std::size_t>(M) * N);
      for (auto& v : x) v = nd(rng);
      // LibTorch f32 linear over enough weight copies to leave the caches
      const std::size_t f32_bytes = static_cast<std::size_t>(N) * K * 4;
      const std::size_t tcopies = std::max<std::size_t>(1, std::min<std::size_t>(64, working_set / f32_bytes));
      std::vector<torch::Tensor> tw;
      for (std::size_t c = 0; c < tcopies; ++c) tw.push_back(torch::from_blob(w.data, {N, K}, torch::kFloat32).clone());
      torch::Tensor tx = torch::from_blob(x.data(), {M, K}, torch::kFloat32).clone();
      std::size_t tc = 0;
      const double torch_ms = time_ms([&] { torch::linear(tx, tw[tc++ % tcopies]); });
      tw.clear();
      for (dtype fmt : {dtype::q8, dtype::cq4, dtype::cq3, dtype::cq2, dtype::cq1}) {
        const tensor p = quant::pack(w, fmt);
        const std::size_t bytes = p.bytes();
        const std::size_t copies = std::max<std::size_t>(1, std::min<std::size_t>(4096, working_set / bytes));
        std::vector<tensor> ws;
        for (std::size_t c = 0; c < copies; ++c) ws.push_back(p.clone());
        std::size_t ci = 0;
        const double ms = time_ms([&] {
          kernels::quant_matmul(fmt, ws[ci++ % copies].data, static_cast<std::size_t>(N), static_cast<std::size_t>(K), static_cast<std::size_t>(M),
                                x.data(), y.data(), static_cast<std::size_t>(N), nullptr);
        });
        const double gbs = double(bytes) / (ms * 1e6);
        std::printf("%4dx%-5d %5d %-6s %10.4f %9.2f %7.1f%% %11.4f %7.2fx\n", N, K, M, std::string(name_of(fmt)).c_str(), ms, gbs,
                    100.0 * gbs / bw, torch_ms, torch_ms / ms);
        std::fflush(stdout);
      }
    }
  }
  conv_table();
  return 0;
}
