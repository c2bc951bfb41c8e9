#pragma once
// The peak resident set of this process, in MiB: VmHWM from /proc/self/status on Linux. Not
// getrusage's ru_maxrss: on Linux that keeps the high-water mark of the image before execve, so a
// program started from a large parent (a Python benchmark with a model loaded) would report the
// parent's size. Falls back to ru_maxrss where /proc is not there.
#include <sys/resource.h>

#include <fstream>
#include <string>

namespace cactus {

inline double peak_rss_mb() {
  std::ifstream status("/proc/self/status");
  for (std::string line; std::getline(status, line);) {
    if (line.rfind("VmHWM:", 0) == 0) return std::stod(line.substr(6)) / 1024.0;  // "VmHWM:  12345 kB"
  }
  struct rusage ru {};
  getrusage(RUSAGE_SELF, &ru);
  return double(ru.ru_maxrss) / 1024.0;  // KiB on Linux; bytes on macOS, where /proc is absent
}

}  // namespace cactus
