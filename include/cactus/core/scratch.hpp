#pragma once
// Per-thread scratch buffers that persist across calls: kernels' temporary space (padded
// inputs, im2col panels, output tiles) without a malloc, and for large buffers an mmap and
// page faults, on every run. Slot tells apart buffers one thread needs at the same time.
// Contents are unspecified on return.
#include <cstddef>
#include <vector>

namespace cactus {

template <class T, int Slot = 0>
T* scratch(std::size_t n) {
  thread_local std::vector<T> buf;
  if (buf.size() < n) buf.resize(n);
  return buf.data();
}

}  // namespace cactus
