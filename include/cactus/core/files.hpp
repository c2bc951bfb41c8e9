#pragma once
// Whole-file reads, and writes that never leave a half-written file behind: data goes to a
// temporary sibling, which is renamed over the target only once complete.
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "cactus/core/error.hpp"

namespace cactus {

// p names something strictly below dir (both absolute and normalized).
inline bool is_inside(const std::filesystem::path& p, const std::filesystem::path& dir) {
  const std::filesystem::path r = p.lexically_relative(dir);
  return !r.empty() && *r.begin() != ".." && r != ".";
}

// Whether p exists. Paths here often come from a file's contents (bindings, manifests, shard
// indexes): one the system cannot look up (a name longer than the file system allows, a loop of
// links, no permission) is an error naming it, never std::filesystem's exception.
inline bool path_exists(const std::filesystem::path& p) {
  std::error_code ec;
  const bool e = std::filesystem::exists(p, ec);
  check(!ec, p.string(), ": cannot look up this path (", ec.message(), ")");
  return e;
}

// p made absolute, with the links and dot segments of its existing part resolved; the same
// errors as path_exists.
inline std::filesystem::path resolved_path(const std::filesystem::path& p) {
  std::error_code ec;
  std::filesystem::path r = std::filesystem::absolute(p, ec);
  if (!ec) r = std::filesystem::weakly_canonical(r, ec);
  check(!ec, p.string(), ": cannot resolve this path (", ec.message(), ")");
  return r;
}

// The bytes of a regular file; a directory, a missing file or a failed read is an error naming p
// (not the stream library's "basic_filebuf::underflow").
inline std::vector<unsigned char> read_file_bytes(const std::filesystem::path& p) {
  std::error_code ec;
  const auto st = std::filesystem::status(p, ec);
  check(std::filesystem::exists(st), p.string(), ": no such file");
  check(std::filesystem::is_regular_file(st), p.string(), ": not a regular file",
        std::filesystem::is_directory(st) ? " (a directory)" : "");
  std::ifstream f(p, std::ios::binary);
  check(bool(f), p.string(), ": cannot open");
  try {
    return std::vector<unsigned char>((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  } catch (const std::ios_base::failure& e) {
    fail(p.string(), ": read failed (", e.code().message(), ")");
  }
}

inline std::string read_file_text(const std::filesystem::path& p) {
  auto b = read_file_bytes(p);
  return std::string(b.begin(), b.end());
}

inline void write_file_atomic(const std::filesystem::path& p, const void* data, std::size_t n) {
  auto tmp = p;
  tmp += ".tmp";
  {
    std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
    check(bool(f), tmp.string(), ": cannot create");
    f.write(static_cast<const char*>(data), static_cast<std::streamsize>(n));
    check(bool(f), tmp.string(), ": write failed (disk full?)");
  }
  std::filesystem::rename(tmp, p);
}

inline void write_file_atomic(const std::filesystem::path& p, const std::string& s) {
  write_file_atomic(p, s.data(), s.size());
}

}  // namespace cactus
