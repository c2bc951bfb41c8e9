#pragma once
// The contract between an op and the runtime. An op is a struct with
//   static constexpr std::string_view name;                      canonical name (front ends map
//                                  their spellings to it: frontends/aten/op_table.hpp)
//   static constexpr arity inputs;  how many inputs a node of it may have (ir::verify checks)
//   static void infer(context&);   output kinds, dtypes, shapes (or meta values) from the inputs
//   static void run(context&);     the computation (absent for meta-only and view ops)
//   static constexpr bool view;    optional: output 0 aliases input 0's bytes (reshape & co.)
//   static constexpr bool f16_weights; optional: accepts f16 constant weights directly
//   static constexpr std::uint32_t packed_inputs; optional: bit k set = input k may be a q8 / CQ constant, read directly
//   static constexpr bool commutative; optional: inputs 0 and 1 may be swapped (the pattern matcher tries both orders)
//   static constexpr arity outputs; optional: how many outputs (exactly one when absent)
//   static constexpr dims_rule fixed_dims; optional: how the dims the model fixes pass through
//                                  it (passes/static_dims.hpp; none when absent)
// infer runs at plan time, when input shapes are known; run runs every execution.
#include <algorithm>
#include <array>
#include <limits>
#include <memory>
#include <span>
#include <string_view>
#include <vector>

#include "cactus/core/tensor.hpp"
#include "cactus/ir/value.hpp"

namespace cactus::ops {

using ir::kind;
using ir::meta;

// How many inputs (or outputs) a node of an op may have: from `min` to `max`. An op taken from
// ATen admits the argument lists of each spelling it takes (TorchScript and torch.export give
// every schema argument, so overloads differ in their trailing arguments); a list op admits any
// number (`variadic`).
inline constexpr std::size_t variadic = std::numeric_limits<std::size_t>::max();
struct arity {
  std::size_t min, max;
  constexpr arity(std::size_t n) : min(n), max(n) {}  // NOLINT: `inputs = 2` reads as "exactly 2"
  constexpr arity(std::size_t lo, std::size_t hi) : min(lo), max(hi) {}
  constexpr bool admits(std::size_t n) const { return n >= min && n <= max; }
  // "1", "2 to 3", "2 or more", for messages
  std::string text() const {
    if (min == max) return std::to_string(min);
    return std::to_string(min) + (max == variadic ? " or more" : " to " + std::to_string(max));
  }
};

// Which output dims of a node are fixed by the model (weights, literal sizes) rather than by the
// graph inputs, from which of its inputs' dims are (passes/static_dims.hpp applies the rule).
enum class dims_rule {
  none,        // no output dim is known to be fixed
  shape_read,  // size / dim / numel: read dims; become constants when those dims are fixed
  same,        // output 0 has input 0's shape (element-wise and row-wise ops)
  broadcast,   // a dim some operand fixes at the output's size (the others match it or are 1)
  linear,      // as input 0, and the last dim (the weight's rows)
  permute,     // input 0's dims, permuted by the constant permutation
  reshape,     // the literal sizes
  expand,      // the literal sizes, and input 0's dims where the size is -1
  unsqueeze,   // input 0's dims and the new dim of size 1
  select,      // input 0's dims but the selected one
  reduce,      // input 0's kept dims; reduced dims kept as size 1 are fixed
  flatten,     // input 0's dims outside the range; the flattened one when all of the range are
  embedding,   // the ids' dims, and the last (the table's width)
  conv,        // the batch as input 0's, the channels (the weight's)
  matmul,      // rows as input 0's, columns as input 1's
};

// A value at plan and run time: a tensor (dtype, shape, bytes) or a meta value.
struct slot {
  kind k = kind::tensor;
  dtype type = dtype::f32;
  shape_t shape;
  meta m;
  void* data = nullptr;
  bool is_const = false;
  std::shared_ptr<void> owner;  // keeps constant bytes alive (mmap or heap)

  bool is_tensor() const { return k == kind::tensor; }
  std::int64_t numel() const { return cactus::numel(shape); }
  std::size_t bytes() const { return storage_bytes(type, shape); }
  template <class T> T* ptr() const { return static_cast<T*>(data); }
  tensor view() const { return tensor::view(type, shape, data, owner); }
};

// The slot an IR value starts as before planning: meta constants and in-memory tensor
// constants with their data, a bound weight with its dtype and shape only (its bytes come at
// load), anything else empty.
inline slot slot_of(const ir::value& v) {
  slot s;
  s.k = v.k;
  if (v.constant) {
    s.m = *v.constant;
    s.k = v.constant->k;
    s.is_const = true;
  }
  if (v.is_tensor() && v.data) {
    s.type = v.data->type;
    s.shape = v.data->shape;
    s.data = v.data->data;
    s.owner = v.data->owner;
    s.is_const = true;
  } else if (v.is_tensor() && !v.weight.empty()) {
    s.type = v.type;
    s.shape = v.shape;
  }
  return s;
}

class context {
 public:
  context(std::span<slot* const> in, std::span<slot* const> out, std::string_view op, std::string_view loc, std::shared_ptr<void>* prepared = nullptr,
          int choice = -1)
      : in_(in), out_(out), op_(op), loc_(loc), prepared_(prepared), choice_(choice) {}

  std::size_t num_inputs() const { return in_.size(); }
  std::size_t num_outputs() const { return out_.size(); }
  const slot& in(std::size_t i) const {
    if (i >= in_.size()) fail("expects at least ", i + 1, " inputs, got ", in_.size());
    return *in_[i];
  }
  slot& out(std::size_t i) const {
    if (i >= out_.size()) fail("expects at least ", i + 1, " outputs, got ", out_.size());
    return *out_[i];
  }
  bool is_none(std::size_t i) const { return i >= in_.size() || in_[i]->k == kind::none; }

  const slot& tensor_in(std::size_t i) const {
    const slot& s = in(i);
    if (!s.is_tensor()) fail("input ", i, " must be a tensor, got ", ir::kind_name(s.k));
    return s;
  }
  const slot& f32_in(std::size_t i) const {
    const slot& s = tensor_in(i);
    if (s.type != dtype::f32) fail("input ", i, " must be f32, got ", name_of(s.type));
    return s;
  }
  std::int64_t int_at(std::size_t i) const {
    const slot& s = in(i);
    if (s.k == kind::int_ || s.k == kind::bool_) return s.m.i;
    if (s.k == kind::float_) return static_cast<std::int64_t>(s.m.f);
    if (s.k == kind::ints && s.m.ints.size() == 1) return s.m.ints[0];
    fail("input ", i, " must be an int known at plan time, got ", ir::kind_name(s.k));
  }
  double num_at(std::size_t i) const {
    const slot& s = in(i);
    if (s.k == kind::int_ || s.k == kind::bool_ || s.k == kind::float_) return s.m.as_double();
    fail("input ", i, " must be a number known at plan time, got ", ir::kind_name(s.k));
  }
  bool bool_at(std::size_t i) const { return int_at(i) != 0; }
  std::vector<std::int64_t> ints_at(std::size_t i) const {
    const slot& s = in(i);
    if (s.k == kind::ints) return s.m.ints;
    if (s.k == kind::int_) return {s.m.i};
    fail("input ", i, " must be an int list known at plan time, got ", ir::kind_name(s.k));
  }
  std::string string_at(std::size_t i) const {
    const slot& s = in(i);
    if (s.k == kind::string) return s.m.s;
    fail("input ", i, " must be a string, got ", ir::kind_name(s.k));
  }

  void set_tensor(std::size_t i, dtype t, shape_t s) const {
    slot& o = out(i);
    o.k = kind::tensor;
    o.type = t;
    o.shape = std::move(s);
  }
  void set_meta(std::size_t i, meta m) const {
    slot& o = out(i);
    o.k = m.k;
    o.m = std::move(m);
  }

  // What a node derives once from a constant input and keeps for its later runs (a kernel
  // repacked for its GEMM): make() builds it the first time, and again if `key` (the input's
  // data) changed. Outside an interpreter (a context made by hand) it is built for this call only.
  template <class T, class Make>
  std::shared_ptr<const T> prepared(const void* key, Make&& make) const {
    struct held {
      const void* key;
      std::shared_ptr<const T> value;
    };
    if (prepared_ && *prepared_) {
      const auto* h = static_cast<const held*>(prepared_->get());
      if (h->key == key) return h->value;
    }
    auto value = std::make_shared<const T>(make());
    if (prepared_) *prepared_ = std::make_shared<held>(held{key, value});
    return value;
  }

  // The kernel path the planner chose for this node (the op's choose(), run once per plan with
  // the node's shapes; see ops/registry.hpp), or choose() now where no planner chose: a context
  // made by hand, or a node folded at plan time.
  template <class Choose>
  int kernel_choice(Choose&& choose) const {
    return choice_ >= 0 ? choice_ : choose(*this);
  }

  template <class... Args>
  [[noreturn]] void fail(Args&&... args) const {
    cactus::fail(std::forward<Args>(args)...);  // the planner adds the node, op and source line
  }
  template <class... Args>
  void require(bool ok, Args&&... args) const {
    if (!ok) fail(std::forward<Args>(args)...);
  }

 private:
  std::span<slot* const> in_, out_;
  std::string_view op_, loc_;
  std::shared_ptr<void>* prepared_;
  int choice_;
};

namespace detail {
// PyTorch accepts `3` for `(3, 3)` in kernel/stride/padding arguments.
inline std::vector<std::int64_t> expand_arg(std::vector<std::int64_t> v, std::size_t n) {
  if (v.size() == 1 && n == 2) v.push_back(v[0]);
  return v;
}

// Sliding windows (conv, pooling): the output columns [lo, hi) of `out_len` whose input index
// o*stride + off falls inside [0, in_len). `off` is the tap's offset, j*dilation - padding.
struct column_range {
  std::int64_t lo, hi;
};
inline column_range tap_columns(std::int64_t off, std::int64_t stride, std::int64_t in_len, std::int64_t out_len) {
  const std::int64_t hi = in_len - off <= 0 ? 0 : std::min<std::int64_t>(out_len, (in_len - off + stride - 1) / stride);
  const std::int64_t lo = off >= 0 ? 0 : (-off + stride - 1) / stride;
  return {std::min(lo, hi), hi};
}
}  // namespace detail

// Row-major strides of a shape.
inline std::vector<std::int64_t> strides_of(const shape_t& s) {
  std::vector<std::int64_t> st(s.size());
  std::int64_t acc = 1;
  for (std::size_t i = s.size(); i-- > 0;) { st[i] = acc; acc *= s[i]; }
  return st;
}

// dst[idx] = src[sum(idx_d * src_strides_d)] for every index of `shape`, elements of `esize`
// bytes. The generic mover behind permute, slice, expand, cat and broadcasting.
inline void copy_strided(const void* src, const std::vector<std::int64_t>& src_strides, void* dst,
                         const shape_t& shape, std::size_t esize) {
  const std::int64_t n = numel(shape);
  if (n == 0) return;
  const std::size_t rank = shape.size();
  auto* d = static_cast<unsigned char*>(dst);
  auto* s = static_cast<const unsigned char*>(src);
  if (rank == 0) { std::memcpy(d, s, esize); return; }
  const std::int64_t inner = shape[rank - 1], istr = src_strides[rank - 1];
  std::vector<std::int64_t> idx(rank, 0);
  std::int64_t off = 0;
  for (std::int64_t o = 0; o < n; o += inner) {
    if (istr == 1) {
      std::memcpy(d, s + off * static_cast<std::int64_t>(esize), static_cast<std::size_t>(inner) * esize);
    } else {
      for (std::int64_t j = 0; j < inner; ++j) std::memcpy(d + j * static_cast<std::int64_t>(esize), s + (off + j * istr) * static_cast<std::int64_t>(esize), esize);
    }
    d += inner * static_cast<std::int64_t>(esize);
    for (std::size_t ax = rank - 1; ax-- > 0;) {
      ++idx[ax];
      off += src_strides[ax];
      if (idx[ax] < shape[ax]) break;
      off -= src_strides[ax] * shape[ax];
      idx[ax] = 0;
    }
  }
}

}  // namespace cactus::ops
