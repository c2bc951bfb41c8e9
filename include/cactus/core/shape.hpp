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

// The element count of a shape read from a file: every extent non-negative and the product
// below 2^48 (no tensor on a device is larger), else an error naming `where`.
inline std::int64_t checked_numel(const shape_t& s, const std::string& where);

// Bytes a strided view of `shape` (element `esize` bytes, `offset` elements in) reaches in its
// storage; strides must be non-negative. Checked in 128-bit arithmetic, so a reader can compare
// the result with the bytes it has before it touches any of them.
inline std::uint64_t checked_strided_bytes(const shape_t& shape, const shape_t& strides, std::int64_t offset, std::size_t esize,
                                           const std::string& where);

// A reader copies a strided view into a contiguous tensor; a view with stride 0 (torch's
// expand) can ask for far more bytes than its file holds. Refuse a copy that would exceed the
// `stored` bytes it reads from by more than 64 MiB, so a few bytes on disk cannot make us
// allocate gigabytes; a real weight is stored whole and never trips this.
inline void check_expansion(const shape_t& shape, std::size_t esize, std::uint64_t stored, const std::string& where);

inline std::string to_string(const shape_t& s) {
  std::string r = "[";
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (i) r += 'x';
    r += std::to_string(s[i]);
  }
  return r + "]";
}

inline std::int64_t checked_numel(const shape_t& s, const std::string& where) {
  __int128 n = 1;
  for (auto d : s) {
    check(d >= 0, where, ": negative size ", d, " in ", to_string(s));
    n *= d;
    check(n < (__int128(1) << 48), where, ": shape ", to_string(s), " has too many elements");
  }
  return static_cast<std::int64_t>(n);
}

inline std::uint64_t checked_strided_bytes(const shape_t& shape, const shape_t& strides, std::int64_t offset, std::size_t esize,
                                           const std::string& where) {
  check(strides.size() == shape.size(), where, ": ", strides.size(), " strides for the ", shape.size(), " dims of ", to_string(shape));
  check(offset >= 0, where, ": negative storage offset ", offset);
  if (checked_numel(shape, where) == 0) return 0;
  __int128 last = offset;
  for (std::size_t i = 0; i < shape.size(); ++i) {
    check(strides[i] >= 0, where, ": negative stride ", strides[i], " in dim ", i, " (only non-negative strides are read)");
    last += __int128(shape[i] - 1) * strides[i];
    check(last < (__int128(1) << 62), where, ": strides ", to_string(strides), " reach too far");
  }
  return static_cast<std::uint64_t>((last + 1) * __int128(esize));
}

inline void check_expansion(const shape_t& shape, std::size_t esize, std::uint64_t stored, const std::string& where) {
  const __int128 bytes = __int128(checked_numel(shape, where)) * __int128(esize);
  check(bytes <= __int128(stored) + (__int128(64) << 20), where, ": a tensor of shape ", to_string(shape), " would expand ", stored,
        " stored bytes to ", static_cast<std::uint64_t>(bytes), " (a broadcast view, stride 0); save it with .contiguous() or .clone()");
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
