// .npy inputs (cactus run --input): the magic, the header dict, the shape and the data size.
#pragma once
#include "cactus/core/npy.hpp"
#include "fuzz_input.hpp"

inline int fuzz_npy(const std::uint8_t* data, std::size_t size) {
  return cactus_fuzz::guarded([&] {
    auto t = cactus::npy_parse(data, size, "fuzz.npy");
    (void)t.numel();
  });
}
