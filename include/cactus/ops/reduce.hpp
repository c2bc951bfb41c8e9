#pragma once
// Reductions over a set of dims (mean, sum, amax, amin, any, all; var, std and prod) and max/min
// with their indices (argmax/argmin) along one dim. The input is
// viewed as [outer, reduced, inner] (reduced dims moved together if needed) so that the inner
// rows accumulate with SIMD adds.
#include <limits>
#include <optional>

#include "cactus/kernels/dispatch.hpp"
#include "cactus/ops/dtype_arg.hpp"
#include "cactus/ops/elementwise.hpp"
#include "cactus/ops/op.hpp"

namespace cactus::ops {

namespace detail {
enum class reduce_kind { sum, mean, max, min };

inline std::vector<std::size_t> reduce_dims(const context& c, std::size_t arg, std::size_t rank) {
  std::vector<std::size_t> dims;
  if (c.is_none(arg) || (c.in(arg).k == kind::ints && c.in(arg).m.ints.empty())) {
    for (std::size_t i = 0; i < rank; ++i) dims.push_back(i);
  } else {
    for (auto d : c.ints_at(arg)) dims.push_back(static_cast<std::size_t>(wrap_dim(d, static_cast<std::int64_t>(rank))));
    if (rank == 0) dims.clear();  // a 0-d tensor's dim 0 (or -1), as PyTorch allows: nothing to reduce over
  }
  std::sort(dims.begin(), dims.end());
  dims.erase(std::unique(dims.begin(), dims.end()), dims.end());
  return dims;
}

inline shape_t reduced_shape(const shape_t& s, const std::vector<std::size_t>& dims, bool keep) {
  shape_t out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    bool red = std::find(dims.begin(), dims.end(), i) != dims.end();
    if (!red) out.push_back(s[i]);
    else if (keep) out.push_back(1);
  }
  return out;
}

inline float reduce_init(reduce_kind k) {
  if (k == reduce_kind::max) return -std::numeric_limits<float>::infinity();
  if (k == reduce_kind::min) return std::numeric_limits<float>::infinity();
  return 0.0f;
}
// one accumulation step; max and min propagate NaN, as PyTorch's amax / amin do
inline float reduce_step(reduce_kind k, float a, float v) {
  switch (k) {
    case reduce_kind::max: return a > v || std::isnan(a) ? a : v;
    case reduce_kind::min: return a < v || std::isnan(a) ? a : v;
    default: return a + v;
  }
}

// y[outer, inner] = reduce over r of x[outer, r, inner], with the reduced dims made adjacent.
inline void reduce_f32(const slot& x, const std::vector<std::size_t>& dims, reduce_kind k, float* y) {
  const std::size_t rank = x.shape.size();
  shape_t perm_shape;
  std::vector<std::int64_t> perm_strides;
  auto st = strides_of(x.shape);
  // Layout: kept dims before the first reduced dim, reduced dims, kept dims after.
  std::size_t first = dims.empty() ? rank : dims.front();
  std::vector<std::size_t> order;
  for (std::size_t i = 0; i < first; ++i) order.push_back(i);
  for (auto d : dims) order.push_back(d);
  for (std::size_t i = first; i < rank; ++i)
    if (std::find(dims.begin(), dims.end(), i) == dims.end()) order.push_back(i);
  std::int64_t outer = 1, red = 1, inner = 1;
  for (std::size_t i = 0; i < first; ++i) outer *= x.shape[i];
  for (auto d : dims) red *= x.shape[d];
  inner = x.numel() / std::max<std::int64_t>(1, outer * red);
  const float* src = x.ptr<float>();
  std::vector<float> moved;
  bool identity = true;
  for (std::size_t i = 0; i < order.size(); ++i) identity &= order[i] == i;
  if (!identity) {
    for (auto o : order) { perm_shape.push_back(x.shape[o]); perm_strides.push_back(st[o]); }
    moved.resize(static_cast<std::size_t>(x.numel()));
    copy_strided(src, perm_strides, moved.data(), perm_shape, 4);
    src = moved.data();
  }
  if (inner == 1 && red > 0) {
    // reducing the innermost dim: each output is one contiguous row (8 partial results, so the
    // compiler can keep them in vector lanes; one kernel call per element would dominate)
    global_pool().parallel_for(static_cast<std::size_t>(outer), std::max<std::size_t>(1, 16384 / static_cast<std::size_t>(red)),
                               [&](std::size_t b, std::size_t e) {
      for (std::size_t o = b; o < e; ++o) {
        const float* xr = src + static_cast<std::int64_t>(o) * red;
        float acc[8];
        for (float& a : acc) a = reduce_init(k);
        std::int64_t r = 0;
        for (; r + 8 <= red; r += 8)
          for (int j = 0; j < 8; ++j) acc[j] = reduce_step(k, acc[j], xr[r + j]);
        for (; r < red; ++r) acc[0] = reduce_step(k, acc[0], xr[r]);
        float v = acc[0];
        for (int j = 1; j < 8; ++j) v = reduce_step(k, v, acc[j]);
        y[o] = k == reduce_kind::mean ? v / static_cast<float>(red) : v;
      }
    });
    return;
  }
  for (std::int64_t o = 0; o < outer; ++o) {
    float* yr = y + o * inner;
    const float* xr = src + o * red * inner;
    if (red == 0) {
      std::fill(yr, yr + inner, reduce_init(k));
      continue;
    }
    std::memcpy(yr, xr, static_cast<std::size_t>(inner) * 4);
    for (std::int64_t r = 1; r < red; ++r)
      kernels::binary(k == reduce_kind::max ? kernels::binary_kind::max : k == reduce_kind::min ? kernels::binary_kind::min : kernels::binary_kind::add,
                      yr, 1, xr + r * inner, 1, yr, static_cast<std::size_t>(inner));
    if (k == reduce_kind::mean) {
      const float inv = 1.0f / static_cast<float>(red);
      kernels::binary(kernels::binary_kind::mul, yr, 1, &inv, 0, yr, static_cast<std::size_t>(inner));
    }
  }
}

inline std::vector<double> reduced_rows(const slot& x, const std::vector<std::size_t>& dims, std::int64_t& red);

template <reduce_kind K>
struct reduce_body {
  // sum/mean(x, dims, keepdim, dtype); amax / amin(x, dims, keepdim). Floating inputs reduce in
  // f32; integers and booleans as PyTorch does: sum to int64 (or the dtype asked for), amax /
  // amin in their own type, exactly.
  static dtype out_type(const context& c) {
    const dtype t = c.tensor_in(0).type;
    if (K == reduce_kind::max || K == reduce_kind::min) return is_floating(t) ? dtype::f32 : t;
    if (c.num_inputs() > 3 && !c.is_none(3)) return dtype_arg(c, 3, dtype::f32);
    return is_floating(t) || K == reduce_kind::mean ? dtype::f32 : dtype::i64;
  }
  static void infer(context& c) {
    const slot& x = c.tensor_in(0);
    auto dims = reduce_dims(c, 1, x.shape.size());
    bool keep = c.num_inputs() > 2 && !c.is_none(2) && c.bool_at(2);
    c.set_tensor(0, out_type(c), reduced_shape(x.shape, dims, keep));
  }
  static void run(context& c) {
    const slot& x0 = c.tensor_in(0);
    slot& y = c.out(0);
    if (is_floating(x0.type) && y.type == dtype::f32) {
      const slot& x = c.f32_in(0);
      reduce_f32(x, reduce_dims(c, 1, x.shape.size()), K, y.ptr<float>());
      return;
    }
    std::int64_t red = 0;
    const auto rows = reduced_rows(x0, reduce_dims(c, 1, x0.shape.size()), red);
    c.require(red > 0 || (K != reduce_kind::max && K != reduce_kind::min), "amax / amin over an empty dim");
    for (std::int64_t o = 0; o < y.numel(); ++o) {
      const double* r = rows.data() + o * red;
      double v = K == reduce_kind::max || K == reduce_kind::min ? r[0] : 0.0;
      if (!is_floating(y.type)) {  // exactly, in int64
        std::int64_t a = static_cast<std::int64_t>(v);
        for (std::int64_t i = 0; i < red; ++i) {
          const auto e = static_cast<std::int64_t>(r[i]);
          a = K == reduce_kind::max ? std::max(a, e) : K == reduce_kind::min ? std::min(a, e) : a + e;
        }
        v = static_cast<double>(a);
      } else {
        for (std::int64_t i = 0; i < red; ++i) v = K == reduce_kind::max ? std::max(v, r[i]) : K == reduce_kind::min ? std::min(v, r[i]) : v + r[i];
        if (K == reduce_kind::mean) v /= static_cast<double>(std::max<std::int64_t>(red, 1));
      }
      store_as(y.data, y.type, o, v);
    }
  }
};
}  // namespace detail

struct mean_op : detail::reduce_body<detail::reduce_kind::mean> {
  static constexpr std::string_view name = "mean";
  static constexpr dims_rule fixed_dims = dims_rule::reduce;
  static constexpr arity inputs{2, 4};
};
struct sum_op : detail::reduce_body<detail::reduce_kind::sum> {
  static constexpr std::string_view name = "sum";
  static constexpr dims_rule fixed_dims = dims_rule::reduce;
  static constexpr arity inputs{1, 4};
};
struct amax_op : detail::reduce_body<detail::reduce_kind::max> {
  static constexpr std::string_view name = "amax";
  static constexpr dims_rule fixed_dims = dims_rule::reduce;
  static constexpr arity inputs{3};
};
struct amin_op : detail::reduce_body<detail::reduce_kind::min> {
  static constexpr std::string_view name = "amin";
  static constexpr dims_rule fixed_dims = dims_rule::reduce;
  static constexpr arity inputs{3};
};

namespace detail {
// x with the reduced dims moved innermost: rows of `red` elements, one row per output element
// (in the output's order), as doubles.
inline std::vector<double> reduced_rows(const slot& x, const std::vector<std::size_t>& dims, std::int64_t& red) {
  const std::size_t rank = x.shape.size();
  std::vector<std::size_t> order;
  for (std::size_t i = 0; i < rank; ++i)
    if (std::find(dims.begin(), dims.end(), i) == dims.end()) order.push_back(i);
  for (auto d : dims) order.push_back(d);
  red = 1;
  for (auto d : dims) red *= x.shape[d];
  const auto st = strides_of(x.shape);
  shape_t ps;
  std::vector<std::int64_t> pst;
  for (auto o : order) { ps.push_back(x.shape[o]); pst.push_back(st[o]); }
  std::vector<double> out(static_cast<std::size_t>(x.numel()));
  const tensor xv = x.view();
  std::vector<std::int64_t> idx(rank, 0);
  for (std::size_t i = 0; i < out.size(); ++i) {
    std::int64_t off = 0;
    for (std::size_t d = 0; d < rank; ++d) off += idx[d] * pst[d];
    out[i] = xv.element_as_double(off);
    for (std::size_t d = rank; d-- > 0;) {
      if (++idx[d] < ps[d]) break;
      idx[d] = 0;
    }
  }
  return out;
}

// var / std(x), (x, unbiased), (x, dims, unbiased | correction, keepdim): ATen's var, var.dim and
// var.correction (the third input is a bool for unbiased, a number or None for the correction).
template <bool Sqrt>
struct moments_body {
  static bool keep(const context& c) { return c.num_inputs() > 3 && c.bool_at(3); }
  static std::vector<std::size_t> dims(const context& c, std::size_t rank) {
    if (c.num_inputs() <= 2) return reduce_dims(c, 99, rank);  // every dim
    return reduce_dims(c, 1, rank);
  }
  static double correction(const context& c) {
    const std::size_t at = c.num_inputs() == 2 ? 1 : 2;
    if (c.num_inputs() == 1 || c.is_none(at)) return 1.0;
    if (c.in(at).k == kind::bool_) return c.bool_at(at) ? 1.0 : 0.0;
    return c.num_at(at);
  }
  static void infer(context& c) {
    const slot& x = c.tensor_in(0);
    c.require(is_floating(x.type), "takes floating-point tensors, got ", name_of(x.type));
    c.set_tensor(0, dtype::f32, reduced_shape(x.shape, dims(c, x.shape.size()), keep(c)));
  }
  static void run(context& c) {
    const slot& x = c.tensor_in(0);
    std::int64_t red = 0;
    const auto rows = reduced_rows(x, dims(c, x.shape.size()), red);
    const double corr = correction(c), div = std::max(0.0, static_cast<double>(red) - corr);
    slot& y = c.out(0);
    for (std::int64_t o = 0; o < y.numel(); ++o) {
      const double* r = rows.data() + o * red;
      double mean = 0, ss = 0;
      for (std::int64_t i = 0; i < red; ++i) mean += r[i];
      mean /= static_cast<double>(red);
      for (std::int64_t i = 0; i < red; ++i) ss += (r[i] - mean) * (r[i] - mean);
      const double v = ss / div;  // 0 / 0 is NaN and n / 0 infinite, as in PyTorch
      y.ptr<float>()[o] = static_cast<float>(Sqrt ? std::sqrt(v) : v);
    }
  }
};
}  // namespace detail

struct var_op : detail::moments_body<false> {
  static constexpr std::string_view name = "var";
  static constexpr dims_rule fixed_dims = dims_rule::reduce;
  static constexpr arity inputs{1, 4};
};
struct std_op : detail::moments_body<true> {
  static constexpr std::string_view name = "std";
  static constexpr dims_rule fixed_dims = dims_rule::reduce;
  static constexpr arity inputs{1, 4};
};

// prod(x, dim?, keepdim, dtype?): the product over one dim or every element (ATen's prod and
// prod.dim_int; TorchScript's prod(x, dtype) comes as (x, None, False, dtype)). Integers and bool
// multiply as int64, floats keep their type.
struct prod_op {
  static constexpr std::string_view name = "prod";
  static constexpr dims_rule fixed_dims = dims_rule::reduce;
  static constexpr arity inputs{4};
  static dtype out_type(const context& c) {
    const dtype t = c.tensor_in(0).type;
    return detail::dtype_arg(c, 3, is_floating(t) ? t : dtype::i64);
  }
  static void infer(context& c) {
    const slot& x = c.tensor_in(0);
    std::vector<std::size_t> dims = detail::reduce_dims(c, 1, x.shape.size());
    c.set_tensor(0, out_type(c), detail::reduced_shape(x.shape, dims, !c.is_none(1) && c.bool_at(2)));
  }
  static void run(context& c) {
    const slot& x = c.tensor_in(0);
    std::int64_t red = 0;
    const auto rows = detail::reduced_rows(x, detail::reduce_dims(c, 1, x.shape.size()), red);
    slot& y = c.out(0);
    const bool ints = !is_floating(y.type);
    for (std::int64_t o = 0; o < y.numel(); ++o) {
      const double* r = rows.data() + o * red;
      if (ints) {
        std::int64_t p = 1;
        for (std::int64_t i = 0; i < red; ++i) p *= static_cast<std::int64_t>(r[i]);
        store_as(y.data, y.type, o, static_cast<double>(p));
      } else {
        float p = 1.0f;  // in the element type, as PyTorch's CPU kernel
        for (std::int64_t i = 0; i < red; ++i) p *= static_cast<float>(r[i]);
        store_as(y.data, y.type, o, p);
      }
    }
  }
};

// any / all(x, dims?, keepdim) -> bool: whether any / every element over the dims is nonzero
template <bool Any>
struct truth_reduce_body {
  static void infer(context& c) {
    const slot& x = c.tensor_in(0);
    auto dims = detail::reduce_dims(c, 1, x.shape.size());
    bool keep = c.num_inputs() > 2 && !c.is_none(2) && c.bool_at(2);
    c.set_tensor(0, dtype::b8, detail::reduced_shape(x.shape, dims, keep));
  }
  static void run(context& c) {
    const slot& x = c.tensor_in(0);
    // any = max over the dims of (x != 0); all = not max of (x == 0)
    tensor flags = tensor::empty(dtype::f32, x.shape);
    const tensor xv = x.view();
    for (std::int64_t i = 0; i < x.numel(); ++i) flags.ptr<float>()[i] = (xv.element_as_double(i) != 0) == Any ? 1.0f : 0.0f;
    slot fs;
    fs.type = dtype::f32;
    fs.shape = x.shape;
    fs.data = flags.data;
    slot& y = c.out(0);
    std::vector<float> r(static_cast<std::size_t>(y.numel()));
    detail::reduce_f32(fs, detail::reduce_dims(c, 1, x.shape.size()), detail::reduce_kind::max, r.data());
    for (std::size_t i = 0; i < r.size(); ++i) y.ptr<std::uint8_t>()[i] = (r[i] > 0) == Any ? 1 : 0;
  }
};
struct any_op : truth_reduce_body<true> {
  static constexpr std::string_view name = "any";
  static constexpr arity inputs{1, 3};
};
struct all_op : truth_reduce_body<false> {
  static constexpr std::string_view name = "all";
  static constexpr arity inputs{1, 3};
};

namespace detail {
// max / min(x) -> scalar tensor; (x, dim, keepdim) -> (values, indices). NaN wins, as in PyTorch.
template <bool Largest>
struct extreme_body {
  static constexpr arity inputs{1, 3};
  static constexpr arity outputs{1, 2};
  static void infer(context& c) {
    const slot& x = c.tensor_in(0);
    if (c.num_inputs() == 1) { c.set_tensor(0, dtype::f32, {}); return; }
    c.require(!c.in(1).is_tensor(), "the elementwise form of two tensors is spelled ", Largest ? "maximum" : "minimum");
    auto d = static_cast<std::size_t>(wrap_dim(c.int_at(1), static_cast<std::int64_t>(x.shape.size())));
    auto s = detail::reduced_shape(x.shape, {d}, c.num_inputs() > 2 && c.bool_at(2));
    c.set_tensor(0, dtype::f32, s);
    if (c.num_outputs() > 1) c.set_tensor(1, dtype::i64, s);
  }
  static void run(context& c) {
    arg_reduce(c, c.num_inputs() == 1 ? std::nullopt : std::optional(c.int_at(1)), c.out(0).ptr<float>(),
               c.num_outputs() > 1 ? c.out(1).ptr<std::int64_t>() : nullptr);
  }

  // dim = nullopt reduces over every element.
  static void arg_reduce(const context& c, std::optional<std::int64_t> dim, float* vals, std::int64_t* idx) {
    const slot& x = c.f32_in(0);
    std::int64_t outer = 1, red = x.numel(), inner = 1;
    if (dim) {
      auto d = static_cast<std::size_t>(wrap_dim(*dim, static_cast<std::int64_t>(x.shape.size())));
      red = x.shape.empty() ? 1 : x.shape[d];
      for (std::size_t i = 0; i < d; ++i) outer *= x.shape[i];
      inner = x.numel() / std::max<std::int64_t>(1, outer * red);
    }
    c.require(red > 0, Largest ? "max" : "min", " of an empty dimension");
    const float* p = x.ptr<float>();
    for (std::int64_t o = 0; o < outer; ++o)
      for (std::int64_t i = 0; i < inner; ++i) {
        float best = p[o * red * inner + i];
        std::int64_t bi = 0;
        for (std::int64_t r = 1; r < red; ++r) {
          float v = p[(o * red + r) * inner + i];
          if ((Largest ? v > best : v < best) || std::isnan(v)) { best = v; bi = r; if (std::isnan(v)) break; }
        }
        if (vals) vals[o * inner + i] = best;
        if (idx) idx[o * inner + i] = bi;
      }
  }
};

template <bool Largest>
struct arg_extreme_body {
  static constexpr arity inputs{3};
  static void infer(context& c) {
    const slot& x = c.tensor_in(0);
    if (c.is_none(1)) { c.set_tensor(0, dtype::i64, {}); return; }
    auto d = static_cast<std::size_t>(wrap_dim(c.int_at(1), static_cast<std::int64_t>(x.shape.size())));
    c.set_tensor(0, dtype::i64, detail::reduced_shape(x.shape, {d}, c.num_inputs() > 2 && c.bool_at(2)));
  }
  static void run(context& c) {
    extreme_body<Largest>::arg_reduce(c, c.is_none(1) ? std::nullopt : std::optional(c.int_at(1)), nullptr, c.out(0).ptr<std::int64_t>());
  }
};
}  // namespace detail

struct max_op : detail::extreme_body<true> {
  static constexpr std::string_view name = "max";
};
struct min_op : detail::extreme_body<false> {
  static constexpr std::string_view name = "min";
};
// argmax / argmin(x, dim?, keepdim)
struct argmax_op : detail::arg_extreme_body<true> {
  static constexpr std::string_view name = "argmax";
};
struct argmin_op : detail::arg_extreme_body<false> {
  static constexpr std::string_view name = "argmin";
};

}  // namespace cactus::ops
