// graph.cactus runtime graphs. The checksum is recomputed first, so that the fuzzer reaches the
// decoder instead of stopping at "checksum mismatch" (which the decoder also reports).
#pragma once
#include <vector>

#include "cactus/bundle/graph_file.hpp"
#include "fuzz_input.hpp"

inline int fuzz_graph_file(const std::uint8_t* data, std::size_t size) {
  std::vector<unsigned char> buf(data, data + size);
  if (buf.size() >= 32) {
    std::uint64_t n = 0;
    for (int i = 0; i < 8; ++i) n |= static_cast<std::uint64_t>(buf[16 + static_cast<std::size_t>(i)]) << (8 * i);
    if (n <= buf.size() - 32) {
      const std::uint64_t sum = cactus::fnv1a64(buf.data() + 32, static_cast<std::size_t>(n));
      for (int i = 0; i < 8; ++i) buf[24 + static_cast<std::size_t>(i)] = static_cast<unsigned char>(sum >> (8 * i));
    }
  }
  return cactus_fuzz::guarded([&] {
    auto g = cactus::bundle::decode_graph(buf.data(), buf.size(), "fuzz.cactus", [](const std::string& rel) -> cactus::tensor {
      cactus::fail("fuzz.cactus: external weights (", rel, ") are not available here");
    });
    (void)g;
  });
}
