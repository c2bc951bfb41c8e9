// Prints the read bandwidth of this machine on CACTUS_NUM_THREADS threads (bench/read_bandwidth.hpp),
// for benches written in Python (bench/llm_bench.py) to use as their roofline denominator.
// usage: CACTUS_NUM_THREADS=2 read_bandwidth [MiB per pass, default 2048]
#include <cstdio>
#include <cstdlib>

#include "read_bandwidth.hpp"

int main(int argc, char** argv) {
  const std::size_t mib = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 2048;
  std::printf("read bandwidth %.2f GB/s on %zu threads (%zu MiB buffer)\n", cactus::bench::read_bandwidth_gbs(mib << 20),
              static_cast<std::size_t>(cactus::global_pool().size()), mib);
  return 0;
}
