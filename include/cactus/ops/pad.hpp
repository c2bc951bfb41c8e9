#pragma once
// Padding: constant_pad_nd (a value around the edges; negative pads crop), reflection and
// replication pads, and TorchScript's pad(x, pad, mode, value), which names the mode
// ("constant", "reflect", "replicate" or "circular"). Pads come in (before, after) pairs from the
// last dim backwards, as in F.pad. Every output element is either a copy of one input element,
// found through a per-dim index map, or the pad value; any element type.
#include <cstring>

#include "cactus/ops/elementwise.hpp"
#include "cactus/ops/op.hpp"

namespace cactus::ops {

namespace detail {
enum class pad_mode { constant, reflect, replicate, circular };

inline pad_mode pad_mode_of(const context& c, const std::string& m) {
  if (m == "constant") return pad_mode::constant;
  if (m == "reflect") return pad_mode::reflect;
  if (m == "replicate") return pad_mode::replicate;
  if (m == "circular") return pad_mode::circular;
  c.fail("unknown pad mode '", m, "' (expected constant, reflect, replicate or circular)");
}

// For every dim, the input index each output index reads (-1: the pad value).
inline std::vector<std::vector<std::int64_t>> pad_maps(const context& c, const shape_t& s, const std::vector<std::int64_t>& pad, pad_mode mode) {
  c.require(pad.size() % 2 == 0 && pad.size() / 2 <= s.size(), "pad ", to_string(pad), " must hold (before, after) pairs for at most ",
            s.size(), " dims");
  std::vector<std::vector<std::int64_t>> maps(s.size());
  for (std::size_t d = 0; d < s.size(); ++d) {
    const std::size_t k = s.size() - 1 - d;  // pair k pads dim d
    const std::int64_t n = s[d], lo = k < pad.size() / 2 ? pad[2 * k] : 0, hi = k < pad.size() / 2 ? pad[2 * k + 1] : 0;
    const std::int64_t m = n + lo + hi;
    c.require(m >= 0, "pad (", lo, ", ", hi, ") leaves a negative size for dim ", d, " of size ", n);
    if (mode == pad_mode::reflect) c.require(lo < n && hi < n, "reflection pad (", lo, ", ", hi, ") must be smaller than dim ", d, "'s size ", n);
    if (mode == pad_mode::replicate) c.require(n > 0 || m == 0, "replication pad of an empty dim ", d);
    if (mode == pad_mode::circular) c.require(lo <= n && hi <= n, "circular pad (", lo, ", ", hi, ") must be at most dim ", d, "'s size ", n);
    if (mode != pad_mode::constant) c.require(lo >= 0 && hi >= 0, "only constant padding may be negative, got (", lo, ", ", hi, ")");
    auto& map = maps[d];
    map.resize(static_cast<std::size_t>(m));
    for (std::int64_t o = 0; o < m; ++o) {
      std::int64_t i = o - lo;
      if (i < 0 || i >= n) {
        switch (mode) {
          case pad_mode::constant: i = -1; break;
          case pad_mode::reflect: i = i < 0 ? -i : 2 * (n - 1) - i; break;
          case pad_mode::replicate: i = i < 0 ? 0 : n - 1; break;
          case pad_mode::circular: i = ((i % n) + n) % n; break;
        }
      }
      map[static_cast<std::size_t>(o)] = i;
    }
  }
  return maps;
}

inline void pad_infer(context& c, const std::vector<std::int64_t>& pad, pad_mode mode) {
  const slot& x = c.tensor_in(0);
  const auto maps = pad_maps(c, x.shape, pad, mode);
  shape_t s;
  for (const auto& m : maps) s.push_back(static_cast<std::int64_t>(m.size()));
  c.set_tensor(0, x.type, s);
}

inline void pad_run(context& c, const std::vector<std::int64_t>& pad, pad_mode mode, double value) {
  const slot& x = c.in(0);
  slot& y = c.out(0);
  const auto maps = pad_maps(c, x.shape, pad, mode);
  const auto st = strides_of(x.shape);
  const std::size_t es = size_of(x.type), r = x.shape.size();
  const std::int64_t n = y.numel();
  std::vector<std::int64_t> idx(r, 0);
  for (std::int64_t i = 0; i < n; ++i) {
    std::int64_t off = 0;
    bool inside = true;
    for (std::size_t d = 0; d < r && inside; ++d) {
      const std::int64_t at = maps[d][static_cast<std::size_t>(idx[d])];
      inside = at >= 0;
      off += at * st[d];
    }
    if (inside) std::memcpy(static_cast<std::byte*>(y.data) + static_cast<std::size_t>(i) * es, static_cast<const std::byte*>(x.data) + static_cast<std::size_t>(off) * es, es);
    else store_as(y.data, y.type, i, value);
    for (std::size_t d = r; d-- > 0;) {
      if (++idx[d] < y.shape[d]) break;
      idx[d] = 0;
    }
  }
}
}  // namespace detail

// constant_pad_nd(x, pad, value = 0)
struct constant_pad_nd_op {
  static constexpr std::string_view name = "constant_pad_nd";
  static constexpr arity inputs{2, 3};
  static void infer(context& c) { detail::pad_infer(c, c.ints_at(1), detail::pad_mode::constant); }
  static void run(context& c) { detail::pad_run(c, c.ints_at(1), detail::pad_mode::constant, c.is_none(2) ? 0.0 : c.num_at(2)); }
};

// pad(x, pad, mode = "constant", value = None): TorchScript's spelling of F.pad
struct pad_op {
  static constexpr std::string_view name = "pad";
  static constexpr arity inputs{2, 4};
  static detail::pad_mode mode(const context& c) { return c.is_none(2) ? detail::pad_mode::constant : detail::pad_mode_of(c, c.string_at(2)); }
  static void infer(context& c) {
    const auto m = mode(c);
    c.require(m == detail::pad_mode::constant || c.is_none(3) || c.num_at(3) == 0, "a pad value is only allowed in constant mode");
    detail::pad_infer(c, c.ints_at(1), m);
  }
  static void run(context& c) { detail::pad_run(c, c.ints_at(1), mode(c), c.is_none(3) ? 0.0 : c.num_at(3)); }
};

// reflection_pad{1,2,3}d(x, padding): mirrored about the edge element
struct reflection_pad_op {
  static constexpr std::string_view name = "reflection_pad";
  static constexpr arity inputs{2};
  static void infer(context& c) { detail::pad_infer(c, c.ints_at(1), detail::pad_mode::reflect); }
  static void run(context& c) { detail::pad_run(c, c.ints_at(1), detail::pad_mode::reflect, 0.0); }
};

// replication_pad{1,2,3}d(x, padding): the edge element repeated
struct replication_pad_op {
  static constexpr std::string_view name = "replication_pad";
  static constexpr arity inputs{2};
  static void infer(context& c) { detail::pad_infer(c, c.ints_at(1), detail::pad_mode::replicate); }
  static void run(context& c) { detail::pad_run(c, c.ints_at(1), detail::pad_mode::replicate, 0.0); }
};

}  // namespace cactus::ops
