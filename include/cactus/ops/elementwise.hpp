#pragma once
// Broadcasting machinery shared by the elementwise ops: operands are tensors or plan-time
// numbers; f32 rows go to the SIMD kernels, everything else through a typed scalar loop.
#include <cmath>
#include <functional>

#include "cactus/kernels/dispatch.hpp"
#include "cactus/ops/op.hpp"

namespace cactus::ops {

// A read-only operand of an elementwise op: a tensor with broadcast strides, or a number.
struct operand {
  const void* data = nullptr;
  dtype type = dtype::f32;
  std::vector<std::int64_t> strides;  // relative to the output shape
  double scalar = 0;
  bool is_scalar = false;
  float scalar_f32 = 0;

  double at(std::int64_t off) const {
    if (is_scalar) return scalar;
    switch (type) {
      case dtype::f32: return static_cast<const float*>(data)[off];
      case dtype::f16: return f16_to_f32(static_cast<const std::uint16_t*>(data)[off]);
      case dtype::i64: return static_cast<double>(static_cast<const std::int64_t*>(data)[off]);
      case dtype::i32: return static_cast<const std::int32_t*>(data)[off];
      case dtype::i8: return static_cast<const std::int8_t*>(data)[off];
      default: return static_cast<const std::uint8_t*>(data)[off];
    }
  }
};

inline operand make_operand(const slot& s, const shape_t& out) {
  operand o;
  if (s.is_tensor()) {
    o.data = s.data;
    o.type = s.type;
    o.strides = broadcast_strides(s.shape, out);
  } else {
    o.is_scalar = true;
    o.scalar = s.m.as_double();
    o.scalar_f32 = static_cast<float>(o.scalar);
    o.strides.assign(out.size(), 0);
  }
  return o;
}

inline void store_as(void* dst, dtype t, std::int64_t i, double v) {
  switch (t) {
    case dtype::f32: static_cast<float*>(dst)[i] = static_cast<float>(v); break;
    case dtype::f16: static_cast<std::uint16_t*>(dst)[i] = f32_to_f16(static_cast<float>(v)); break;
    case dtype::i64: static_cast<std::int64_t*>(dst)[i] = static_cast<std::int64_t>(v); break;
    case dtype::i32: static_cast<std::int32_t*>(dst)[i] = static_cast<std::int32_t>(v); break;
    case dtype::i8: static_cast<std::int8_t*>(dst)[i] = static_cast<std::int8_t>(v); break;
    case dtype::u8: static_cast<std::uint8_t*>(dst)[i] = static_cast<std::uint8_t>(v); break;
    case dtype::b8: static_cast<std::uint8_t*>(dst)[i] = v != 0; break;
    default: fail("cannot store elements into a ", name_of(t), " tensor (packed weights are written by quant::pack)");
  }
}

// out[idx] = f(ops[0][idx], ops[1][idx], ...) over the output shape, any dtypes.
template <class F>
void map_scalar(const shape_t& out_shape, void* out, dtype out_type, const std::vector<operand>& ops, F&& f) {
  const std::int64_t n = numel(out_shape);
  const std::size_t rank = out_shape.size();
  std::vector<std::int64_t> idx(rank, 0), off(ops.size(), 0);
  double args[4];
  for (std::int64_t i = 0; i < n; ++i) {
    for (std::size_t k = 0; k < ops.size(); ++k) args[k] = ops[k].at(off[k]);
    store_as(out, out_type, i, f(args));
    for (std::size_t ax = rank; ax-- > 0;) {
      ++idx[ax];
      for (std::size_t k = 0; k < ops.size(); ++k) off[k] += ops[k].strides[ax];
      if (idx[ax] < out_shape[ax]) break;
      for (std::size_t k = 0; k < ops.size(); ++k) off[k] -= ops[k].strides[ax] * out_shape[ax];
      idx[ax] = 0;
    }
  }
}

// f32 binary op over broadcast operands: contiguous or scalar inner rows go to SIMD.
inline void binary_f32(kernels::binary_kind k, const operand& a, const operand& b, const shape_t& out_shape, float* y) {
  const std::int64_t n = numel(out_shape);
  if (n == 0) return;
  // Coalesce dims so the inner row is as long as possible.
  shape_t shp;
  std::vector<std::int64_t> sa, sb;
  for (std::size_t i = 0; i < out_shape.size(); ++i) {
    if (out_shape[i] == 1) continue;
    if (!shp.empty() && sa.back() == a.strides[i] * out_shape[i] && sb.back() == b.strides[i] * out_shape[i]) {
      shp.back() *= out_shape[i];
      sa.back() = a.strides[i];
      sb.back() = b.strides[i];
    } else {
      shp.push_back(out_shape[i]);
      sa.push_back(a.strides[i]);
      sb.push_back(b.strides[i]);
    }
  }
  if (shp.empty()) { shp.push_back(1); sa.push_back(0); sb.push_back(0); }
  const std::size_t r = shp.size();
  const std::int64_t inner = shp[r - 1];
  const auto* pa = a.is_scalar ? &a.scalar_f32 : static_cast<const float*>(a.data);
  const auto* pb = b.is_scalar ? &b.scalar_f32 : static_cast<const float*>(b.data);
  if (sa[r - 1] > 1 || sb[r - 1] > 1) {
    map_scalar(out_shape, y, dtype::f32, {a, b}, [k](const double* v) {
      switch (k) {
        case kernels::binary_kind::add: return v[0] + v[1];
        case kernels::binary_kind::sub: return v[0] - v[1];
        case kernels::binary_kind::mul: return v[0] * v[1];
        case kernels::binary_kind::div: return v[0] / v[1];
        case kernels::binary_kind::max: return std::max(v[0], v[1]);
        case kernels::binary_kind::min: return std::min(v[0], v[1]);
        case kernels::binary_kind::pow: return std::pow(v[0], v[1]);
      }
      return 0.0;
    });
    return;
  }
  if (r == 1) {
    kernels::binary(k, pa, static_cast<std::size_t>(sa[0]), pb, static_cast<std::size_t>(sb[0]), y, static_cast<std::size_t>(inner));
    return;
  }
  std::vector<std::int64_t> idx(r - 1, 0);
  std::int64_t oa = 0, ob = 0;
  for (std::int64_t o = 0; o < n; o += inner) {
    kernels::binary(k, pa + oa, static_cast<std::size_t>(sa[r - 1]), pb + ob, static_cast<std::size_t>(sb[r - 1]), y + o,
                    static_cast<std::size_t>(inner));
    for (std::size_t ax = r - 1; ax-- > 0;) {
      ++idx[ax];
      oa += sa[ax];
      ob += sb[ax];
      if (idx[ax] < shp[ax]) break;
      oa -= sa[ax] * shp[ax];
      ob -= sb[ax] * shp[ax];
      idx[ax] = 0;
    }
  }
}

inline dtype promote(const slot& a, const slot& b) {
  auto rank = [](const slot& s) {
    if (!s.is_tensor()) return s.k == kind::float_ ? 3 : 0;  // Python numbers do not widen int tensors
    return s.type == dtype::f32 || s.type == dtype::f16 ? 3 : s.type == dtype::i64 ? 2 : s.type == dtype::b8 ? 0 : 1;
  };
  int r = std::max(rank(a), rank(b));
  if (r == 3) return dtype::f32;
  if (!a.is_tensor() && !b.is_tensor()) return dtype::i64;
  const slot& t = a.is_tensor() ? a : b;
  if (r == 0) return (a.is_tensor() && b.is_tensor()) ? dtype::b8 : (t.type == dtype::b8 && (a.k == kind::int_ || b.k == kind::int_) ? dtype::i64 : t.type);
  return r == 2 ? dtype::i64 : t.type;
}

inline shape_t out_shape_of(const context& c, std::size_t n) {
  shape_t out;
  bool any = false;
  for (std::size_t i = 0; i < n; ++i) {
    const slot& s = c.in(i);
    if (!s.is_tensor()) continue;
    out = any ? broadcast_shapes(out, s.shape) : s.shape;
    any = true;
  }
  return out;
}

}  // namespace cactus::ops
