#pragma once
// Base64 for small constant tensors embedded in IR JSON.
#include <string>
#include <vector>

#include "cactus/core/error.hpp"

namespace cactus {

inline std::string base64_encode(const unsigned char* p, std::size_t n) {
  static const char* tbl = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((n + 2) / 3 * 4);
  for (std::size_t i = 0; i < n; i += 3) {
    unsigned v = p[i] << 16 | (i + 1 < n ? p[i + 1] << 8 : 0) | (i + 2 < n ? p[i + 2] : 0);
    out += tbl[(v >> 18) & 63];
    out += tbl[(v >> 12) & 63];
    out += i + 1 < n ? tbl[(v >> 6) & 63] : '=';
    out += i + 2 < n ? tbl[v & 63] : '=';
  }
  return out;
}

inline std::vector<unsigned char> base64_decode(const std::string& s) {
  auto val = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
  };
  check(s.size() % 4 == 0, "base64 text has a length that is not a multiple of 4");
  std::vector<unsigned char> out;
  for (std::size_t i = 0; i < s.size(); i += 4) {
    int a = val(s[i]), b = val(s[i + 1]), c = s[i + 2] == '=' ? 0 : val(s[i + 2]), d = s[i + 3] == '=' ? 0 : val(s[i + 3]);
    check(a >= 0 && b >= 0 && c >= 0 && d >= 0, "invalid base64 character");
    unsigned v = unsigned(a) << 18 | unsigned(b) << 12 | unsigned(c) << 6 | unsigned(d);
    out.push_back(static_cast<unsigned char>(v >> 16));
    if (s[i + 2] != '=') out.push_back(static_cast<unsigned char>(v >> 8));
    if (s[i + 3] != '=') out.push_back(static_cast<unsigned char>(v));
  }
  return out;
}

}  // namespace cactus
