#pragma once
// Shapes are plain vectors of extents; helpers for element counts, printing, dim wrapping and
// NumPy broadcasting.
#include <cstdint>
#include <string>
#include <vector>

#include "cactus/core/error.hpp"

namespace cactus {

using shape_t = std::vector<std::int64_t>;

inline std::int64_t numel(const shape_t& s) {
  std::int64_t n = 1;
  for (auto d : s) n *= d;
  return n;
}

inline std::string to_string(const shape_t& s) {
  std::string r = "[";
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (i) r += 'x';
    r += std::to_string(s[i]);
  }
  return r + "]";
}

// Wraps a possibly negative dim into [0, rank) (rank 0 accepts 0 and -1, like PyTorch).
inline std::int64_t wrap_dim(std::int64_t d, std::int64_t rank, const char* what = "dim") {
  std::int64_t r = rank == 0 ? 1 : rank;
  check(d >= -r && d < r, what, " ", d, " is out of range for a tensor of rank ", rank);
  return d < 0 ? d + r : d;
}

inline shape_t broadcast_shapes(const shape_t& a, const shape_t& b) {
  std::size_t n = std::max(a.size(), b.size());
  shape_t out(n);
  for (std::size_t i = 0; i < n; ++i) {
    std::int64_t da = i < n - a.size() ? 1 : a[i - (n - a.size())];
    std::int64_t db = i < n - b.size() ? 1 : b[i - (n - b.size())];
    check(da == db || da == 1 || db == 1, "shapes ", to_string(a), " and ", to_string(b),
          " do not broadcast");
    out[i] = da == 1 ? db : da;
  }
  return out;
}

// Row-major strides of `s` seen from a broadcast output of rank `rank` (0 where broadcast).
inline std::vector<std::int64_t> broadcast_strides(const shape_t& s, const shape_t& out) {
  std::vector<std::int64_t> st(out.size(), 0);
  std::int64_t acc = 1;
  for (std::size_t i = s.size(); i-- > 0;) {
    std::size_t o = i + (out.size() - s.size());
    st[o] = s[i] == 1 ? 0 : acc;
    acc *= s[i];
  }
  return st;
}

}  // namespace cactus
