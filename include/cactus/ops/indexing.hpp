#pragma once
// Ops that read or write a tensor at positions held in an index tensor (int64 or int32), along
// one dim: index_select picks whole slices, gather reads one element per index, scatter and
// scatter_add write one; and advanced indexing over several dims, index (x[i, j]) and
// index_put (x[i, j] = v). Every index is range-checked against the dim it addresses (PyTorch's
// negative indices count from the end for index_select only, as in PyTorch); a bad index is an
// error that names it and its position, never an out-of-bounds access. Any element type: data
// is moved as bytes, and only scatter_add does arithmetic.
#include <algorithm>
#include <cstring>

#include "cactus/ops/elementwise.hpp"
#include "cactus/ops/op.hpp"

namespace cactus::ops {

namespace detail {
// x viewed as [outer, n, inner] around dim d.
struct around_dim {
  std::int64_t outer = 1, n = 1, inner = 1;
};
inline around_dim split_around(const shape_t& s, std::size_t d) {
  around_dim a;
  for (std::size_t i = 0; i < d; ++i) a.outer *= s[i];
  a.n = s.empty() ? 1 : s[d];
  for (std::size_t i = d + 1; i < s.size(); ++i) a.inner *= s[i];
  return a;
}

inline const slot& index_in(const context& c, std::size_t i) {
  const slot& ix = c.tensor_in(i);
  c.require(ix.type == dtype::i64 || ix.type == dtype::i32, "index must be int64 or int32, got ", name_of(ix.type));
  return ix;
}
inline std::int64_t index_at(const slot& ix, std::int64_t i) {
  return ix.type == dtype::i64 ? ix.ptr<std::int64_t>()[i] : ix.ptr<std::int32_t>()[i];
}

// The dim argument at input `arg` for a tensor of x's rank (a 0-d tensor has one dim of size 1).
inline std::size_t dim_arg(const context& c, std::size_t arg, const slot& x) {
  return static_cast<std::size_t>(wrap_dim(c.int_at(arg), static_cast<std::int64_t>(x.shape.size())));
}

// gather / scatter address x through an index of the same rank: every dim but d must fit
// inside x's (and inside src's for scatter).
inline void check_index_rank(const context& c, const slot& x, const slot& ix, std::size_t d, const char* what) {
  const std::size_t r = std::max<std::size_t>(x.shape.size(), 1);
  c.require(std::max<std::size_t>(ix.shape.size(), 1) == r, what, ": index has rank ", ix.shape.size(), ", the tensor has rank ",
            x.shape.size());
  for (std::size_t i = 0; i < ix.shape.size() && !x.shape.empty(); ++i)
    c.require(i == d || ix.shape[i] <= x.shape[i], what, ": index of shape ", to_string(ix.shape), " is larger than ",
              to_string(x.shape), " at dim ", i);
}

// Visits every position of `shape`, giving the multi-index's offset in `shape` (row-major) and
// in a tensor of shape `other` of the same rank (whose dims are at least as large).
template <class F>
void for_each_position(const shape_t& shape, const shape_t& other, F&& f) {
  const std::int64_t n = numel(shape);
  const std::size_t r = shape.size();
  const auto ost = strides_of(other);
  std::vector<std::int64_t> idx(r, 0);
  std::int64_t off = 0;
  for (std::int64_t i = 0; i < n; ++i) {
    f(i, off, idx);
    for (std::size_t ax = r; ax-- > 0;) {
      ++idx[ax];
      off += ost[ax];
      if (idx[ax] < shape[ax]) break;
      off -= ost[ax] * shape[ax];
      idx[ax] = 0;
    }
  }
}
}  // namespace detail

// index_select(x, dim, index[k]) -> x with dim d replaced by k: slice index[j] of x at j.
struct index_select_op {
  static constexpr std::string_view name = "index_select";
  static constexpr arity inputs{3};
  static void infer(context& c) {
    const slot& x = c.tensor_in(0);
    const slot& ix = detail::index_in(c, 2);
    c.require(ix.shape.size() <= 1, "index must be 0-d or 1-d, got ", to_string(ix.shape));
    shape_t s = x.shape;
    if (!s.empty()) s[detail::dim_arg(c, 1, x)] = ix.numel();
    c.set_tensor(0, x.type, s);
  }
  static void run(context& c) {
    const slot& x = c.in(0);
    const slot& ix = c.in(2);
    const auto a = detail::split_around(x.shape, x.shape.empty() ? 0 : detail::dim_arg(c, 1, x));
    const std::int64_t k = ix.numel();
    const std::size_t row = static_cast<std::size_t>(a.inner) * size_of(x.type);
    const auto* src = static_cast<const std::byte*>(x.data);
    auto* dst = static_cast<std::byte*>(c.out(0).data);
    for (std::int64_t j = 0; j < k; ++j) {
      std::int64_t at = detail::index_at(ix, j);
      c.require(at >= -a.n && at < a.n, "index ", at, " at position ", j, " is out of range for a dim of size ", a.n);
      if (at < 0) at += a.n;
      for (std::int64_t o = 0; o < a.outer; ++o)
        std::memcpy(dst + static_cast<std::size_t>(o * k + j) * row, src + static_cast<std::size_t>(o * a.n + at) * row, row);
    }
  }
};

// gather(x, dim, index, sparse_grad?) -> index's shape: out[..i..] = x[..index[..i..] at dim..].
struct gather_op {
  static constexpr std::string_view name = "gather";
  static constexpr arity inputs{3, 4};
  static void infer(context& c) {
    const slot& x = c.tensor_in(0);
    const slot& ix = detail::index_in(c, 2);
    detail::check_index_rank(c, x, ix, detail::dim_arg(c, 1, x), "gather");
    c.set_tensor(0, x.type, ix.shape);
  }
  static void run(context& c) {
    const slot& x = c.in(0);
    const slot& ix = c.in(2);
    const std::size_t d = detail::dim_arg(c, 1, x);
    const std::int64_t n = x.shape.empty() ? 1 : x.shape[d], step = x.shape.empty() ? 0 : strides_of(x.shape)[d];
    const std::size_t es = size_of(x.type);
    const auto* src = static_cast<const std::byte*>(x.data);
    auto* dst = static_cast<std::byte*>(c.out(0).data);
    detail::for_each_position(ix.shape, x.shape.empty() ? ix.shape : x.shape, [&](std::int64_t i, std::int64_t off, const auto& idx) {
      const std::int64_t at = detail::index_at(ix, i);
      c.require(at >= 0 && at < n, "gather: index ", at, " at ", to_string(idx), " is out of range for a dim of size ", n);
      const std::int64_t from = off + (at - (idx.empty() ? 0 : idx[d])) * step;
      std::memcpy(dst + static_cast<std::size_t>(i) * es, src + static_cast<std::size_t>(from) * es, es);
    });
  }
};

// scatter(x, dim, index, src or value) / scatter_add(x, dim, index, src): a copy of x where, for
// every position p of index, out[p with dim d = index[p]] = src[p] (or += src[p], or = value).
// When two positions write one element, scatter keeps the last (PyTorch leaves it undefined).
struct scatter_op {
  static constexpr std::string_view name = "scatter";
  static constexpr arity inputs{4};
  static void infer(context& c) { infer_scatter(c, "scatter"); }
  static void run(context& c) { run_scatter(c, false); }

  static void infer_scatter(context& c, const char* what) {
    const slot& x = c.tensor_in(0);
    const slot& ix = detail::index_in(c, 2);
    const std::size_t d = detail::dim_arg(c, 1, x);
    detail::check_index_rank(c, x, ix, d, what);
    if (c.in(3).is_tensor()) {
      const slot& s = c.in(3);
      c.require(s.type == x.type, what, ": src is ", name_of(s.type), ", the tensor is ", name_of(x.type));
      c.require(s.shape.size() == ix.shape.size(), what, ": src has rank ", s.shape.size(), ", index has rank ", ix.shape.size());
      for (std::size_t i = 0; i < s.shape.size(); ++i)
        c.require(ix.shape[i] <= s.shape[i], what, ": index of shape ", to_string(ix.shape), " is larger than src ", to_string(s.shape));
    }
    c.set_tensor(0, x.type, x.shape);
  }
  static void run_scatter(context& c, bool add) {
    const slot& x = c.in(0);
    const slot& ix = c.in(2);
    const slot& s = c.in(3);
    slot& y = c.out(0);
    std::memcpy(y.data, x.data, x.bytes());
    const std::size_t d = detail::dim_arg(c, 1, x);
    const std::int64_t n = x.shape.empty() ? 1 : x.shape[d];
    const auto yst = strides_of(x.shape.empty() ? shape_t{1} : x.shape);
    const std::size_t es = size_of(x.type);
    const operand from = make_operand(s, s.is_tensor() ? s.shape : shape_t{});
    operand cur;  // the output as written so far (scatter_add reads it)
    cur.data = y.data;
    cur.type = y.type;
    detail::for_each_position(ix.shape, s.is_tensor() && !s.shape.empty() ? s.shape : ix.shape,
                              [&](std::int64_t i, std::int64_t soff, const auto& idx) {
      const std::int64_t at = detail::index_at(ix, i);
      c.require(at >= 0 && at < n, "index ", at, " at ", to_string(idx), " is out of range for a dim of size ", n);
      std::int64_t to = 0;
      for (std::size_t ax = 0; ax < idx.size(); ++ax) to += (ax == d ? at : idx[ax]) * yst[ax];
      if (s.is_tensor() && !add) {
        std::memcpy(static_cast<std::byte*>(y.data) + static_cast<std::size_t>(to) * es,
                    static_cast<const std::byte*>(s.data) + static_cast<std::size_t>(soff) * es, es);
      } else {
        const double v = s.is_tensor() ? from.at(soff) : from.scalar;
        store_as(y.data, y.type, to, add ? cur.at(to) + v : v);
      }
    });
  }
};

struct scatter_add_op {
  static constexpr std::string_view name = "scatter_add";
  static constexpr arity inputs{4};
  static void infer(context& c) {
    c.require(c.in(3).is_tensor(), "scatter_add needs a src tensor");
    scatter_op::infer_scatter(c, "scatter_add");
  }
  static void run(context& c) { scatter_op::run_scatter(c, true); }
};

// index_add(x, dim, index[k], source, alpha=1): x, with alpha * slice j of source added into
// slice index[j] of x along dim (repeated indices accumulate, in index order).
struct index_add_op {
  static constexpr std::string_view name = "index_add";
  static constexpr arity inputs{4, 5};
  static void infer(context& c) {
    const slot& x = c.tensor_in(0);
    const slot& ix = detail::index_in(c, 2);
    const slot& s = c.tensor_in(3);
    c.require(ix.shape.size() <= 1, "index_add: index must be 0-d or 1-d, got ", to_string(ix.shape));
    c.require(s.type == x.type, "index_add: source is ", name_of(s.type), ", the tensor is ", name_of(x.type));
    shape_t want = x.shape;
    if (!want.empty()) want[detail::dim_arg(c, 1, x)] = ix.numel();
    c.require(numel(s.shape) == numel(want) && (s.shape.empty() ? want.size() <= 1 : s.shape == want), "index_add: source ",
              to_string(s.shape), " must be ", to_string(want), " for ", ix.numel(), " indices into ", to_string(x.shape));
    c.set_tensor(0, x.type, x.shape);
  }
  static void run(context& c) {
    const slot& x = c.in(0);
    const slot& ix = c.in(2);
    const slot& s = c.in(3);
    slot& y = c.out(0);
    std::memcpy(y.data, x.data, x.bytes());
    const double alpha = c.num_inputs() > 4 && !c.is_none(4) ? c.num_at(4) : 1.0;
    const auto a = detail::split_around(x.shape, x.shape.empty() ? 0 : detail::dim_arg(c, 1, x));
    const std::int64_t k = ix.numel();
    const operand from = make_operand(s, s.shape);
    operand cur;
    cur.data = y.data;
    cur.type = y.type;
    for (std::int64_t j = 0; j < k; ++j) {
      std::int64_t at = detail::index_at(ix, j);
      c.require(at >= -a.n && at < a.n, "index_add: index ", at, " at position ", j, " is out of range for a dim of size ", a.n);
      if (at < 0) at += a.n;
      for (std::int64_t o = 0; o < a.outer; ++o)
        for (std::int64_t i = 0; i < a.inner; ++i) {
          const std::int64_t to = (o * a.n + at) * a.inner + i;
          store_as(y.data, y.type, to, cur.at(to) + alpha * from.at((o * k + j) * a.inner + i));
        }
    }
  }
};

// one_hot(index, num_classes) -> int64 [..., num_classes]: 1 where the last position equals the
// index. num_classes must be given (-1, "the largest index + 1", depends on the data).
struct one_hot_op {
  static constexpr std::string_view name = "one_hot";
  static constexpr arity inputs{2};
  static void infer(context& c) {
    const slot& ix = detail::index_in(c, 0);
    const std::int64_t n = c.int_at(1);
    c.require(n >= 0, "one_hot: num_classes must be given (-1 takes the largest index + 1, which depends on the data)");
    shape_t s = ix.shape;
    s.push_back(n);
    c.set_tensor(0, dtype::i64, s);
  }
  static void run(context& c) {
    const slot& ix = c.in(0);
    const std::int64_t n = c.int_at(1), k = ix.numel();
    auto* y = c.out(0).ptr<std::int64_t>();
    std::fill(y, y + k * n, std::int64_t{0});
    for (std::int64_t j = 0; j < k; ++j) {
      const std::int64_t at = detail::index_at(ix, j);
      c.require(at >= 0 && at < n, "one_hot: index ", at, " at position ", j, " is out of range for ", n, " classes");
      y[j * n + at] = 1;
    }
  }
};

// masked_scatter(x, mask, source): x where the mask (broadcast to x) is false; where it is true,
// the next element of source, taken in row-major order.
struct masked_scatter_op {
  static constexpr std::string_view name = "masked_scatter";
  static constexpr arity inputs{3};
  static void infer(context& c) {
    const slot& x = c.tensor_in(0);
    const slot& m = c.tensor_in(1);
    const slot& s = c.tensor_in(2);
    c.require(m.type == dtype::b8, "the mask must be bool, got ", name_of(m.type));
    c.require(s.type == x.type, "source is ", name_of(s.type), ", the tensor is ", name_of(x.type));
    c.require(broadcast_shapes(m.shape, x.shape) == x.shape, "mask ", to_string(m.shape), " does not broadcast to ", to_string(x.shape));
    c.set_tensor(0, x.type, x.shape);
  }
  static void run(context& c) {
    const slot& x = c.in(0);
    const slot& s = c.in(2);
    slot& y = c.out(0);
    const std::size_t es = size_of(x.type);
    std::memcpy(y.data, x.data, x.bytes());
    const operand m = make_operand(c.in(1), x.shape);
    std::int64_t next = 0;
    detail::for_each_position(x.shape, x.shape, [&](std::int64_t i, std::int64_t, const auto& idx) {
      std::int64_t mo = 0;
      for (std::size_t ax = 0; ax < idx.size(); ++ax) mo += idx[ax] * m.strides[ax];
      if (m.at(mo) == 0) return;
      c.require(next < s.numel(), "source has ", s.numel(), " elements, the mask selects more");
      std::memcpy(static_cast<std::byte*>(y.data) + i * static_cast<std::int64_t>(es), static_cast<const std::byte*>(s.data) + next * static_cast<std::int64_t>(es), es);
      ++next;
    });
  }
};

// scatter_reduce(x, dim, index, src, reduce, include_self): as scatter_add, with the written
// elements combined by "sum", "prod", "mean", "amax" or "amin"; include_self=False leaves x's
// value out of the elements written (the others keep it). A mean of integers rounds down, as in
// PyTorch. Accumulated in double, rounded once per element.
struct scatter_reduce_op {
  static constexpr std::string_view name = "scatter_reduce";
  static constexpr arity inputs{6};
  enum class how { sum, prod, mean, amax, amin };
  static how reduction(const context& c) {
    const std::string r = c.string_at(4);
    if (r == "sum") return how::sum;
    if (r == "prod") return how::prod;
    if (r == "mean") return how::mean;
    if (r == "amax") return how::amax;
    if (r == "amin") return how::amin;
    c.fail("reduce '", r, "' (sum, prod, mean, amax or amin)");
  }
  static void infer(context& c) {
    c.require(c.in(3).is_tensor(), "scatter_reduce needs a src tensor");
    reduction(c);
    scatter_op::infer_scatter(c, "scatter_reduce");
  }
  static void run(context& c) {
    const slot& x = c.in(0);
    const slot& ix = c.in(2);
    const slot& s = c.in(3);
    slot& y = c.out(0);
    const how r = reduction(c);
    const bool self = c.bool_at(5);
    const std::size_t d = detail::dim_arg(c, 1, x);
    const std::int64_t n = x.shape.empty() ? 1 : x.shape[d];
    const auto yst = strides_of(x.shape.empty() ? shape_t{1} : x.shape);
    const tensor xv = x.view(), sv = s.view();
    std::vector<double> acc(static_cast<std::size_t>(x.numel()));
    std::vector<std::int64_t> count(acc.size(), 0);
    for (std::size_t i = 0; i < acc.size(); ++i) acc[i] = xv.element_as_double(static_cast<std::int64_t>(i));
    detail::for_each_position(ix.shape, s.shape.empty() ? ix.shape : s.shape, [&](std::int64_t i, std::int64_t soff, const auto& idx) {
      const std::int64_t at = detail::index_at(ix, i);
      c.require(at >= 0 && at < n, "index ", at, " at ", to_string(idx), " is out of range for a dim of size ", n);
      std::int64_t to = 0;
      for (std::size_t ax = 0; ax < idx.size(); ++ax) to += (ax == d ? at : idx[ax]) * yst[ax];
      const auto t = static_cast<std::size_t>(to);
      const double v = sv.element_as_double(soff);
      if (count[t]++ == 0 && !self) { acc[t] = v; return; }
      switch (r) {
        case how::sum: case how::mean: acc[t] += v; break;
        case how::prod: acc[t] *= v; break;
        case how::amax: acc[t] = std::isnan(acc[t]) || acc[t] >= v ? acc[t] : v; break;
        case how::amin: acc[t] = std::isnan(acc[t]) || acc[t] <= v ? acc[t] : v; break;
      }
    });
    for (std::size_t i = 0; i < acc.size(); ++i) {
      double v = acc[i];
      if (r == how::mean && count[i] > 0) {
        v /= static_cast<double>(count[i] + (self ? 1 : 0));
        if (!is_floating(y.type)) v = std::floor(v);
      }
      store_as(y.data, y.type, static_cast<std::int64_t>(i), v);
    }
  }
};

namespace detail {
// Advanced indexing, x[i0, i1, ...] with index tensors (None: the whole dim): the index tensors
// broadcast together to B; the result has B's dims where the indexed dims were when those are
// adjacent, and first otherwise (NumPy's rule), and every dim no index names, in order.
struct advanced_index {
  shape_t result;                      // x[indices]'s shape
  std::vector<std::size_t> indexed;    // the dims of x an index tensor addresses
  std::vector<const slot*> index;      // ... and those tensors
  std::vector<std::vector<std::int64_t>> index_strides;  // each index's strides within B
  shape_t b;                           // the broadcast index shape
  std::size_t b_at = 0;                // where B's dims start in the result
  std::vector<std::size_t> sliced;     // the other dims of x, in the result's order around B

  advanced_index(const context& c, const slot& x, std::size_t first, std::size_t count) {
    c.require(count <= x.shape.size(), "indexes ", count, " dims of a tensor of rank ", x.shape.size());
    for (std::size_t k = 0; k < count; ++k) {
      const slot& ix = c.in(first + k);
      if (!ix.is_tensor()) continue;
      c.require(ix.type != dtype::b8 && ix.type != dtype::u8,
                "a boolean mask index gives a result whose shape depends on the data (as nonzero does); index with integer tensors");
      c.require(ix.type == dtype::i64 || ix.type == dtype::i32, "index ", k, " must be int64 or int32, got ", name_of(ix.type));
      indexed.push_back(k);
      index.push_back(&ix);
      b = broadcast_shapes(b, ix.shape);
    }
    c.require(!indexed.empty(), "index needs at least one index tensor");
    const bool adjacent = indexed.back() - indexed.front() + 1 == indexed.size();
    for (std::size_t d = 0; d < x.shape.size(); ++d) {
      if (std::find(indexed.begin(), indexed.end(), d) != indexed.end()) continue;
      if (adjacent && d < indexed.front()) ++b_at;
      sliced.push_back(d);
    }
    for (const slot* ix : index) index_strides.push_back(broadcast_strides(ix->shape, b));
    for (std::size_t i = 0; i < b_at; ++i) result.push_back(x.shape[sliced[i]]);
    result.insert(result.end(), b.begin(), b.end());
    for (std::size_t i = b_at; i < sliced.size(); ++i) result.push_back(x.shape[sliced[i]]);
  }

  // f(i, off): for every position i of the result (row-major), the offset of the element of x
  // it names; every index is range-checked (negative ones count from the end)
  template <class F>
  void for_each(const context& c, const slot& x, F&& f) const {
    const auto st = strides_of(x.shape);
    const std::size_t r = result.size(), nb = b.size();
    std::vector<std::int64_t> idx(r, 0);
    const std::int64_t n = numel(result);
    for (std::int64_t i = 0; i < n; ++i) {
      std::int64_t off = 0;
      for (std::size_t j = 0; j < sliced.size(); ++j) off += idx[j < b_at ? j : j + nb] * st[sliced[j]];
      for (std::size_t k = 0; k < index.size(); ++k) {
        std::int64_t at_b = 0;
        for (std::size_t j = 0; j < nb; ++j) at_b += idx[b_at + j] * index_strides[k][j];
        std::int64_t v = index_at(*index[k], at_b);
        const std::int64_t size = x.shape[indexed[k]];
        c.require(v >= -size && v < size, "index ", v, " is out of range for dim ", indexed[k], " of size ", size);
        off += (v < 0 ? v + size : v) * st[indexed[k]];
      }
      f(i, off);
      for (std::size_t d = r; d-- > 0;) {
        if (++idx[d] < result[d]) break;
        idx[d] = 0;
      }
    }
  }
};
}  // namespace detail

// index(x, indices...) = x[i0, i1, ...]: the index list flattened into the inputs, None for a
// dim taken whole (x[:, idx] is index(x, None, idx)).
struct index_op {
  static constexpr std::string_view name = "index";
  static constexpr arity inputs{2, variadic};
  static void infer(context& c) {
    const slot& x = c.tensor_in(0);
    c.set_tensor(0, x.type, detail::advanced_index(c, x, 1, c.num_inputs() - 1).result);
  }
  static void run(context& c) {
    const slot& x = c.in(0);
    const std::size_t es = size_of(x.type);
    auto* dst = static_cast<std::byte*>(c.out(0).data);
    const auto* src = static_cast<const std::byte*>(x.data);
    detail::advanced_index(c, x, 1, c.num_inputs() - 1).for_each(c, x, [&](std::int64_t i, std::int64_t off) {
      std::memcpy(dst + static_cast<std::size_t>(i) * es, src + static_cast<std::size_t>(off) * es, es);
    });
  }
};

// index_put(x, indices..., values, accumulate): a copy of x with x[i0, i1, ...] = values (or +=),
// values (a tensor or a number) broadcast to the indexed shape. Repeated positions: the last write wins, or all add.
struct index_put_op {
  static constexpr std::string_view name = "index_put";
  static constexpr arity inputs{4, variadic};
  static void infer(context& c) {
    const slot& x = c.tensor_in(0);
    const std::size_t n = c.num_inputs();
    const auto plan = detail::advanced_index(c, x, 1, n - 3);
    const slot& v = c.in(n - 2);
    if (v.is_tensor())
      c.require(broadcast_shapes(v.shape, plan.result) == plan.result, "values of shape ", to_string(v.shape), " do not broadcast to the indexed shape ",
              to_string(plan.result));
    c.set_tensor(0, x.type, x.shape);
  }
  static void run(context& c) {
    const slot& x = c.in(0);
    slot& y = c.out(0);
    const std::size_t n = c.num_inputs();
    const slot& v = c.in(n - 2);
    const bool add = c.bool_at(n - 1);
    std::memcpy(y.data, x.data, x.bytes());
    const auto plan = detail::advanced_index(c, x, 1, n - 3);
    const operand val = make_operand(v, plan.result);
    const auto& vst = val.strides;
    operand cur;
    cur.data = y.data;
    cur.type = y.type;
    const std::size_t r = plan.result.size();
    std::vector<std::int64_t> idx(r, 0);
    std::int64_t voff = 0;
    plan.for_each(c, x, [&](std::int64_t, std::int64_t off) {
      store_as(y.data, y.type, off, add ? cur.at(off) + val.at(voff) : val.at(voff));
      for (std::size_t d = r; d-- > 0;) {
        voff += vst[d];
        if (++idx[d] < plan.result[d]) break;
        voff -= vst[d] * plan.result[d];
        idx[d] = 0;
      }
    });
  }
};

}  // namespace cactus::ops
