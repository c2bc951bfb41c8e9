#pragma once
// Ops that move data without arithmetic: views (reshape, flatten, unflatten, squeeze, unsqueeze, identity)
// share their input's bytes; permute, slice, select, cat, stack, expand, repeat, flip and chunk
// copy through copy_strided, and so do diagonal and as_strided; roll moves rows.
#include <algorithm>
#include <limits>

#include "cactus/ops/op.hpp"

namespace cactus::ops {

namespace detail {
inline shape_t resolve_shape(const context& c, std::vector<std::int64_t> s, std::int64_t n) {
  std::int64_t known = 1, infer_at = -1;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == -1) {
      c.require(infer_at < 0, "only one dimension can be -1 in ", to_string(s));
      infer_at = static_cast<std::int64_t>(i);
    } else {
      c.require(s[i] >= 0, "invalid size ", s[i], " in ", to_string(s));
      known *= s[i];
    }
  }
  if (infer_at >= 0) {
    c.require(known != 0 && n % known == 0, "cannot view ", n, " elements as ", to_string(s));
    s[static_cast<std::size_t>(infer_at)] = n / known;
  }
  c.require(numel(s) == n, "cannot view ", n, " elements as ", to_string(s));
  return s;
}
}  // namespace detail

// reshape(x, shape) / view / _unsafe_view / reshape_as(x, other)
struct reshape_op {
  static constexpr std::string_view name = "reshape";
  static constexpr dims_rule fixed_dims = dims_rule::reshape;
  static constexpr arity inputs{2};
  static constexpr bool view = true;
  static void infer(context& c) {
    const slot& x = c.tensor_in(0);
    if (c.in(1).is_tensor()) { c.set_tensor(0, x.type, c.in(1).shape); return; }
    c.set_tensor(0, x.type, detail::resolve_shape(c, c.ints_at(1), x.numel()));
  }
};

// flatten(x, start_dim, end_dim)
struct flatten_op {
  static constexpr std::string_view name = "flatten";
  static constexpr dims_rule fixed_dims = dims_rule::flatten;
  static constexpr arity inputs{3};
  static constexpr bool view = true;
  static void infer(context& c) {
    const slot& x = c.tensor_in(0);
    const auto r = static_cast<std::int64_t>(x.shape.size());
    if (r == 0) { c.set_tensor(0, x.type, {1}); return; }
    auto s = wrap_dim(c.int_at(1), r), e = wrap_dim(c.int_at(2), r);
    shape_t out(x.shape.begin(), x.shape.begin() + s);
    std::int64_t m = 1;
    for (auto i = s; i <= e; ++i) m *= x.shape[static_cast<std::size_t>(i)];
    out.push_back(m);
    out.insert(out.end(), x.shape.begin() + e + 1, x.shape.end());
    c.set_tensor(0, x.type, out);
  }
};

// unflatten(x, dim, sizes): dim `dim` split into `sizes` (one may be -1)
struct unflatten_op {
  static constexpr std::string_view name = "unflatten";
  static constexpr arity inputs{3};
  static constexpr bool view = true;
  static void infer(context& c) {
    const slot& x = c.tensor_in(0);
    const auto r = static_cast<std::int64_t>(x.shape.size());
    c.require(r > 0, "unflatten of a 0-d tensor");
    const auto d = static_cast<std::size_t>(wrap_dim(c.int_at(1), r));
    shape_t out(x.shape.begin(), x.shape.begin() + static_cast<std::ptrdiff_t>(d));
    const shape_t inner = detail::resolve_shape(c, c.ints_at(2), x.shape[d]);
    out.insert(out.end(), inner.begin(), inner.end());
    out.insert(out.end(), x.shape.begin() + static_cast<std::ptrdiff_t>(d) + 1, x.shape.end());
    c.set_tensor(0, x.type, out);
  }
};

struct squeeze_op {
  static constexpr std::string_view name = "squeeze";
  static constexpr arity inputs{1, 2};
  static constexpr bool view = true;
  static void infer(context& c) {
    const slot& x = c.tensor_in(0);
    shape_t out;
    if (c.num_inputs() < 2 || c.is_none(1)) {
      for (auto d : x.shape) if (d != 1) out.push_back(d);
    } else {  // one dim, or a list of them (squeeze.dims): each removed where it is 1
      const auto dims = c.in(1).k == kind::ints ? c.ints_at(1) : std::vector<std::int64_t>{c.int_at(1)};
      std::vector<bool> drop(x.shape.size(), false);
      for (auto d : dims) {
        const auto w = static_cast<std::size_t>(wrap_dim(d, static_cast<std::int64_t>(x.shape.size())));
        if (w < x.shape.size() && x.shape[w] == 1) drop[w] = true;
      }
      for (std::size_t i = 0; i < x.shape.size(); ++i)
        if (!drop[i]) out.push_back(x.shape[i]);
    }
    c.set_tensor(0, x.type, out);
  }
};

struct unsqueeze_op {
  static constexpr std::string_view name = "unsqueeze";
  static constexpr dims_rule fixed_dims = dims_rule::unsqueeze;
  static constexpr arity inputs{2};
  static constexpr bool view = true;
  static void infer(context& c) {
    const slot& x = c.tensor_in(0);
    auto d = wrap_dim(c.int_at(1), static_cast<std::int64_t>(x.shape.size()) + 1);
    shape_t out = x.shape;
    out.insert(out.begin() + d, 1);
    c.set_tensor(0, x.type, out);
  }
};

// Passes its input through (what contiguous/clone/dropout/detach become if not removed).
struct identity_op {
  static constexpr std::string_view name = "identity";
  static constexpr dims_rule fixed_dims = dims_rule::same;
  static constexpr arity inputs{1};
  static constexpr bool view = true;
  static void infer(context& c) { c.set_tensor(0, c.tensor_in(0).type, c.in(0).shape); }
};

struct permute_op {
  static constexpr std::string_view name = "permute";
  static constexpr dims_rule fixed_dims = dims_rule::permute;
  static constexpr arity inputs{2};
  static std::vector<std::size_t> perm(const context& c) {
    const slot& x = c.tensor_in(0);
    auto p = c.ints_at(1);
    c.require(p.size() == x.shape.size(), "permutation ", to_string(p), " does not match rank ", x.shape.size());
    std::vector<std::size_t> r;
    std::vector<bool> seen(p.size(), false);
    for (auto d : p) {
      auto w = static_cast<std::size_t>(wrap_dim(d, static_cast<std::int64_t>(p.size())));
      c.require(!seen[w], "permutation ", to_string(p), " repeats a dim");
      seen[w] = true;
      r.push_back(w);
    }
    return r;
  }
  static void infer(context& c) {
    const slot& x = c.tensor_in(0);
    shape_t out;
    for (auto d : perm(c)) out.push_back(x.shape[d]);
    c.set_tensor(0, x.type, out);
  }
  static void run(context& c) {
    const slot& x = c.in(0);
    auto st = strides_of(x.shape);
    std::vector<std::int64_t> ps;
    for (auto d : perm(c)) ps.push_back(st[d]);
    copy_strided(x.data, ps, c.out(0).data, c.out(0).shape, size_of(x.type));
  }
};

// slice(x, dim, start?, end?, step) with Python clamping.
struct slice_op {
  static constexpr std::string_view name = "slice";
  static constexpr arity inputs{1, 5};
  static void bounds(const context& c, std::size_t& d, std::int64_t& start, std::int64_t& len, std::int64_t& step) {
    const slot& x = c.tensor_in(0);
    d = static_cast<std::size_t>(wrap_dim(c.num_inputs() > 1 ? c.int_at(1) : 0, static_cast<std::int64_t>(x.shape.size())));
    const std::int64_t n = x.shape[d];
    start = c.num_inputs() > 2 && !c.is_none(2) ? c.int_at(2) : 0;
    std::int64_t end = c.num_inputs() > 3 && !c.is_none(3) ? c.int_at(3) : n;
    step = c.num_inputs() > 4 ? c.int_at(4) : 1;
    c.require(step > 0, "slice step must be positive");
    if (start < 0) start += n;
    if (end < 0) end += n;
    start = std::clamp<std::int64_t>(start, 0, n);
    end = std::clamp<std::int64_t>(end, start, n);
    len = (end - start + step - 1) / step;
  }
  static void infer(context& c) {
    std::size_t d;
    std::int64_t s, len, step;
    bounds(c, d, s, len, step);
    shape_t out = c.in(0).shape;
    out[d] = len;
    c.set_tensor(0, c.in(0).type, out);
  }
  static void run(context& c) {
    std::size_t d;
    std::int64_t s, len, step;
    bounds(c, d, s, len, step);
    const slot& x = c.in(0);
    auto st = strides_of(x.shape);
    const auto* base = static_cast<const unsigned char*>(x.data) + s * st[d] * static_cast<std::int64_t>(size_of(x.type));
    st[d] *= step;
    copy_strided(base, st, c.out(0).data, c.out(0).shape, size_of(x.type));
  }
};

// narrow(x, dim, start, length)
struct narrow_op {
  static constexpr std::string_view name = "narrow";
  static constexpr arity inputs{4};
  static void infer(context& c) {
    const slot& x = c.tensor_in(0);
    auto d = static_cast<std::size_t>(wrap_dim(c.int_at(1), static_cast<std::int64_t>(x.shape.size())));
    auto s = c.int_at(2), l = c.int_at(3);
    if (s < 0) s += x.shape[d];
    c.require(s >= 0 && l >= 0 && s + l <= x.shape[d], "narrow(", s, ", ", l, ") is out of range for size ", x.shape[d]);
    shape_t out = x.shape;
    out[d] = l;
    c.set_tensor(0, x.type, out);
  }
  static void run(context& c) {
    const slot& x = c.in(0);
    auto d = static_cast<std::size_t>(wrap_dim(c.int_at(1), static_cast<std::int64_t>(x.shape.size())));
    auto s = c.int_at(2);
    if (s < 0) s += x.shape[d];
    auto st = strides_of(x.shape);
    copy_strided(static_cast<const unsigned char*>(x.data) + s * st[d] * static_cast<std::int64_t>(size_of(x.type)), st, c.out(0).data,
                 c.out(0).shape, size_of(x.type));
  }
};

// select(x, dim, index) drops the dim.
struct select_op {
  static constexpr std::string_view name = "select";
  static constexpr dims_rule fixed_dims = dims_rule::select;
  static constexpr arity inputs{2, 3};
  static void where(const context& c, std::size_t& d, std::int64_t& i) {
    const slot& x = c.tensor_in(0);
    d = static_cast<std::size_t>(wrap_dim(c.int_at(1), static_cast<std::int64_t>(x.shape.size())));
    i = c.int_at(2);
    c.require(i >= -x.shape[d] && i < x.shape[d], "index ", i, " is out of range for dim ", d, " of size ", x.shape[d]);
    if (i < 0) i += x.shape[d];
  }
  static void infer(context& c) {
    std::size_t d;
    std::int64_t i;
    where(c, d, i);
    shape_t out = c.in(0).shape;
    out.erase(out.begin() + static_cast<std::ptrdiff_t>(d));
    c.set_tensor(0, c.in(0).type, out);
  }
  static void run(context& c) {
    std::size_t d;
    std::int64_t i;
    where(c, d, i);
    const slot& x = c.in(0);
    auto st = strides_of(x.shape);
    const auto* base = static_cast<const unsigned char*>(x.data) + i * st[d] * static_cast<std::int64_t>(size_of(x.type));
    st.erase(st.begin() + static_cast<std::ptrdiff_t>(d));
    copy_strided(base, st, c.out(0).data, c.out(0).shape, size_of(x.type));
  }
};

namespace detail {
// cat/stack inputs: tensors..., dim
inline void join(context& c, bool stack, bool run) {
  const std::size_t n = c.num_inputs() - 1;
  c.require(n >= 1, "needs at least one tensor");
  // cat passes over legacy empty tensors (1-D of size 0) of any rank; the first other one sets the shape
  auto legacy_empty = [&](const slot& t) { return !stack && t.shape.size() == 1 && t.shape[0] == 0; };
  std::size_t ref = 0;
  while (ref + 1 < n && legacy_empty(c.tensor_in(ref))) ++ref;
  const slot& first = c.tensor_in(ref);
  const auto rank = static_cast<std::int64_t>(first.shape.size()) + (stack ? 1 : 0);
  const auto d = static_cast<std::size_t>(wrap_dim(c.int_at(n), rank));
  shape_t out = first.shape;
  if (stack) out.insert(out.begin() + static_cast<std::ptrdiff_t>(d), 0);
  for (std::size_t i = 0; i < n; ++i) {
    const slot& t = c.tensor_in(i);
    if (i != ref && legacy_empty(t)) continue;
    shape_t s = t.shape;
    if (stack) s.insert(s.begin() + static_cast<std::ptrdiff_t>(d), 1);
    c.require(s.size() == out.size(), "tensor ", i, " has shape ", to_string(t.shape), ", expected rank ", out.size() - (stack ? 1 : 0));
    for (std::size_t k = 0; k < s.size(); ++k)
      c.require(k == d || s[k] == out[k], "tensor ", i, " has shape ", to_string(t.shape), ", which does not match ", to_string(first.shape));
    if (i != ref || stack) out[d] += s[d];
    c.require(t.type == first.type, "tensor ", i, " is ", name_of(t.type), ", tensor ", ref, " is ", name_of(first.type));
  }
  if (!run) { c.set_tensor(0, first.type, out); return; }
  // out viewed as [outer, out[d]*inner]; input i fills columns [at*inner, (at+s[d])*inner).
  const slot& y = c.out(0);
  const std::size_t es = size_of(first.type);
  std::int64_t outer = 1, inner = 1;
  for (std::size_t k = 0; k < d; ++k) outer *= out[k];
  for (std::size_t k = d + 1; k < out.size(); ++k) inner *= out[k];
  const std::int64_t out_row = out[d] * inner;
  std::int64_t at = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const slot& t = c.in(i);
    if (legacy_empty(t)) continue;
    const std::int64_t len = stack ? 1 : t.shape[d];
    const std::int64_t row = len * inner;
    for (std::int64_t o = 0; o < outer; ++o)
      std::memcpy(static_cast<unsigned char*>(y.data) + (o * out_row + at * inner) * static_cast<std::int64_t>(es),
                  static_cast<const unsigned char*>(t.data) + o * row * static_cast<std::int64_t>(es), static_cast<std::size_t>(row) * es);
    at += len;
  }
}
}  // namespace detail

struct cat_op {
  static constexpr std::string_view name = "cat";
  static constexpr arity inputs{2, variadic};
  static void infer(context& c) { detail::join(c, false, false); }
  static void run(context& c) { detail::join(c, false, true); }
};
struct stack_op {
  static constexpr std::string_view name = "stack";
  static constexpr arity inputs{2, variadic};
  static void infer(context& c) { detail::join(c, true, false); }
  static void run(context& c) { detail::join(c, true, true); }
};

// expand(x, sizes, implicit) / expand_as(x, other). x may be a number known at plan time (a 0-d
// scalar_tensor, which the IR keeps as a number): the result is filled with it, f32 for a float,
// i64 for an int, bool for a bool, as torch.scalar_tensor's 0-d tensor expands.
struct expand_op {
  static constexpr std::string_view name = "expand";
  static constexpr dims_rule fixed_dims = dims_rule::expand;
  static constexpr arity inputs{2, 3};
  static void infer(context& c) {
    const slot& x0 = c.in(0);
    const bool number = x0.k == kind::int_ || x0.k == kind::float_ || x0.k == kind::bool_;
    const shape_t xs = number ? shape_t{} : c.tensor_in(0).shape;
    shape_t want = c.in(1).is_tensor() ? c.in(1).shape : c.ints_at(1);
    c.require(want.size() >= xs.size(), "cannot expand ", to_string(xs), " to ", to_string(want));
    const std::size_t off = want.size() - xs.size();
    for (std::size_t i = 0; i < want.size(); ++i) {
      if (i >= off && want[i] == -1) want[i] = xs[i - off];
      c.require(want[i] >= 0 && (i < off || xs[i - off] == 1 || xs[i - off] == want[i]), "cannot expand ", to_string(xs), " to ",
                to_string(want));
    }
    const dtype t = !number ? x0.type : x0.k == kind::float_ ? dtype::f32 : x0.k == kind::int_ ? dtype::i64 : dtype::b8;
    c.set_tensor(0, t, want);
  }
  static void run(context& c) {
    const slot& x = c.in(0);
    const slot& y = c.out(0);
    if (!x.is_tensor()) {
      const std::int64_t n = y.numel();
      if (y.type == dtype::f32) std::fill_n(y.ptr<float>(), n, static_cast<float>(x.m.f));
      else if (y.type == dtype::i64) std::fill_n(y.ptr<std::int64_t>(), n, x.m.i);
      else std::fill_n(y.ptr<std::uint8_t>(), n, static_cast<std::uint8_t>(x.m.i != 0));
      return;
    }
    copy_strided(x.data, broadcast_strides(x.shape, y.shape), y.data, y.shape, size_of(x.type));
  }
};

// repeat(x, repeats): x tiled repeats[i] times along dim i (leading repeats add dims).
struct repeat_op {
  static constexpr std::string_view name = "repeat";
  static constexpr arity inputs{2};
  static void infer(context& c) {
    const slot& x = c.tensor_in(0);
    const auto r = c.ints_at(1);
    c.require(r.size() >= x.shape.size(), "repeat needs at least one count per dim: ", to_string(r), " for ", to_string(x.shape));
    shape_t s(r.size());
    const std::size_t off = r.size() - x.shape.size();
    for (std::size_t i = 0; i < r.size(); ++i) {
      c.require(r[i] >= 0, "repeat count ", r[i], " is negative");
      s[i] = r[i] * (i < off ? 1 : x.shape[i - off]);
    }
    c.set_tensor(0, x.type, s);
  }
  static void run(context& c) {
    // out viewed as [r0, n0, r1, n1, ...]: source strides 0 on the repeat dims
    const slot& x = c.in(0);
    const auto r = c.ints_at(1);
    const std::size_t off = r.size() - x.shape.size();
    const auto st = strides_of(x.shape);
    shape_t shape;
    std::vector<std::int64_t> strides;
    for (std::size_t i = 0; i < r.size(); ++i) {
      shape.push_back(r[i]);
      strides.push_back(0);
      if (i >= off) { shape.push_back(x.shape[i - off]); strides.push_back(st[i - off]); }
    }
    copy_strided(x.data, strides, c.out(0).data, shape, size_of(x.type));
  }
};

// flip(x, dims): reversed along each of dims (a copy through negative strides).
struct flip_op {
  static constexpr std::string_view name = "flip";
  static constexpr dims_rule fixed_dims = dims_rule::same;
  static constexpr arity inputs{2};
  static void infer(context& c) {
    const slot& x = c.tensor_in(0);
    std::vector<bool> seen(std::max<std::size_t>(x.shape.size(), 1));
    for (auto d : c.ints_at(1)) {
      const auto k = static_cast<std::size_t>(wrap_dim(d, static_cast<std::int64_t>(x.shape.size())));
      c.require(!seen[k], "dim ", d, " appears twice in flip's dims");
      seen[k] = true;
    }
    c.set_tensor(0, x.type, x.shape);
  }
  static void run(context& c) {
    const slot& x = c.in(0);
    auto st = strides_of(x.shape);
    std::int64_t start = 0;
    if (x.numel() > 0)
      for (auto d : c.ints_at(1)) {
        if (x.shape.empty()) break;
        const auto k = static_cast<std::size_t>(wrap_dim(d, static_cast<std::int64_t>(x.shape.size())));
        start += (x.shape[k] - 1) * st[k];
        st[k] = -st[k];
      }
    copy_strided(static_cast<const std::byte*>(x.data) + start * static_cast<std::int64_t>(size_of(x.type)), st, c.out(0).data, x.shape,
                 size_of(x.type));
  }
};

// diagonal(x, offset, dim1, dim2): the diagonal of the (dim1, dim2) planes, as a last dim; the
// other dims keep their order. offset > 0 is above the main diagonal.
struct diagonal_op {
  static constexpr std::string_view name = "diagonal";
  static constexpr arity inputs{4};
  struct plan {
    shape_t shape;
    std::vector<std::int64_t> strides;
    std::int64_t start = 0;
  };
  static plan make(const context& c) {
    const slot& x = c.tensor_in(0);
    const auto r = static_cast<std::int64_t>(x.shape.size());
    c.require(r >= 2, "needs at least 2 dims, got ", to_string(x.shape));
    const std::int64_t off = c.int_at(1);
    const auto d1 = static_cast<std::size_t>(wrap_dim(c.int_at(2), r)), d2 = static_cast<std::size_t>(wrap_dim(c.int_at(3), r));
    c.require(d1 != d2, "dim1 and dim2 are both ", d1);
    const auto st = strides_of(x.shape);
    plan p;
    for (std::size_t i = 0; i < x.shape.size(); ++i)
      if (i != d1 && i != d2) { p.shape.push_back(x.shape[i]); p.strides.push_back(st[i]); }
    const std::int64_t n1 = x.shape[d1], n2 = x.shape[d2];
    const std::int64_t len = off >= 0 ? std::max<std::int64_t>(0, std::min(n1, n2 - off)) : std::max<std::int64_t>(0, std::min(n1 + off, n2));
    p.shape.push_back(len);
    p.strides.push_back(st[d1] + st[d2]);
    if (len > 0) p.start = off >= 0 ? off * st[d2] : -off * st[d1];
    return p;
  }
  static void infer(context& c) { c.set_tensor(0, c.tensor_in(0).type, make(c).shape); }
  static void run(context& c) {
    const slot& x = c.in(0);
    const plan p = make(c);
    copy_strided(static_cast<const std::byte*>(x.data) + p.start * static_cast<std::int64_t>(size_of(x.type)), p.strides, c.out(0).data, p.shape,
                 size_of(x.type));
  }
};

// as_strided(x, size, stride, storage_offset?): the elements at storage_offset + sum(i * stride)
// of x's elements in row-major order: PyTorch's meaning when x is contiguous, which is how the
// graphs that use it (decompositions of unfold and the like) make it. Every address is checked.
struct as_strided_op {
  static constexpr std::string_view name = "as_strided";
  static constexpr arity inputs{3, 4};
  static void infer(context& c) {
    const slot& x = c.tensor_in(0);
    const auto size = c.ints_at(1), stride = c.ints_at(2);
    const std::int64_t off = c.is_none(3) ? 0 : c.int_at(3);
    c.require(size.size() == stride.size(), "size ", to_string(size), " and stride ", to_string(stride), " differ in length");
    std::int64_t hi = off, lo = off;
    bool empty = false;
    for (std::size_t i = 0; i < size.size(); ++i) {
      c.require(size[i] >= 0, "negative size ", to_string(size));
      empty = empty || size[i] == 0;
      if (size[i] > 0) (stride[i] >= 0 ? hi : lo) += (size[i] - 1) * stride[i];
    }
    c.require(empty || (lo >= 0 && hi < x.numel()), "size ", to_string(size), ", stride ", to_string(stride), " and offset ", off,
              " reach outside the input's ", x.numel(), " elements");
    c.set_tensor(0, x.type, shape_t(size.begin(), size.end()));
  }
  static void run(context& c) {
    const slot& x = c.in(0);
    const std::int64_t off = c.is_none(3) ? 0 : c.int_at(3);
    const slot& y = c.out(0);
    if (y.numel() == 0) return;
    copy_strided(static_cast<const std::byte*>(x.data) + off * static_cast<std::int64_t>(size_of(x.type)), c.ints_at(2), y.data, y.shape, size_of(x.type));
  }
};

// roll(x, shifts, dims): elements shifted along each dim, wrapping around; with no dims, over
// the flattened tensor.
struct roll_op {
  static constexpr std::string_view name = "roll";
  static constexpr dims_rule fixed_dims = dims_rule::same;
  static constexpr arity inputs{2, 3};
  static void infer(context& c) {
    const slot& x = c.tensor_in(0);
    const auto shifts = c.ints_at(1);
    const auto dims = c.num_inputs() > 2 ? c.ints_at(2) : std::vector<std::int64_t>{};
    c.require(dims.empty() ? shifts.size() == 1 : shifts.size() == dims.size(), "roll has ", shifts.size(), " shifts for ",
              dims.size(), " dims");
    for (auto d : dims) wrap_dim(d, static_cast<std::int64_t>(x.shape.size()));
    c.set_tensor(0, x.type, x.shape);
  }
  static void run(context& c) {
    const slot& x = c.in(0);
    const auto shifts = c.ints_at(1);
    const auto dims = c.num_inputs() > 2 ? c.ints_at(2) : std::vector<std::int64_t>{};
    const std::size_t es = size_of(x.type);
    auto* out = static_cast<std::byte*>(c.out(0).data);
    std::memcpy(out, x.data, x.bytes());
    if (x.numel() == 0) return;
    std::vector<std::byte> tmp(x.bytes());
    // one dim at a time: [outer, n, inner] rows moved from (j - shift) mod n to j
    for (std::size_t k = 0; k < shifts.size(); ++k) {
      std::int64_t outer = 1, n = x.numel(), inner = 1;
      if (!dims.empty()) {
        const auto d = static_cast<std::size_t>(wrap_dim(dims[k], static_cast<std::int64_t>(x.shape.size())));
        outer = 1;
        for (std::size_t i = 0; i < d; ++i) outer *= x.shape[i];
        n = x.shape.empty() ? 1 : x.shape[d];
        inner = x.numel() / (outer * n);
      }
      const std::int64_t s = ((shifts[k] % n) + n) % n;
      if (s == 0) continue;
      std::memcpy(tmp.data(), out, tmp.size());
      const std::size_t row = static_cast<std::size_t>(inner) * es;
      for (std::int64_t o = 0; o < outer; ++o) {
        const std::byte* src = tmp.data() + static_cast<std::size_t>(o * n) * row;
        std::byte* dst = out + static_cast<std::size_t>(o * n) * row;
        std::memcpy(dst + static_cast<std::size_t>(s) * row, src, static_cast<std::size_t>(n - s) * row);
        std::memcpy(dst, src + static_cast<std::size_t>(n - s) * row, static_cast<std::size_t>(s) * row);
      }
    }
  }
};

// repeat_interleave(x, repeats, dim): each slice along dim repeated `repeats` times in place
// (GPT-J's rotary sin/cos). An integer count and an explicit dim only; tensor repeats or a
// flattening call (dim None) are errors.
struct repeat_interleave_op {
  static constexpr std::string_view name = "repeat_interleave";
  static constexpr arity inputs{2, 4};
  static void infer(context& c) {
    const slot& x = c.tensor_in(0);
    c.require(!c.in(1).is_tensor(), "only an integer repeat count is supported, not a tensor of counts");
    c.require(c.num_inputs() > 2 && !c.is_none(2), "repeat_interleave without dim (flattening) is not supported");
    const std::int64_t r = c.int_at(1);
    c.require(r >= 0, "repeats must be >= 0, got ", r);
    shape_t s = x.shape;
    s[static_cast<std::size_t>(wrap_dim(c.int_at(2), static_cast<std::int64_t>(s.size())))] *= r;
    c.set_tensor(0, x.type, s);
  }
  static void run(context& c) {
    const slot& x = c.in(0);
    const std::int64_t r = c.int_at(1);
    const auto d = static_cast<std::size_t>(wrap_dim(c.int_at(2), static_cast<std::int64_t>(x.shape.size())));
    std::int64_t outer = 1, inner = 1;
    for (std::size_t i = 0; i < d; ++i) outer *= x.shape[i];
    for (std::size_t i = d + 1; i < x.shape.size(); ++i) inner *= x.shape[i];
    const std::size_t es = size_of(x.type), row = static_cast<std::size_t>(inner) * es;
    const auto* src = static_cast<const std::byte*>(x.data);
    auto* dst = static_cast<std::byte*>(c.out(0).data);
    for (std::int64_t o = 0; o < outer * x.shape[d]; ++o)
      for (std::int64_t k = 0; k < r; ++k, dst += row) std::memcpy(dst, src + static_cast<std::size_t>(o) * row, row);
  }
};

// chunk(x, chunks, dim) / split(x, split_size, dim) / unbind(x, dim): one output per piece.
struct split_op {
  static constexpr std::string_view name = "split";
  static constexpr arity inputs{4};
  static constexpr arity outputs{1, variadic};
  // inputs: x, dim, mode, arg (see pieces); unbind pieces drop the dim
  static void infer(context& c) {
    const slot& x = c.tensor_in(0);
    auto d = static_cast<std::size_t>(wrap_dim(c.int_at(1), static_cast<std::int64_t>(x.shape.size())));
    auto sizes = pieces(c, x.shape[d]);
    for (std::size_t i = 0; i < c.num_outputs(); ++i) {
      shape_t s = x.shape;
      if (sizes[i] < 0) s.erase(s.begin() + static_cast<std::ptrdiff_t>(d));
      else s[d] = sizes[i];
      c.set_tensor(i, x.type, s);
    }
  }
  static void run(context& c) {
    const slot& x = c.in(0);
    auto d = static_cast<std::size_t>(wrap_dim(c.int_at(1), static_cast<std::int64_t>(x.shape.size())));
    auto sizes = pieces(c, x.shape[d]);
    auto st = strides_of(x.shape);
    std::int64_t at = 0;
    for (std::size_t i = 0; i < c.num_outputs(); ++i) {
      const auto* base = static_cast<const unsigned char*>(x.data) + at * st[d] * static_cast<std::int64_t>(size_of(x.type));
      auto s2 = st;
      if (sizes[i] < 0) s2.erase(s2.begin() + static_cast<std::ptrdiff_t>(d));
      copy_strided(base, s2, c.out(i).data, c.out(i).shape, size_of(x.type));
      at += sizes[i] < 0 ? 1 : sizes[i];
    }
  }
  // mode (input 2): 0 = chunk(count), 1 = split(size, or a list of sizes), 2 = unbind
  static std::vector<std::int64_t> pieces(const context& c, std::int64_t n) {
    const auto mode = c.int_at(2);
    const std::size_t k = c.num_outputs();
    if (mode == 1 && c.in(3).k == kind::ints && c.in(3).m.ints.size() != 1) {  // split_with_sizes
      std::vector<std::int64_t> r = c.ints_at(3);
      std::int64_t total = 0;
      for (auto v : r) {
        c.require(v >= 0 && v <= n, "split size ", v, " is not in [0, ", n, "]");
        total += v;  // (no overflow: at most k sizes, each at most n)
      }
      c.require(total == n && r.size() == k, "split sizes ", to_string(r), " do not split a dim of size ", n, " into ", k, " pieces");
      return r;
    }
    const auto arg = c.int_at(3);
    std::vector<std::int64_t> r;
    c.require(mode >= 0 && mode <= 2, "split mode ", mode, " is not 0 (chunk), 1 (split) or 2 (unbind)");
    c.require(mode == 2 || arg > 0, mode == 0 ? "chunk count " : "split size ", arg, " must be positive");
    if (mode == 2) {
      c.require(static_cast<std::int64_t>(k) == n, "unbind into ", k, " outputs, but the dim has size ", n);
      return std::vector<std::int64_t>(k, -1);
    }
    const std::int64_t size = mode == 0 ? (n + arg - 1) / arg : arg;
    for (std::int64_t at = 0; at < n; at += size) r.push_back(std::min(size, n - at));
    c.require(r.size() == k, "splits a dim of size ", n, " into ", r.size(), " pieces, but the graph expects ", k);
    return r;
  }
};

}  // namespace cactus::ops
