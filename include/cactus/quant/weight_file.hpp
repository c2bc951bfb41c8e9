#pragma once
// One tensor per file, little-endian, used in place by mmap. Header (128 bytes):
//   0  magic "CACT"         4  u32 version (2)       8  u32 alignment (64)    12 u32 ndim
//   16 u64 dims[4]          48 u32 precision         52 u64 data_bytes        60 u64 scales_bytes
//   68 u32 group_size       72 u32 num_groups        76 u64 original_N (K before padding)
//   84 u32 rotation seed    88 i8 codebook[16]      104 f32 codebook step    108 u32 padded K
//   112 u64 FNV-1a of bytes 0..111                  120 u64 fingerprint of the data and scales
//   128 data section (codes for packed formats, padded to 64), then the scales section.
// The fingerprint (core/byte_io.hpp's fingerprint64 of everything after the header, seeded with
// the header checksum) names the content: transpile records it for every weight it binds, and a
// bundle whose weight file no longer has it is refused by name. 0 means "not recorded" (files
// of earlier cactus builds).
// Packed formats (q8, cq1..cq4) keep the layout of core/packed.hpp, so the mapped bytes are
// the tensor: nothing is copied or converted at load. The header checksum catches flipped
// header bytes; every size is checked against the file size before a tensor views the data,
// and CQ files must carry the seed and codebook this runtime decodes with.
#include <cstdio>
#include <filesystem>

#include "cactus/core/byte_io.hpp"
#include "cactus/core/files.hpp"
#include "cactus/core/mapped_file.hpp"
#include "cactus/core/tensor.hpp"
#include "cactus/quant/codebook.hpp"

namespace cactus::quant {

enum class precision : std::uint32_t { int8 = 0, fp16 = 1, fp32 = 2, cq1 = 3, cq2 = 4, cq3 = 5, cq4 = 6, i64 = 7, i32 = 8, u8 = 9, b8 = 10, i8 = 11 };
inline constexpr std::uint32_t last_precision_code = 11;

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
    case precision::i8: return "i8";
  }
  return "?";
}

inline precision precision_of(dtype t) {
  switch (t) {
    case dtype::f32: return precision::fp32;
    case dtype::f16: return precision::fp16;
    case dtype::i64: return precision::i64;
    case dtype::i32: return precision::i32;
    case dtype::i8: return precision::i8;
    case dtype::u8: return precision::u8;
    case dtype::b8: return precision::b8;
    case dtype::q8: return precision::int8;
    case dtype::cq1: return precision::cq1;
    case dtype::cq2: return precision::cq2;
    case dtype::cq3: return precision::cq3;
    case dtype::cq4: return precision::cq4;
  }
  return precision::fp32;
}

inline dtype dtype_of(precision p) {
  switch (p) {
    case precision::fp32: return dtype::f32;
    case precision::fp16: return dtype::f16;
    case precision::i64: return dtype::i64;
    case precision::i32: return dtype::i32;
    case precision::i8: return dtype::i8;
    case precision::u8: return dtype::u8;
    case precision::b8: return dtype::b8;
    case precision::int8: return dtype::q8;
    case precision::cq1: return dtype::cq1;
    case precision::cq2: return dtype::cq2;
    case precision::cq3: return dtype::cq3;
    case precision::cq4: return dtype::cq4;
  }
  return dtype::f32;
}

// Manifest spelling ("fp16", "cq4", ...) to dtype.
inline dtype dtype_of_precision_name(const std::string& s) {
  for (std::uint32_t c = 0; c <= last_precision_code; ++c)
    if (s == precision_name(static_cast<precision>(c))) return dtype_of(static_cast<precision>(c));
  fail("unknown weight precision '", s, "'");
}

inline constexpr std::uint32_t weight_file_version = 2;
inline constexpr std::size_t weight_checked_bytes = 112, weight_data_offset = 128;

inline std::vector<unsigned char> encode_weight_file(const tensor& t) {
  check(t.shape.size() <= 4, "cannot store a tensor of rank ", t.shape.size(), " (at most 4 dims)");
  const bool packed = is_packed(t.type);
  const packed_layout l = packed ? packed_layout_of(t.type, t.shape) : packed_layout{};
  byte_writer w;
  w.bytes("CACT", 4);
  w.le<std::uint32_t>(weight_file_version);
  w.le<std::uint32_t>(64);
  w.le<std::uint32_t>(static_cast<std::uint32_t>(t.shape.size()));
  for (std::size_t i = 0; i < 4; ++i) w.le<std::uint64_t>(i < t.shape.size() ? static_cast<std::uint64_t>(t.shape[i]) : 0);
  w.le<std::uint32_t>(static_cast<std::uint32_t>(precision_of(t.type)));
  w.le<std::uint64_t>(packed ? l.scales_offset : t.bytes());
  w.le<std::uint64_t>(packed ? l.scales_bytes : 0);
  w.le<std::uint32_t>(packed ? static_cast<std::uint32_t>(packed_group) : 0);
  w.le<std::uint32_t>(packed ? static_cast<std::uint32_t>(l.rows * l.groups) : 0);
  w.le<std::uint64_t>(packed ? static_cast<std::uint64_t>(l.k) : t.shape.empty() ? 1 : static_cast<std::uint64_t>(t.shape.back()));
  const bool cq = packed && t.type != dtype::q8;
  w.le<std::uint32_t>(cq ? rotation_seed : 0);
  std::int8_t book[16] = {};
  float step = 0;
  if (cq) {
    const auto& cb = cq_codebook(l.bits);
    std::copy(cb.levels.begin(), cb.levels.begin() + (1 << l.bits), book);
    step = cb.step;
  }
  w.bytes(book, 16);
  w.le<float>(step);
  w.le<std::uint32_t>(packed ? static_cast<std::uint32_t>(l.kp) : 0);
  const std::uint64_t header_sum = fnv1a64(w.buffer().data(), weight_checked_bytes);
  w.le<std::uint64_t>(header_sum);
  w.le<std::uint64_t>(0);  // the fingerprint, set below
  // Data is stored little-endian; on a big-endian host we would swap here.
  check(host_is_little_endian(), "writing weights on a big-endian host is not supported");
  w.bytes(t.data, t.bytes());
  auto& b = w.buffer();
  std::uint64_t fp = fingerprint64(b.data() + weight_data_offset, b.size() - weight_data_offset, header_sum);
  if (fp == 0) fp = 1;
  std::memcpy(b.data() + weight_checked_bytes + 8, &fp, 8);
  return std::move(b);
}

inline std::uint64_t stored_fingerprint(const std::vector<unsigned char>& file) {
  std::uint64_t fp;
  std::memcpy(&fp, file.data() + weight_checked_bytes + 8, 8);
  return fp;
}

// Writes the file (atomically) and returns its fingerprint.
inline std::uint64_t write_weight_file(const std::filesystem::path& p, const tensor& t) {
  auto bytes = encode_weight_file(t);
  write_file_atomic(p, bytes.data(), bytes.size());
  return stored_fingerprint(bytes);
}

struct weight_header {
  dtype type;
  shape_t shape;
  std::uint64_t data_bytes, scales_bytes;
  std::uint64_t fingerprint = 0;  // 0: not recorded
};

inline weight_header parse_weight_header(const unsigned char* p, std::size_t n, const std::string& file) {
  byte_reader r(p, n, file);
  check(n >= weight_data_offset, file, ": truncated weight file (", n, " bytes, the header alone is ", weight_data_offset, ")");
  check(std::memcmp(r.take(4), "CACT", 4) == 0, file, ": not a cactus weight file (bad magic)");
  auto version = r.le<std::uint32_t>();
  check(version == weight_file_version, file, ": weight file version ", version, " is not supported (expected ", weight_file_version,
        "; convert the checkpoint again)");
  check(r.le<std::uint32_t>() == 64, file, ": unexpected alignment field");
  auto ndim = r.le<std::uint32_t>();
  check(ndim <= 4, file, ": corrupt header (ndim ", ndim, ")");
  weight_header h;
  std::uint64_t dims[4];
  for (auto& d : dims) d = r.le<std::uint64_t>();
  for (std::uint32_t i = 0; i < ndim; ++i) {
    check(dims[i] < (1ull << 40), file, ": corrupt header (dim ", i, " = ", dims[i], ")");
    h.shape.push_back(static_cast<std::int64_t>(dims[i]));
  }
  checked_numel(h.shape, file + ": header");
  auto pr = r.le<std::uint32_t>();
  check(pr <= last_precision_code, file, ": corrupt header (precision code ", pr, ")");
  h.type = dtype_of(static_cast<precision>(pr));
  h.data_bytes = r.le<std::uint64_t>();
  h.scales_bytes = r.le<std::uint64_t>();
  const auto group = r.le<std::uint32_t>(), groups = r.le<std::uint32_t>();
  const auto k = r.le<std::uint64_t>();
  const auto seed = r.le<std::uint32_t>();
  std::int8_t book[16];
  std::memcpy(book, r.take(16), 16);
  const float step = r.le<float>();
  const auto kp = r.le<std::uint32_t>();
  const auto sum = r.le<std::uint64_t>();
  check(sum == fnv1a64(p, weight_checked_bytes), file, ": corrupt header (checksum mismatch)");
  h.fingerprint = r.le<std::uint64_t>();
  if (is_packed(h.type)) {
    const packed_layout l = packed_layout_of(h.type, h.shape);
    check(group == packed_group && groups == static_cast<std::uint64_t>(l.rows * l.groups) && k == static_cast<std::uint64_t>(l.k) &&
              kp == static_cast<std::uint64_t>(l.kp) && h.data_bytes == l.scales_offset && h.scales_bytes == l.scales_bytes,
          file, ": corrupt header (", name_of(h.type), " sections do not match shape ", to_string(h.shape), ")");
    if (h.type != dtype::q8) {
      const auto& cb = cq_codebook(l.bits);
      check(seed == rotation_seed && std::memcmp(book, cb.levels.data(), static_cast<std::size_t>(1) << l.bits) == 0 && step == cb.step, file,
            ": written with a different CQ rotation seed or codebook than this runtime decodes with");
    }
  } else {
    check(h.scales_bytes == 0 && h.data_bytes == storage_bytes(h.type, h.shape), file, ": corrupt header (", h.data_bytes,
          " data bytes for ", name_of(h.type), " shape ", to_string(h.shape), ")");
  }
  check(weight_data_offset + h.data_bytes + h.scales_bytes <= n, file, ": truncated (header promises ", h.data_bytes + h.scales_bytes,
        " bytes of data, the file has ", n - weight_data_offset, ")");
  return h;
}

// A weight file's fingerprint as text ("" when the file records none), as manifests and
// bindings store it.
inline std::string fingerprint_text(std::uint64_t fp) {
  if (fp == 0) return "";
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(fp));
  return buf;
}

inline std::string read_weight_fingerprint(const std::filesystem::path& p) {
  check(path_exists(p), p.string(), ": weight file not found");
  auto m = mapped_file::open(p.string());
  return fingerprint_text(parse_weight_header(m->data(), m->size(), p.string()).fingerprint);
}

// Maps a weight file and returns a tensor viewing the mapping (no copy); *fingerprint gets the
// one its header records.
inline tensor map_weight_file(const std::filesystem::path& p, std::uint64_t* fingerprint = nullptr) {
  check(path_exists(p), p.string(), ": weight file not found");
  auto m = mapped_file::open(p.string());
  auto h = parse_weight_header(m->data(), m->size(), p.string());
  if (fingerprint) *fingerprint = h.fingerprint;
  void* data = const_cast<unsigned char*>(m->data() + weight_data_offset);
  return tensor::view(h.type, h.shape, data, m);
}

}  // namespace cactus::quant
