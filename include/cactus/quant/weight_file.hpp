#pragma once
// One tensor per file, little-endian, used in place by mmap:
//   0  magic "CACT"        4  u32 version        8  u32 alignment (32)   12 u32 ndim
//   16 u64 dims[4]         48 u32 precision      52 u64 data_bytes       60 u64 scales_bytes
//   68 u32 group_size      72 u32 num_groups     76 u64 original_N       = 84 bytes
//   84 u64 FNV-1a of bytes 0..83, 92 u32 zero;   96 data (32-byte aligned)
// The header checksum catches flipped header bytes; sizes are checked against the file size
// before any tensor views the data.
#include <filesystem>

#include "cactus/core/byte_io.hpp"
#include "cactus/core/files.hpp"
#include "cactus/core/mapped_file.hpp"
#include "cactus/core/tensor.hpp"

namespace cactus::quant {

enum class precision : std::uint32_t { int8 = 0, fp16 = 1, fp32 = 2, cq1 = 3, cq2 = 4, cq3 = 5, cq4 = 6, i64 = 7, i32 = 8, u8 = 9, b8 = 10 };

inline const char* precision_name(precision p) {
  switch (p) {
    case precision::int8: return "int8";
    case precision::fp16: return "fp16";
    case precision::fp32: return "fp32";
    case precision::cq1: return "cq1";
    case precision::cq2: return "cq2";
    case precision::cq3: return "cq3";
    case precision::cq4: return "cq4";
    case precision::i64: return "i64";
    case precision::i32: return "i32";
    case precision::u8: return "u8";
    case precision::b8: return "bool";
  }
  return "?";
}

inline precision precision_of(dtype t) {
  switch (t) {
    case dtype::f32: return precision::fp32;
    case dtype::f16: return precision::fp16;
    case dtype::i64: return precision::i64;
    case dtype::i32: return precision::i32;
    case dtype::i8: return precision::int8;
    case dtype::u8: return precision::u8;
    case dtype::b8: return precision::b8;
  }
  return precision::fp32;
}

inline dtype dtype_of(precision p, const std::string& file) {
  switch (p) {
    case precision::fp32: return dtype::f32;
    case precision::fp16: return dtype::f16;
    case precision::i64: return dtype::i64;
    case precision::i32: return dtype::i32;
    case precision::u8: return dtype::u8;
    case precision::b8: return dtype::b8;
    default: fail(file, ": precision ", precision_name(p), " needs the quantized kernels, which this build does not have yet");
  }
}

inline constexpr std::uint32_t weight_file_version = 1;
inline constexpr std::size_t weight_header_bytes = 84, weight_data_offset = 96;

inline std::vector<unsigned char> encode_weight_file(const tensor& t) {
  check(t.shape.size() <= 4, "cannot store a tensor of rank ", t.shape.size(), " (at most 4 dims)");
  byte_writer w;
  w.bytes("CACT", 4);
  w.le<std::uint32_t>(weight_file_version);
  w.le<std::uint32_t>(32);
  w.le<std::uint32_t>(static_cast<std::uint32_t>(t.shape.size()));
  for (std::size_t i = 0; i < 4; ++i) w.le<std::uint64_t>(i < t.shape.size() ? static_cast<std::uint64_t>(t.shape[i]) : 0);
  w.le<std::uint32_t>(static_cast<std::uint32_t>(precision_of(t.type)));
  w.le<std::uint64_t>(t.bytes());
  w.le<std::uint64_t>(0);
  w.le<std::uint32_t>(0);
  w.le<std::uint32_t>(0);
  w.le<std::uint64_t>(t.shape.empty() ? 1 : static_cast<std::uint64_t>(t.shape.back()));
  w.le<std::uint64_t>(fnv1a64(w.buffer().data(), weight_header_bytes));
  w.align(32);
  // Data is stored little-endian; on a big-endian host we would swap here.
  check(host_is_little_endian(), "writing weights on a big-endian host is not supported");
  w.bytes(t.data, t.bytes());
  return std::move(w.buffer());
}

inline void write_weight_file(const std::filesystem::path& p, const tensor& t) {
  auto bytes = encode_weight_file(t);
  write_file_atomic(p, bytes.data(), bytes.size());
}

struct weight_header {
  precision prec;
  shape_t shape;
  std::uint64_t data_bytes;
};

inline weight_header parse_weight_header(const unsigned char* p, std::size_t n, const std::string& file) {
  byte_reader r(p, n, file);
  check(n >= weight_data_offset, file, ": truncated weight file (", n, " bytes, the header alone is ", weight_data_offset, ")");
  check(std::memcmp(r.take(4), "CACT", 4) == 0, file, ": not a cactus weight file (bad magic)");
  auto version = r.le<std::uint32_t>();
  check(version == weight_file_version, file, ": weight file version ", version, " is not supported (expected ", weight_file_version, ")");
  check(r.le<std::uint32_t>() == 32, file, ": unexpected alignment field");
  auto ndim = r.le<std::uint32_t>();
  check(ndim <= 4, file, ": corrupt header (ndim ", ndim, ")");
  weight_header h;
  std::uint64_t dims[4];
  for (auto& d : dims) d = r.le<std::uint64_t>();
  for (std::uint32_t i = 0; i < ndim; ++i) h.shape.push_back(static_cast<std::int64_t>(dims[i]));
  auto pr = r.le<std::uint32_t>();
  check(pr <= static_cast<std::uint32_t>(precision::b8), file, ": corrupt header (precision code ", pr, ")");
  h.prec = static_cast<precision>(pr);
  h.data_bytes = r.le<std::uint64_t>();
  r.seek(weight_header_bytes);
  auto sum = r.le<std::uint64_t>();
  check(sum == fnv1a64(p, weight_header_bytes), file, ": corrupt header (checksum mismatch)");
  check(weight_data_offset + h.data_bytes <= n, file, ": truncated (header promises ", h.data_bytes, " data bytes, file has ",
        n - weight_data_offset, ")");
  return h;
}

// Maps a weight file and returns a tensor viewing the mapping (no copy).
inline tensor map_weight_file(const std::filesystem::path& p) {
  check(std::filesystem::exists(p), p.string(), ": weight file not found");
  auto m = mapped_file::open(p.string());
  auto h = parse_weight_header(m->data(), m->size(), p.string());
  dtype t = dtype_of(h.prec, p.string());
  check(h.data_bytes == static_cast<std::uint64_t>(numel(h.shape)) * size_of(t), p.string(), ": corrupt header (", h.data_bytes,
        " data bytes for shape ", to_string(h.shape), ")");
  void* data = const_cast<unsigned char*>(m->data() + weight_data_offset);
  return tensor::view(t, h.shape, data, m);
}

}  // namespace cactus::quant
