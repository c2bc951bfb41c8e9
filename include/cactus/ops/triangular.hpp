#pragma once
// triu / tril: triangular masks over the last two dims.
#include <algorithm>
#include <cstring>

#include "cactus/ops/op.hpp"

namespace cactus::ops {

// triu/tril(x, diagonal) over the last two dims.
template <bool Upper>
struct tri_body {
  static void infer(context& c) {
    const slot& x = c.tensor_in(0);
    c.require(x.shape.size() >= 2, "needs at least 2 dims, got ", to_string(x.shape));
    c.set_tensor(0, x.type, x.shape);
  }
  static void run(context& c) {
    const slot& x = c.in(0);
    const slot& y = c.out(0);
    const std::int64_t diag = c.num_inputs() > 1 ? c.int_at(1) : 0;
    const std::int64_t R = x.shape[x.shape.size() - 2], C = x.shape.back(), B = x.numel() / std::max<std::int64_t>(1, R * C);
    const std::size_t es = size_of(x.type);
    std::memcpy(y.data, x.data, x.bytes());
    for (std::int64_t b = 0; b < B; ++b)
      for (std::int64_t r = 0; r < R; ++r)
        for (std::int64_t col = 0; col < C; ++col) {
          const bool keep = Upper ? col - r >= diag : col - r <= diag;
          if (!keep) std::memset(static_cast<unsigned char*>(y.data) + ((b * R + r) * C + col) * static_cast<std::int64_t>(es), 0, es);
        }
  }
};
struct triu_op : tri_body<true> {
  static constexpr std::string_view name = "triu";
  static constexpr dims_rule fixed_dims = dims_rule::same;
  static constexpr arity inputs{2};
};
struct tril_op : tri_body<false> {
  static constexpr std::string_view name = "tril";
  static constexpr dims_rule fixed_dims = dims_rule::same;
  static constexpr arity inputs{2};
};

}  // namespace cactus::ops
