#pragma once
// The functional forms of writing into a view, which torch.export's functionalization produces
// for `out[..., a:b] = t` (and decompositions such as circular padding use): copy(dst, src) is
// src broadcast to dst's shape and converted to dst's dtype; slice_scatter(x, src, dim, start,
// end, step) and select_scatter(x, src, dim, index) are copies of x with that slice (or index)
// along dim replaced by src.
#include <cstring>

#include "cactus/ops/elementwise.hpp"
#include "cactus/ops/op.hpp"

namespace cactus::ops {

namespace detail {
// dst (at dst_strides, element offsets) = src (contiguous) over shape; elements of es bytes
inline void copy_into_strided(const void* src, void* dst, const std::vector<std::int64_t>& dst_strides, const shape_t& shape, std::size_t es) {
  const std::int64_t n = numel(shape);
  const std::size_t r = shape.size();
  std::vector<std::int64_t> idx(r, 0);
  std::int64_t off = 0;
  for (std::int64_t i = 0; i < n; ++i) {
    std::memcpy(static_cast<std::byte*>(dst) + off * static_cast<std::int64_t>(es), static_cast<const std::byte*>(src) + i * static_cast<std::int64_t>(es), es);
    for (std::size_t d = r; d-- > 0;) {
      off += dst_strides[d];
      if (++idx[d] < shape[d]) break;
      off -= dst_strides[d] * shape[d];
      idx[d] = 0;
    }
  }
}

inline void check_scatter_src(const context& c, const slot& x, const slot& src, const shape_t& want) {
  c.require(src.type == x.type, "src is ", name_of(src.type), ", the tensor is ", name_of(x.type));
  c.require(src.shape == want, "src has shape ", to_string(src.shape), ", the slice it replaces has shape ", to_string(want));
}
}  // namespace detail

// copy(dst, src, non_blocking?)
struct copy_op {
  static constexpr std::string_view name = "copy";
  static constexpr dims_rule fixed_dims = dims_rule::same;
  static constexpr arity inputs{2, 3};
  static void infer(context& c) {
    const slot& dst = c.tensor_in(0);
    const slot& src = c.tensor_in(1);
    c.require(broadcast_shapes(src.shape, dst.shape) == dst.shape, "cannot copy ", to_string(src.shape), " into ", to_string(dst.shape));
    c.set_tensor(0, dst.type, dst.shape);
  }
  static void run(context& c) {
    const slot& src = c.in(1);
    slot& y = c.out(0);
    if (src.type == y.type) copy_strided(src.data, broadcast_strides(src.shape, y.shape), y.data, y.shape, size_of(y.type));
    else map_scalar(y.shape, y.data, y.type, {make_operand(src, y.shape)}, [](const double* v) { return v[0]; });
  }
};

// slice_scatter(x, src, dim = 0, start = None, end = None, step = 1)
struct slice_scatter_op {
  static constexpr std::string_view name = "slice_scatter";
  static constexpr arity inputs{2, 6};
  struct where {
    std::size_t d;
    std::int64_t start, len, step;
  };
  static where bounds(const context& c) {
    const slot& x = c.tensor_in(0);
    c.require(!x.shape.empty(), "slice_scatter of a 0-d tensor");
    where w{};
    w.d = static_cast<std::size_t>(wrap_dim(c.num_inputs() > 2 && !c.is_none(2) ? c.int_at(2) : 0, static_cast<std::int64_t>(x.shape.size())));
    const std::int64_t n = x.shape[w.d];
    std::int64_t s = c.num_inputs() > 3 && !c.is_none(3) ? c.int_at(3) : 0, e = c.num_inputs() > 4 && !c.is_none(4) ? c.int_at(4) : n;
    w.step = c.num_inputs() > 5 && !c.is_none(5) ? c.int_at(5) : 1;
    c.require(w.step > 0, "slice step must be positive");
    if (s < 0) s += n;
    if (e < 0) e += n;
    s = std::clamp<std::int64_t>(s, 0, n);
    e = std::clamp<std::int64_t>(e, s, n);
    w.start = s;
    w.len = (e - s + w.step - 1) / w.step;
    return w;
  }
  static void infer(context& c) {
    const slot& x = c.tensor_in(0);
    const where w = bounds(c);
    shape_t s = x.shape;
    s[w.d] = w.len;
    detail::check_scatter_src(c, x, c.tensor_in(1), s);
    c.set_tensor(0, x.type, x.shape);
  }
  static void run(context& c) {
    const slot& x = c.in(0);
    slot& y = c.out(0);
    const where w = bounds(c);
    std::memcpy(y.data, x.data, x.bytes());
    auto st = strides_of(x.shape);
    auto* base = static_cast<std::byte*>(y.data) + w.start * st[w.d] * static_cast<std::int64_t>(size_of(x.type));
    st[w.d] *= w.step;
    detail::copy_into_strided(c.in(1).data, base, st, c.in(1).shape, size_of(x.type));
  }
};

// select_scatter(x, src, dim, index)
struct select_scatter_op {
  static constexpr std::string_view name = "select_scatter";
  static constexpr arity inputs{4};
  static std::pair<std::size_t, std::int64_t> at(const context& c) {
    const slot& x = c.tensor_in(0);
    c.require(!x.shape.empty(), "select_scatter of a 0-d tensor");
    const auto d = static_cast<std::size_t>(wrap_dim(c.int_at(2), static_cast<std::int64_t>(x.shape.size())));
    std::int64_t i = c.int_at(3);
    c.require(i >= -x.shape[d] && i < x.shape[d], "index ", i, " is out of range for dim ", d, " of size ", x.shape[d]);
    return {d, i < 0 ? i + x.shape[d] : i};
  }
  static void infer(context& c) {
    const slot& x = c.tensor_in(0);
    const auto [d, i] = at(c);
    shape_t s = x.shape;
    s.erase(s.begin() + static_cast<std::ptrdiff_t>(d));
    detail::check_scatter_src(c, x, c.tensor_in(1), s);
    c.set_tensor(0, x.type, x.shape);
  }
  static void run(context& c) {
    const slot& x = c.in(0);
    slot& y = c.out(0);
    const auto [d, i] = at(c);
    std::memcpy(y.data, x.data, x.bytes());
    auto st = strides_of(x.shape);
    auto* base = static_cast<std::byte*>(y.data) + i * st[d] * static_cast<std::int64_t>(size_of(x.type));
    st.erase(st.begin() + static_cast<std::ptrdiff_t>(d));
    detail::copy_into_strided(c.in(1).data, base, st, c.in(1).shape, size_of(x.type));
  }
};

}  // namespace cactus::ops
