#pragma once
// Read-only view of an uncompressed ("stored") zip archive, which is how torch.save and
// torch.jit.save write. Entries are located through the central directory and checked
// against the file size; compressed entries and zip64 are rejected with a clear message.
#include <map>
#include <string>
#include <vector>

#include "cactus/core/byte_io.hpp"
#include "cactus/core/mapped_file.hpp"

namespace cactus::formats {

class zip_archive {
 public:
  explicit zip_archive(std::shared_ptr<mapped_file> f) : f_(std::move(f)) {
    const std::string& path = f_->path();
    const unsigned char* p = f_->data();
    const std::size_t n = f_->size();
    check(n >= 22, path, ": not a zip archive (too small)");
    std::size_t eocd = std::string::npos;
    for (std::size_t i = n - 22 + 1; i-- > (n > 65557 ? n - 65557 : 0);)
      if (p[i] == 0x50 && p[i + 1] == 0x4b && p[i + 2] == 0x05 && p[i + 3] == 0x06) { eocd = i; break; }
    check(eocd != std::string::npos, path, ": not a zip archive (no end-of-central-directory record)");
    byte_reader r(p, n, path);
    r.seek(eocd + 10);
    const auto count = r.le<std::uint16_t>();
    r.le<std::uint32_t>();
    const auto cd = r.le<std::uint32_t>();
    check(cd != 0xffffffffu, path, ": zip64 archives (> 4 GiB) are not supported");
    r.seek(cd);
    for (std::uint16_t i = 0; i < count; ++i) {
      check(r.le<std::uint32_t>() == 0x02014b50u, path, ": corrupt zip central directory (entry ", i, ")");
      r.seek(r.pos() + 6);
      const auto method = r.le<std::uint16_t>();
      r.seek(r.pos() + 8);
      const auto csize = r.le<std::uint32_t>();
      const auto usize = r.le<std::uint32_t>();
      const auto name_len = r.le<std::uint16_t>(), extra_len = r.le<std::uint16_t>(), comment_len = r.le<std::uint16_t>();
      r.seek(r.pos() + 8);
      const auto local = r.le<std::uint32_t>();
      std::string name(reinterpret_cast<const char*>(r.take(name_len)), name_len);
      r.seek(r.pos() + extra_len + comment_len);
      byte_reader l(p, n, path);
      l.seek(local);
      check(l.le<std::uint32_t>() == 0x04034b50u, path, ": corrupt zip entry '", name, "'");
      l.seek(local + 26);
      const auto ln = l.le<std::uint16_t>(), le = l.le<std::uint16_t>();
      const std::size_t data = local + 30u + ln + le;
      check(method != 0 || csize == usize, path, ": zip entry '", name, "' is stored but its sizes differ (", csize, " vs ", usize, " bytes)");
      check(data <= n && csize <= n - data, path, ": zip entry '", name, "' runs past the end of the file (truncated?)");
      entries_[name] = {data, usize, method != 0};
    }
  }

  // The entry whose name ends with `suffix` (torch archives prefix every name with a folder).
  std::pair<const unsigned char*, std::size_t> find_suffix(const std::string& suffix) const {
    for (auto& [name, e] : entries_)
      if (name.size() >= suffix.size() && name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0 &&
          (name.size() == suffix.size() || name[name.size() - suffix.size() - 1] == '/')) {
        check(!e.compressed, f_->path(), ": entry '", name, "' is compressed; only stored entries are supported");
        return {f_->data() + e.offset, e.size};
      }
    return {nullptr, 0};
  }
  // Entry names, in order.
  std::vector<std::string> names() const {
    std::vector<std::string> r;
    for (auto& [name, e] : entries_) r.push_back(name);
    return r;
  }
  bool has_suffix(const std::string& s) const { return find_suffix(s).first != nullptr; }
  const std::string& path() const { return f_->path(); }
  const std::shared_ptr<mapped_file>& file() const { return f_; }

 private:
  struct entry {
    std::size_t offset, size;
    bool compressed;
  };
  std::shared_ptr<mapped_file> f_;
  std::map<std::string, entry> entries_;
};

inline bool looks_like_zip(const mapped_file& f) {
  return f.size() >= 4 && f.data()[0] == 0x50 && f.data()[1] == 0x4b && f.data()[2] == 0x03 && f.data()[3] == 0x04;
}

}  // namespace cactus::formats
