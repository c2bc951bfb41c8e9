#pragma once
// Per-thread scratch buffers that persist across calls: kernels' temporary space (padded
// inputs, im2col panels, output tiles) without a malloc, and for large buffers an mmap and
// page faults, on every run. Slot tells apart buffers one thread needs at the same time.
// Contents are unspecified on return.
#include <cstddef>
#include <cstdint>
#include <vector>

namespace cactus {

template <class T, int Slot = 0>
T* scratch(std::size_t n) {
  thread_local std::vector<T> buf;
  if (buf.size() < n) buf.resize(n);
  return buf.data();
}

// scratch<T, Slot> aligned to a cache line (64 bytes), for buffers kernels store whole vectors
// into: a vector store that straddles two cache lines costs about twice one that does not.
template <class T, int Slot = 0>
T* aligned_scratch(std::size_t n) {
  constexpr std::size_t pad = 64 / sizeof(T);
  T* p = scratch<T, Slot>(n + pad);
  const auto addr = reinterpret_cast<std::uintptr_t>(p);
  return reinterpret_cast<T*>((addr + 63) & ~static_cast<std::uintptr_t>(63));
}

}  // namespace cactus
