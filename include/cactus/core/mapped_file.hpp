#pragma once
// Read-only memory map of a whole file. Weights and graphs are used in place from the map;
// the shared_ptr returned by owner() keeps the mapping alive for every tensor viewing it.
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <string>

#include "cactus/core/error.hpp"

namespace cactus {

class mapped_file {
 public:
  static std::shared_ptr<mapped_file> open(const std::string& path) {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) fail(path, ": cannot open (", std::strerror(errno), ")");
    struct stat st {};
    if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
      ::close(fd);
      fail(path, ": not a regular file");
    }
    auto m = std::shared_ptr<mapped_file>(new mapped_file());
    m->path_ = path;
    m->size_ = static_cast<std::size_t>(st.st_size);
    if (m->size_ > 0) {
      void* p = ::mmap(nullptr, m->size_, PROT_READ, MAP_PRIVATE, fd, 0);
      if (p == MAP_FAILED) {
        ::close(fd);
        fail(path, ": mmap failed (", std::strerror(errno), ")");
      }
      m->data_ = static_cast<const unsigned char*>(p);
    }
    ::close(fd);
    return m;
  }
  ~mapped_file() {
    if (data_) ::munmap(const_cast<unsigned char*>(data_), size_);
  }
  mapped_file(const mapped_file&) = delete;
  mapped_file& operator=(const mapped_file&) = delete;

  const unsigned char* data() const { return data_; }
  std::size_t size() const { return size_; }
  const std::string& path() const { return path_; }

 private:
  mapped_file() = default;
  const unsigned char* data_ = nullptr;
  std::size_t size_ = 0;
  std::string path_;
};

}  // namespace cactus
