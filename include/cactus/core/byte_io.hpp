#pragma once
// Little-endian, bounds-checked binary reading and writing. Every format we own (graph.cactus,
// weight files) goes through these so that the layout is explicit whatever the host's byte
// order, and a truncated file is reported, never read past.
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "cactus/core/error.hpp"

namespace cactus {

class byte_reader {
 public:
  byte_reader(const unsigned char* p, std::size_t n, std::string what)
      : p_(p), n_(n), what_(std::move(what)) {}
  std::size_t pos() const { return pos_; }
  std::size_t size() const { return n_; }
  std::size_t remaining() const { return n_ - pos_; }
  void seek(std::size_t at) {
    check(at <= n_, what_, ": offset ", at, " is past the end (", n_, " bytes); file truncated?");
    pos_ = at;
  }
  const unsigned char* take(std::size_t k) {
    check(k <= n_ - pos_, what_, ": truncated (needs ", k, " bytes at offset ", pos_, ", has ",
          n_ - pos_, ")");
    const unsigned char* r = p_ + pos_;
    pos_ += k;
    return r;
  }
  template <class T> T le() {
    const unsigned char* b = take(sizeof(T));
    std::uint64_t v = 0;
    for (std::size_t i = 0; i < sizeof(T); ++i) v |= std::uint64_t(b[i]) << (8 * i);
    T r;
    if constexpr (sizeof(T) == 8) {
      std::memcpy(&r, &v, 8);
    } else {
      auto narrow = static_cast<std::uint32_t>(v);
      if constexpr (sizeof(T) == 4) std::memcpy(&r, &narrow, 4);
      if constexpr (sizeof(T) == 2) { auto s = static_cast<std::uint16_t>(v); std::memcpy(&r, &s, 2); }
      if constexpr (sizeof(T) == 1) { auto s = static_cast<std::uint8_t>(v); std::memcpy(&r, &s, 1); }
    }
    return r;
  }
  std::string str() {
    auto len = le<std::uint32_t>();
    const unsigned char* b = take(len);
    return std::string(reinterpret_cast<const char*>(b), len);
  }
  const std::string& what() const { return what_; }

 private:
  const unsigned char* p_;
  std::size_t n_, pos_ = 0;
  std::string what_;
};

class byte_writer {
 public:
  template <class T> void le(T v) {
    std::uint64_t u = 0;
    std::memcpy(&u, &v, sizeof(T));
    for (std::size_t i = 0; i < sizeof(T); ++i) buf_.push_back(static_cast<unsigned char>(u >> (8 * i)));
  }
  void bytes(const void* p, std::size_t n) {
    auto* b = static_cast<const unsigned char*>(p);
    buf_.insert(buf_.end(), b, b + n);
  }
  void str(std::string_view s) {
    le<std::uint32_t>(static_cast<std::uint32_t>(s.size()));
    bytes(s.data(), s.size());
  }
  void align(std::size_t a) {
    while (buf_.size() % a) buf_.push_back(0);
  }
  std::vector<unsigned char>& buffer() { return buf_; }
  std::size_t size() const { return buf_.size(); }

 private:
  std::vector<unsigned char> buf_;
};

// FNV-1a 64: detects flipped bytes in headers and graphs (not a security measure).
inline std::uint64_t fnv1a64(const unsigned char* p, std::size_t n) {
  std::uint64_t h = 1469598103934665603ull;
  for (std::size_t i = 0; i < n; ++i) { h ^= p[i]; h *= 1099511628211ull; }
  return h;
}

// A 64-bit fingerprint of a large byte range (weight data), 8 bytes a step: a multiply-xorshift
// mix per word, so GB of weights hash at memory speed. Tells one convert's output from another's;
// not a security measure either.
inline std::uint64_t fingerprint64(const unsigned char* p, std::size_t n, std::uint64_t seed = 0) {
  constexpr std::uint64_t k = 0x9E3779B97F4A7C15ull;
  std::uint64_t h = seed ^ (n * k);
  std::size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    std::uint64_t w;
    std::memcpy(&w, p + i, 8);
    h = (h ^ w) * k;
    h ^= h >> 29;
  }
  std::uint64_t tail = 0;
  std::memcpy(&tail, p + i, n - i);
  h = (h ^ tail) * k;
  h ^= h >> 32;
  return h;
}

inline bool host_is_little_endian() {
  const std::uint16_t one = 1;
  unsigned char b;
  std::memcpy(&b, &one, 1);
  return b == 1;
}

}  // namespace cactus
