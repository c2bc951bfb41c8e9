#pragma once
// Read bandwidth as the benches' roofline denominator: sum a buffer far larger than the caches,
// split over the pool's threads, each reading its part with hints 16 KiB ahead (as the cactus
// matrix-vector kernels stream their weights). The best of 8 passes, as STREAM reports: the
// denominator should not flatter the kernels.
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <vector>

#include "cactus/core/parallel.hpp"

namespace cactus::bench {

#if defined(__x86_64__) && defined(__GNUC__)
__attribute__((target_clones("avx512f", "avx2", "default")))
#endif
inline std::uint64_t sum_range(const std::uint64_t* p, std::size_t b, std::size_t e) {
  std::uint64_t s0 = 0, s1 = 0, s2 = 0, s3 = 0, s4 = 0, s5 = 0, s6 = 0, s7 = 0;
  for (std::size_t i = b; i < e; i += 8) {
    __builtin_prefetch(p + i + 2048, 0, 2);  // 16 KiB ahead, into L2
    s0 += p[i]; s1 += p[i + 1]; s2 += p[i + 2]; s3 += p[i + 3];
    s4 += p[i + 4]; s5 += p[i + 5]; s6 += p[i + 6]; s7 += p[i + 7];
  }
  return s0 + s1 + s2 + s3 + s4 + s5 + s6 + s7;
}

// GB/s reading `bytes` on the global pool's threads.
inline double read_bandwidth_gbs(std::size_t bytes) {
  using clk = std::chrono::steady_clock;
  const std::size_t n = bytes / 8;
  std::vector<std::uint64_t> buf(n + 4096);
  for (std::size_t i = 0; i < buf.size(); ++i) buf[i] = i;
  volatile std::uint64_t sink = 0;
  auto sum = [&] {
    global_pool().parallel_for(n / 1024, 1, [&](std::size_t b, std::size_t e) { sink = sink + sum_range(buf.data(), b * 1024, e * 1024); });
  };
  sum();
  double best = 1e30;
  for (int r = 0; r < 8; ++r) {
    const auto t0 = clk::now();
    sum();
    best = std::min(best, std::chrono::duration<double, std::milli>(clk::now() - t0).count());
  }
  return double(n * 8) / (best * 1e6);
}

}  // namespace cactus::bench
