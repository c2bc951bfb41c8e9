#pragma once
// .safetensors: u64 header length, JSON header {name: {dtype, shape, data_offsets}}, data.
// list_safetensors maps the file and returns one lazy entry per tensor (nothing is decoded until
// load() runs), so converting a large checkpoint holds one tensor in memory at a time.
// F32/F16/I64/I32/I8/U8/BOOL load as themselves, BF16 and F64 are widened or narrowed to F32.
#include <algorithm>
#include <nlohmann/json.hpp>

#include "cactus/core/byte_io.hpp"
#include "cactus/core/json_read.hpp"
#include "cactus/core/mapped_file.hpp"
#include "cactus/core/tensor.hpp"
#include "cactus/formats/lazy_tensor.hpp"

namespace cactus::formats {

inline std::vector<lazy_tensor> list_safetensors(const std::string& path) {
  check(std::filesystem::exists(path), path, ": no such file");
  std::shared_ptr<mapped_file> f = mapped_file::open(path);
  byte_reader r(f->data(), f->size(), path);
  check(f->size() >= 8, path, ": not a safetensors file (too small)");
  const auto hlen = r.le<std::uint64_t>();
  check(hlen <= f->size() - 8, path, ": not a safetensors file (header length ", hlen, " exceeds the file)");
  nlohmann::json h;
  try {
    const unsigned char* begin = r.take(hlen);  // two statements: argument order is unspecified
    h = nlohmann::json::parse(begin, begin + hlen);
  } catch (const nlohmann::json::exception&) {
    fail(path, ": not a safetensors file (header is not JSON)");
  }
  check(h.is_object(), path, ": not a safetensors file (header is not a JSON object)");
  const std::size_t base = 8 + hlen;
  std::vector<lazy_tensor> out;
  for (auto& [name, e] : h.items()) {
    if (name == "__metadata__") continue;
    std::string dt;
    shape_t shape;
    std::vector<std::uint64_t> off;
    try {
      dt = e.at("dtype").get<std::string>();
      shape = json_integers(e.at("shape"), path + ": tensor '" + name + "' shape");
      off = json_integers<std::uint64_t>(e.at("data_offsets"), path + ": tensor '" + name + "' data_offsets");
    } catch (const nlohmann::json::exception&) {
      fail(path, ": tensor '", name, "' has a malformed header entry");
    }
    check(off.size() == 2 && off[0] <= off[1] && off[1] <= f->size() - base, path, ": tensor '", name, "' lies outside the file (truncated?)");
    static const std::pair<const char*, std::pair<dtype, std::size_t>> kinds[] = {
        {"F32", {dtype::f32, 4}}, {"F16", {dtype::f16, 2}}, {"BF16", {dtype::f32, 2}}, {"F64", {dtype::f32, 8}}, {"I64", {dtype::i64, 8}},
        {"I32", {dtype::i32, 4}}, {"I8", {dtype::i8, 1}},   {"U8", {dtype::u8, 1}},    {"BOOL", {dtype::b8, 1}}};
    const std::pair<dtype, std::size_t>* kind = nullptr;
    for (auto& k : kinds)
      if (dt == k.first) kind = &k.second;
    check(kind != nullptr, path, ": tensor '", name, "' has unsupported dtype ", dt);
    const std::size_t nbytes = off[1] - off[0];
    check(nbytes == static_cast<std::size_t>(checked_numel(shape, path + ": tensor '" + name + "'")) * kind->second, path, ": tensor '", name, "' has ", nbytes, " bytes for ", dt,
          " shape ", to_string(shape));
    const dtype t = kind->first;
    const std::size_t src_off = base + off[0];
    out.push_back({name, shape, nbytes, [f, t, shape, src_off, nbytes, dt]() {
                     tensor tt = tensor::empty(t, shape);
                     const unsigned char* src = f->data() + src_off;
                     if (dt == "BF16")
                       for (std::int64_t k = 0; k < tt.numel(); ++k) tt.ptr<float>()[k] = bf16_to_f32(src + 2 * k);
                     else if (dt == "F64")
                       for (std::int64_t k = 0; k < tt.numel(); ++k) tt.ptr<float>()[k] = f64_to_f32(src + 8 * k);
                     else
                       std::memcpy(tt.data, src, nbytes);
                     return tt;
                   }});
  }
  // no two tensors may share bytes
  std::vector<std::pair<std::pair<std::uint64_t, std::uint64_t>, std::string>> spans;
  for (auto& [name, e] : h.items())
    if (name != "__metadata__") {
      auto o = e.at("data_offsets").get<std::vector<std::uint64_t>>();
      if (o[1] > o[0]) spans.push_back({{o[0], o[1]}, name});
    }
  std::sort(spans.begin(), spans.end());
  for (std::size_t i = 1; i < spans.size(); ++i)
    check(spans[i].first.first >= spans[i - 1].first.second, path, ": tensors '", spans[i - 1].second, "' and '", spans[i].second,
          "' overlap in the file");
  return out;
}

inline std::vector<std::pair<std::string, tensor>> read_safetensors(const std::string& path) {
  std::vector<std::pair<std::string, tensor>> out;
  for (auto& e : list_safetensors(path)) out.emplace_back(e.name, e.load());
  return out;
}

}  // namespace cactus::formats
