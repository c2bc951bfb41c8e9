#pragma once
// cactus::error: the one exception type the library throws. Its message is a single line that
// names the thing (file, tensor, op) and the place (path, node, source line).
#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>

namespace cactus {

class error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

namespace detail {
template <class... Args>
std::string cat(Args&&... args) {
  std::ostringstream os;
  (os << ... << std::forward<Args>(args));
  return os.str();
}
}  // namespace detail

template <class... Args>
[[noreturn]] void fail(Args&&... args) {
  throw error(detail::cat(std::forward<Args>(args)...));
}

template <class... Args>
void check(bool ok, Args&&... args) {
  if (!ok) fail(std::forward<Args>(args)...);
}

}  // namespace cactus
