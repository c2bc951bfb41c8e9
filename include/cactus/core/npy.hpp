#pragma once
// NumPy .npy (format 1.0/2.0/3.0) reading and writing: the interchange format of `cactus run`.
// Dtype, byte order and shape are checked; Fortran order is rejected rather than misread.
#include <cstdint>
#include <filesystem>
#include <string>

#include "cactus/core/byte_io.hpp"
#include "cactus/core/files.hpp"
#include "cactus/core/tensor.hpp"

namespace cactus {

namespace detail {
inline std::string npy_descr(dtype t) {
  switch (t) {
    case dtype::f32: return "<f4";
    case dtype::f16: return "<f2";
    case dtype::i64: return "<i8";
    case dtype::i32: return "<i4";
    case dtype::i8: return "|i1";
    case dtype::u8: return "|u1";
    case dtype::b8: return "|b1";
    default: fail("a ", name_of(t), " tensor (packed weights) cannot be saved as .npy; dequantize it first");
  }
}
inline std::string npy_dict_value(const std::string& h, const std::string& key, const std::string& file) {
  auto k = h.find("'" + key + "'");
  check(k != std::string::npos, file, ": .npy header has no '", key, "'");
  auto c = h.find(':', k);
  check(c != std::string::npos, file, ": malformed .npy header");
  auto s = h.find_first_not_of(' ', c + 1);
  check(s != std::string::npos, file, ": malformed .npy header (no value for '", key, "')");
  if (h[s] == '(') {
    const auto e = h.find(')', s);
    check(e != std::string::npos, file, ": malformed .npy header ('", key, "' is not closed)");
    return h.substr(s, e - s + 1);
  }
  if (h[s] == '\'') {
    const auto e = h.find('\'', s + 1);
    check(e != std::string::npos, file, ": malformed .npy header ('", key, "' is not closed)");
    return h.substr(s + 1, e - s - 1);
  }
  auto e = h.find_first_of(",}", s);
  return h.substr(s, e == std::string::npos ? std::string::npos : e - s);
}
}  // namespace detail

inline tensor npy_parse(const unsigned char* p, std::size_t n, const std::string& name) {
  byte_reader r(p, n, name);
  const unsigned char* magic = r.take(6);
  check(std::memcmp(magic, "\x93NUMPY", 6) == 0, name, ": not a .npy file (bad magic)");
  auto major = r.le<std::uint8_t>();
  r.le<std::uint8_t>();
  std::size_t hlen = major == 1 ? r.le<std::uint16_t>() : r.le<std::uint32_t>();
  const unsigned char* hb = r.take(hlen);
  std::string h(reinterpret_cast<const char*>(hb), hlen);
  std::string descr = detail::npy_dict_value(h, "descr", name);
  std::string fortran = detail::npy_dict_value(h, "fortran_order", name);
  check(fortran.find("False") != std::string::npos, name, ": Fortran-ordered .npy is not supported (save with np.ascontiguousarray)");
  dtype t;
  if (descr == "<f4") t = dtype::f32;
  else if (descr == "<f2") t = dtype::f16;
  else if (descr == "<i8") t = dtype::i64;
  else if (descr == "<i4") t = dtype::i32;
  else if (descr == "|i1") t = dtype::i8;
  else if (descr == "|u1") t = dtype::u8;
  else if (descr == "|b1") t = dtype::b8;
  else if (descr.size() == 3 && descr[0] == '>') fail(name, ": big-endian .npy (", descr, ") is not supported; use little-endian");
  else fail(name, ": unsupported .npy dtype '", descr, "' (supported: float32, float16, int64, int32, int8, uint8, bool)");
  shape_t shape;
  std::string sh = detail::npy_dict_value(h, "shape", name);
  std::size_t i = 1;
  while (i < sh.size()) {
    while (i < sh.size() && (sh[i] == ' ' || sh[i] == ',')) ++i;
    if (i >= sh.size() || sh[i] == ')') break;
    std::size_t e = i;
    while (e < sh.size() && std::isdigit(static_cast<unsigned char>(sh[e]))) ++e;
    check(e > i && e - i <= 18, name, ": malformed .npy shape '", sh, "'");
    shape.push_back(std::stoll(sh.substr(i, e - i)));
    i = e;
  }
  // the data size is checked against the file before anything is allocated
  const auto count = static_cast<std::uint64_t>(checked_numel(shape, name));
  const std::uint64_t want = count * size_of(t);
  check(count == 0 || want / count == size_of(t), name, ": the .npy shape ", to_string(shape), " is too large");
  check(r.remaining() >= want, name, ": truncated .npy (shape ", to_string(shape), " needs ", want,
        " data bytes, file has ", r.remaining(), ")");
  tensor out = tensor::empty(t, shape);
  std::memcpy(out.data, r.take(want), want);
  return out;
}

inline tensor npy_load(const std::filesystem::path& path) {
  check(std::filesystem::exists(path), path.string(), ": no such file");
  auto bytes = read_file_bytes(path);
  return npy_parse(bytes.data(), bytes.size(), path.string());
}

inline std::string npy_serialize(const tensor& t) {
  std::string h = "{'descr': '" + detail::npy_descr(t.type) + "', 'fortran_order': False, 'shape': (";
  for (std::size_t i = 0; i < t.shape.size(); ++i) h += std::to_string(t.shape[i]) + ",";
  if (t.shape.size() > 1) h.pop_back();
  h += "), }";
  std::size_t total = 10 + h.size() + 1;
  h.append((64 - total % 64) % 64, ' ');
  h += '\n';
  std::string out = "\x93NUMPY";
  out += char(1);
  out += char(0);
  out += char(h.size() & 0xff);
  out += char(h.size() >> 8);
  out += h;
  out.append(static_cast<const char*>(t.data), t.bytes());
  return out;
}

inline void npy_save(const std::filesystem::path& path, const tensor& t) {
  write_file_atomic(path, npy_serialize(t));
}

}  // namespace cactus
