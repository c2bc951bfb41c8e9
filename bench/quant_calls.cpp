// One quantized matrix product, called REPS times on one thread: the program that
// bench/arm_insn_count.sh runs under qemu to count the instructions each Arm int8 path retires.
// The packed weights and activations are made before the first call, so the instructions of
// REPS calls minus those of one call, divided by REPS - 1, are the product's own.
//
// usage: quant_calls FORMAT M N K REPS [--no-int8-ext]
//   FORMAT q8 | cq4 | cq3 | cq2 | cq1;  --no-int8-ext: without SDOT / SMMLA (or VNNI), as
//   allow_quant_vnni(false) runs it
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "cactus/cactus.hpp"

using namespace cactus;

int main(int argc, char** argv) {
  if (argc < 6) {
    std::fprintf(stderr, "usage: quant_calls FORMAT M N K REPS [--no-int8-ext]\n");
    return 2;
  }
  try {
    const std::string f = argv[1];
    dtype fmt = f == "q8" ? dtype::q8 : f == "cq4" ? dtype::cq4 : f == "cq3" ? dtype::cq3 : f == "cq2" ? dtype::cq2 : f == "cq1" ? dtype::cq1 : dtype::f32;
    check(fmt != dtype::f32, "quant_calls: FORMAT must be q8 or cq1..cq4, got '", f, "'");
    const std::size_t M = std::strtoul(argv[2], nullptr, 10), N = std::strtoul(argv[3], nullptr, 10), K = std::strtoul(argv[4], nullptr, 10);
    const int reps = std::atoi(argv[5]);
    check(M > 0 && N > 0 && K > 0 && reps > 0, "quant_calls: M, N, K and REPS must be positive");
    if (argc > 6 && std::strcmp(argv[6], "--no-int8-ext") == 0) kernels::allow_quant_vnni(false);
    // Random codes and unit group scales, not quant::pack of random weights: what a product
    // executes does not depend on the values, and packing costs far more instructions than the
    // product (under qemu's one-instruction blocks, minutes).
    std::mt19937 g(1);
    std::normal_distribution<float> d;
    tensor p = tensor::empty(fmt, {static_cast<std::int64_t>(N), static_cast<std::int64_t>(K)});
    const packed_layout l = packed_layout_of(fmt, p.shape);
    auto* bytes = static_cast<unsigned char*>(p.data);
    std::uint32_t r = 1;
    for (std::size_t i = 0; i < l.scales_offset; ++i) bytes[i] = static_cast<unsigned char>((r = r * 1664525u + 1013904223u) >> 24);
    auto* scales = reinterpret_cast<std::uint16_t*>(bytes + l.scales_offset);
    for (std::size_t i = 0; i < l.scales_bytes / 2; ++i) scales[i] = 0x3C00;  // 1.0 in f16
    std::vector<float> x(M * K), C(M * N);
    for (auto& v : x) v = d(g);
    for (int r = 0; r < reps; ++r) kernels::quant_matmul(fmt, p.data, N, K, M, x.data(), C.data(), N, nullptr);
    std::printf("%s M %zu N %zu K %zu reps %d on %s, int8 instructions: %s; C[0] %.6g\n", f.c_str(), M, N, K, reps, kernels::active_target(),
                kernels::quant_int8_instructions(), static_cast<double>(C[0]));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "quant_calls: %s\n", e.what());
    return 1;
  }
}
