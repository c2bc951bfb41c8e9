// Weight files (*.weights): the 128-byte header, the section sizes it promises against the
// file's, and a view of the data (every byte of it read, as a kernel would).
#pragma once
#include "cactus/quant/weight_file.hpp"
#include "fuzz_input.hpp"

inline int fuzz_weight_file(const std::uint8_t* data, std::size_t size) {
  return cactus_fuzz::guarded([&] {
    const auto h = cactus::quant::parse_weight_header(data, size, "fuzz.weights");
    const std::uint8_t* p = data + cactus::quant::weight_data_offset;
    unsigned sum = 0;
    for (std::uint64_t i = 0; i < h.data_bytes + h.scales_bytes; ++i) sum += p[i];
    if (sum == 0x7fffffff) std::abort();  // keeps the reads
  });
}
