#pragma once
// One entry point for every checkpoint `cactus convert` reads: open_checkpoint(path) tells the
// format from the file itself (never from a flag) and returns its tensors, read lazily.
//   - a directory: a Hugging Face checkpoint (config.json + safetensors, shards with an index);
//   - a .safetensors file, or any file that starts with a safetensors header;
//   - a zip: a front end's archive when one of `readers` recognizes it by a marker entry
//     (torch.export's archive_format, TorchScript's constants.pkl), else a torch.save state_dict.
// Archives that need a front end are read by that front end (frontends/<name>/), which hands its
// archive_reader in; formats/ itself knows only the file formats. A TorchScript archive with no
// reader (the build without LibTorch) is an error that says so, not a state_dict misread.
#include <cstring>
#include <filesystem>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "cactus/core/error.hpp"
#include "cactus/core/mapped_file.hpp"
#include "cactus/formats/hf_checkpoint.hpp"
#include "cactus/formats/lazy_tensor.hpp"
#include "cactus/formats/safetensors.hpp"
#include "cactus/formats/torch_pickle.hpp"
#include "cactus/formats/zip_archive.hpp"

namespace cactus::formats {

// A front end's archive kind inside a zip: recognized by an entry whose name ends in `marker`.
struct archive_reader {
  std::string marker;  // e.g. "archive_format"
  std::string kind;    // e.g. "torch.export archive", for messages
  std::function<std::vector<lazy_tensor>(const std::filesystem::path&)> read;
};

// The zip entry a TorchScript archive always has; named here so that the build without a
// TorchScript reader can still tell such an archive from a state_dict.
inline constexpr const char* torchscript_marker = "constants.pkl";

enum class checkpoint_format { hf_directory, safetensors, state_dict, front_end_archive, torchscript_unread, unknown };

struct checkpoint_kind {
  checkpoint_format format = checkpoint_format::unknown;
  const archive_reader* reader = nullptr;  // front_end_archive: the reader that claims it
};

inline bool has_safetensors_header(const mapped_file& f) {
  if (f.size() < 9) return false;
  std::uint64_t h = 0;
  std::memcpy(&h, f.data(), 8);
  return h > 1 && h < f.size() && f.data()[8] == '{';
}

// What `path` holds, from its contents (and a .safetensors name); the path must exist.
inline checkpoint_kind sniff_checkpoint(const std::filesystem::path& path, std::span<const archive_reader> readers = {}) {
  if (std::filesystem::is_directory(path)) return {checkpoint_format::hf_directory};
  const std::string p = path.string();
  if (p.size() > 12 && p.substr(p.size() - 12) == ".safetensors") return {checkpoint_format::safetensors};
  auto f = mapped_file::open(p);
  if (looks_like_zip(*f)) {
    zip_archive zip(f);
    for (const auto& r : readers)
      if (zip.has_suffix(r.marker)) return {checkpoint_format::front_end_archive, &r};
    if (zip.has_suffix(torchscript_marker)) return {checkpoint_format::torchscript_unread};
    return {checkpoint_format::state_dict};
  }
  if (has_safetensors_header(*f)) return {checkpoint_format::safetensors};
  return {};
}

struct checkpoint {
  std::vector<lazy_tensor> tensors;
  std::vector<std::filesystem::path> side_files;  // a Hugging Face directory's config and tokenizer files
};

inline checkpoint open_checkpoint(const std::filesystem::path& path, std::span<const archive_reader> readers = {}) {
  const std::string p = path.string();
  check(std::filesystem::exists(path), p, ": no such file or directory");
  const auto kind = sniff_checkpoint(path, readers);
  switch (kind.format) {
    case checkpoint_format::hf_directory: {
      auto c = open_hf_checkpoint(path);
      return {std::move(c.tensors), std::move(c.side_files)};
    }
    case checkpoint_format::safetensors: return {list_safetensors(p), {}};
    case checkpoint_format::front_end_archive: return {kind.reader->read(path), {}};
    case checkpoint_format::torchscript_unread: fail(p, ": TorchScript archives need the LibTorch-enabled cactus build");
    case checkpoint_format::state_dict: return {as_lazy(read_torch_state_dict(p)), {}};
    case checkpoint_format::unknown: break;
  }
  fail(p, ": not a state_dict (torch.save zip), TorchScript archive, .safetensors file or Hugging Face directory");
}

}  // namespace cactus::formats
