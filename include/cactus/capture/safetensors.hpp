#pragma once
// .safetensors: u64 header length, JSON header {name: {dtype, shape, data_offsets}}, data.
#include <nlohmann/json.hpp>

#include "cactus/core/byte_io.hpp"
#include "cactus/core/mapped_file.hpp"
#include "cactus/core/tensor.hpp"

namespace cactus::capture {

inline std::vector<std::pair<std::string, tensor>> read_safetensors(const std::string& path) {
  auto f = mapped_file::open(path);
  byte_reader r(f->data(), f->size(), path);
  check(f->size() >= 8, path, ": not a safetensors file (too small)");
  const auto hlen = r.le<std::uint64_t>();
  check(hlen <= f->size() - 8, path, ": not a safetensors file (header length ", hlen, " exceeds the file)");
  nlohmann::json h;
  try {
    h = nlohmann::json::parse(r.take(hlen), r.take(0));
  } catch (const nlohmann::json::exception&) {
    fail(path, ": not a safetensors file (header is not JSON)");
  }
  const std::size_t base = 8 + hlen;
  std::vector<std::pair<std::string, tensor>> out;
  for (auto& [name, e] : h.items()) {
    if (name == "__metadata__") continue;
    const std::string dt = e.at("dtype");
    shape_t shape = e.at("shape").get<shape_t>();
    auto off = e.at("data_offsets").get<std::vector<std::uint64_t>>();
    check(off.size() == 2 && off[0] <= off[1] && base + off[1] <= f->size(), path, ": tensor '", name, "' lies outside the file (truncated?)");
    const unsigned char* src = f->data() + base + off[0];
    const std::size_t nbytes = off[1] - off[0];
    dtype t = dt == "F32" ? dtype::f32 : dt == "F16" ? dtype::f16 : dt == "I64" ? dtype::i64 : dt == "I32" ? dtype::i32
              : dt == "I8" ? dtype::i8 : dt == "U8" ? dtype::u8 : dt == "BOOL" ? dtype::b8 : dtype::f32;
    tensor tt = tensor::empty(t, shape);
    if (dt == "BF16" || dt == "F64") {
      const std::size_t es = dt == "BF16" ? 2 : 8;
      check(nbytes == static_cast<std::size_t>(tt.numel()) * es, path, ": tensor '", name, "' has ", nbytes, " bytes for shape ", to_string(shape));
      for (std::int64_t k = 0; k < tt.numel(); ++k) tt.ptr<float>()[k] = es == 2 ? bf16_to_f32(src + 2 * k) : f64_to_f32(src + 8 * k);
    } else {
      check(dt == "F32" || dt == "F16" || dt == "I64" || dt == "I32" || dt == "I8" || dt == "U8" || dt == "BOOL", path, ": tensor '", name,
            "' has unsupported dtype ", dt);
      check(nbytes == tt.bytes(), path, ": tensor '", name, "' has ", nbytes, " bytes for shape ", to_string(shape));
      std::memcpy(tt.data, src, nbytes);
    }
    out.emplace_back(name, std::move(tt));
  }
  return out;
}

}  // namespace cactus::capture
