#pragma once
// Publishing a directory as a unit. A writer (convert, transpile, lower) never writes into the
// target: it fills a staging directory beside it, `.NAME.cactus-staging-PID`, on the same
// filesystem. The stage starts as hard links to every file of the current target that the
// writer does not own (a transpile keeps the weights convert wrote, a convert keeps the graph),
// so the writer only adds new files; it must never write through one of those links (every
// cactus writer writes a temporary file and renames it, which makes a new inode).
// publish() fsyncs the stage, then swaps it with the target in one renameat2(RENAME_EXCHANGE)
// (or renames it into place when there is no target yet): a reader sees the old directory or
// the new one, never a mix. The old directory, now at the stage's path, is removed afterwards.
// A writer that fails or is killed leaves the target as it was. Stages of runs that are no
// longer alive (killed before or after the swap) are removed by the next writer on the target.
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <functional>
#include <string>

#include "cactus/core/error.hpp"

namespace cactus {

class staged_directory {
 public:
  // owns(relative path) says which of the target's entries the writer replaces; they are not
  // linked into the stage. Directories the writer owns are left out whole.
  using owns_fn = std::function<bool(const std::filesystem::path&)>;

  staged_directory(const std::filesystem::path& target, owns_fn owns) : owns_(std::move(owns)) {
    namespace fs = std::filesystem;
    std::error_code ec;
    target_ = fs::weakly_canonical(fs::absolute(target), ec);
    if (ec || target_.filename().empty()) target_ = fs::absolute(target).lexically_normal();
    if (target_.filename().empty()) target_ = target_.parent_path();
    check(!fs::exists(target_) || fs::is_directory(target_), target.string(), ": exists and is not a directory");
    fs::create_directories(target_.parent_path());
    remove_stale();
    stage_ = target_.parent_path() / (prefix() + std::to_string(::getpid()));
    fs::remove_all(stage_);
    fs::create_directory(stage_);
    try {
      if (fs::is_directory(target_)) link_tree(target_, stage_, "");
    } catch (...) {
      fs::remove_all(stage_, ec);
      throw;
    }
  }
  staged_directory(const staged_directory&) = delete;
  staged_directory& operator=(const staged_directory&) = delete;
  ~staged_directory() {
    std::error_code ec;
    if (!stage_.empty()) std::filesystem::remove_all(stage_, ec);
  }

  // Where the writer writes.
  const std::filesystem::path& path() const { return stage_; }
  // Where the files will be once published.
  const std::filesystem::path& target() const { return target_; }

  void publish() {
    namespace fs = std::filesystem;
    check(!stage_.empty(), target_.string(), ": published twice");
    sync_tree(stage_);
    if (!fs::exists(target_)) {
      if (::rename(stage_.c_str(), target_.c_str()) != 0) fail(target_.string(), ": cannot move the new bundle into place (", std::strerror(errno), ")");
    } else if (::renameat2(AT_FDCWD, stage_.c_str(), AT_FDCWD, target_.c_str(), RENAME_EXCHANGE) != 0) {
      // filesystems without RENAME_EXCHANGE: two renames, with a moment where the target is absent
      check(errno == EINVAL || errno == ENOSYS, target_.string(), ": cannot swap the new bundle into place (", std::strerror(errno), ")");
      const fs::path old = target_.parent_path() / (prefix() + std::to_string(::getpid()) + ".old");
      if (::rename(target_.c_str(), old.c_str()) != 0 || ::rename(stage_.c_str(), target_.c_str()) != 0)
        fail(target_.string(), ": cannot move the new bundle into place (", std::strerror(errno), ")");
      stage_ = old;
    }
    sync_path(target_.parent_path());
    std::error_code ec;
    fs::remove_all(stage_, ec);  // the previous target
    stage_.clear();
  }

 private:
  std::string prefix() const { return "." + target_.filename().string() + ".cactus-staging-"; }

  // Stages beside the target, and the older layout's inside it, whose process is gone.
  void remove_stale() const {
    namespace fs = std::filesystem;
    auto stale = [](const std::string& name, const std::string& pre) {
      if (name.rfind(pre, 0) != 0) return false;
      std::string rest = name.substr(pre.size());
      if (auto dot = rest.find('.'); dot != std::string::npos) rest = rest.substr(0, dot);
      if (rest.empty() || rest.size() > 9 || rest.find_first_not_of("0123456789") != std::string::npos) return false;
      const long pid = std::stol(rest);
      return pid != ::getpid() && ::kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH;
    };
    std::error_code ec;
    for (auto& e : fs::directory_iterator(target_.parent_path(), ec))
      if (stale(e.path().filename().string(), prefix())) fs::remove_all(e.path(), ec);
    if (fs::is_directory(target_))
      for (auto& e : fs::directory_iterator(target_, ec))
        for (const char* pre : {".cactus-staging-", ".cactus-convert-staging-", ".cactus-export-"})
          if (stale(e.path().filename().string(), pre)) fs::remove_all(e.path(), ec);
  }

  void link_tree(const std::filesystem::path& from, const std::filesystem::path& to, const std::filesystem::path& rel) const {
    namespace fs = std::filesystem;
    for (auto& e : fs::directory_iterator(from)) {
      const fs::path r = rel / e.path().filename();
      const std::string name = e.path().filename().string();
      if (name.rfind(".cactus-", 0) == 0 || (name.size() > 4 && name.compare(name.size() - 4, 4, ".tmp") == 0) || owns_(r)) continue;
      const fs::path dst = to / e.path().filename();
      if (e.is_symlink()) {
        fs::copy_symlink(e.path(), dst);
      } else if (e.is_directory()) {
        fs::create_directory(dst);
        link_tree(e.path(), dst, r);
      } else {
        std::error_code ec;
        fs::create_hard_link(e.path(), dst, ec);
        if (ec) fs::copy_file(e.path(), dst);  // a filesystem without hard links
      }
    }
  }

  static void sync_path(const std::filesystem::path& p) {
    int fd = ::open(p.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return;
    const int rc = ::fsync(fd);
    const int err = errno;
    ::close(fd);
    check(rc == 0 || err == EINVAL || err == EROFS, p.string(), ": fsync failed (", std::strerror(err), ")");
  }
  static void sync_tree(const std::filesystem::path& dir) {
    namespace fs = std::filesystem;
    for (auto& e : fs::recursive_directory_iterator(dir))
      if (e.is_regular_file() || e.is_directory()) sync_path(e.path());
    sync_path(dir);
  }

  std::filesystem::path target_, stage_;
  owns_fn owns_;
};

}  // namespace cactus
