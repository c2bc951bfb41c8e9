#pragma once
// Shared by the fuzz targets: the input as a file (for the readers that open a path) and the
// rule every target checks, that a reader either returns or throws cactus::error. Anything
// else (another exception type, a crash, a leak, UB, a hang) is a finding.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include <unistd.h>

#include "cactus/core/error.hpp"

namespace cactus_fuzz {

// Where the targets write their per-process files: tmpfs (/dev/shm) when there is one. On ext4
// a file truncated or renamed over and rewritten is flushed to disk on close (auto_da_alloc),
// which left the file-based targets waiting on the disk for most of their wall time.
inline const std::filesystem::path& scratch_dir() {
  static const std::filesystem::path dir = std::filesystem::is_directory("/dev/shm") ? std::filesystem::path("/dev/shm")
                                                                                     : std::filesystem::temp_directory_path();
  return dir;
}

// the input written to a per-process file, rewritten for each run
inline const std::string& as_file(const std::uint8_t* data, std::size_t size, const char* suffix) {
  static const std::string path = (scratch_dir() / ("cactus-fuzz-" + std::to_string(getpid()) + suffix)).string();
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  f.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  return path;
}

template <class F>
int guarded(F&& f) {
  try {
    f();
  } catch (const cactus::error&) {
    // a clear error: what bad input must give
  }
  // any other exception escapes and libFuzzer reports it as a crash
  return 0;
}

}  // namespace cactus_fuzz
