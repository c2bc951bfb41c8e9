#pragma once
// embedding(weight[V, D], ids) -> [*ids.shape, D]; ids are range-checked (a bad id is an
// error naming the id, never an out-of-bounds read). f16 and packed (q8 / CQ) tables are decoded
// row by row.
#include "cactus/ops/op.hpp"
#include "cactus/quant/quantize.hpp"

namespace cactus::ops {

struct embedding_op {
  static constexpr std::string_view name = "embedding";
  static constexpr dims_rule fixed_dims = dims_rule::embedding;
  static constexpr arity inputs{2, 5};
  static constexpr bool f16_weights = true;
  static constexpr std::uint32_t packed_inputs = 1u << 0;  // the table may be q8 / CQ
  static void infer(context& c) {
    const slot& w = c.tensor_in(0);
    const slot& ids = c.tensor_in(1);
    c.require(w.shape.size() == 2, "weight must be 2-D, got ", to_string(w.shape));
    c.require(ids.type == dtype::i64 || ids.type == dtype::i32, "indices must be int64 or int32, got ", name_of(ids.type));
    shape_t s = ids.shape;
    s.push_back(w.shape[1]);
    c.set_tensor(0, dtype::f32, s);
  }
  static void run(context& c) {
    const slot& w = c.in(0);
    const slot& ids = c.in(1);
    const std::int64_t V = w.shape[0], D = w.shape[1], n = ids.numel();
    float* y = c.out(0).ptr<float>();
    for (std::int64_t i = 0; i < n; ++i) {
      const std::int64_t id = ids.type == dtype::i64 ? ids.ptr<std::int64_t>()[i] : ids.ptr<std::int32_t>()[i];
      c.require(id >= 0 && id < V, "token id ", id, " at position ", i, " is out of range for a vocabulary of ", V);
      if (is_packed(w.type)) {
        quant::unpack_rows(w.view(), id, id + 1, y + i * D);
      } else if (w.type == dtype::f16) {
        const auto* row = w.ptr<std::uint16_t>() + id * D;
        for (std::int64_t j = 0; j < D; ++j) y[i * D + j] = f16_to_f32(row[j]);
      } else {
        std::memcpy(y + i * D, w.ptr<float>() + id * D, static_cast<std::size_t>(D) * 4);
      }
    }
  }
};

// embedding_bag(weight [V, D], indices [n], offsets [B or B+1], mode, per_sample_weights?,
// include_last_offset, padding_idx) -> [B, D]: bag b reduces the rows of indices[offsets[b] :
// offsets[b + 1]] (the last bag runs to the end unless include_last_offset) by sum (mode 0,
// optionally weighted per index), mean (1) or max (2). Indices equal to padding_idx (>= 0) are
// left out; an empty bag gives zeros. ATen's embedding_bag / _embedding_bag are read into it
// (their other outputs serve the backward pass and are not produced).
struct embedding_bag_op {
  static constexpr std::string_view name = "embedding_bag";
  static constexpr arity inputs{7};
  static std::int64_t bags(const context& c) {
    const slot& off = c.tensor_in(2);
    return off.numel() - (c.bool_at(5) ? 1 : 0);
  }
  static void infer(context& c) {
    const slot& w = c.f32_in(0);
    const slot& ids = c.tensor_in(1);
    const slot& off = c.tensor_in(2);
    c.require(w.shape.size() == 2, "weight must be 2-D, got ", to_string(w.shape));
    c.require(ids.shape.size() == 1 && off.shape.size() == 1, "indices and offsets must be 1-D, got ", to_string(ids.shape), " and ", to_string(off.shape));
    c.require(ids.type == dtype::i64 || ids.type == dtype::i32, "indices must be int64 or int32, got ", name_of(ids.type));
    c.require(off.type == dtype::i64 || off.type == dtype::i32, "offsets must be int64 or int32, got ", name_of(off.type));
    const std::int64_t mode = c.int_at(3);
    c.require(mode >= 0 && mode <= 2, "mode ", mode, " (0 sum, 1 mean, 2 max)");
    if (!c.is_none(4)) {
      c.require(mode == 0, "per_sample_weights are only taken with mode sum");
      c.require(c.tensor_in(4).numel() == ids.numel(), "per_sample_weights must hold one weight per index");
    }
    c.require(bags(c) >= 0, "include_last_offset needs at least one offset");
    c.set_tensor(0, dtype::f32, {bags(c), w.shape[1]});
  }
  static void run(context& c) {
    const slot& w = c.f32_in(0);
    const slot& ids = c.in(1);
    const slot& off = c.in(2);
    const tensor iv = ids.view(), ov = off.view();
    const float* psw = c.is_none(4) ? nullptr : c.f32_in(4).ptr<float>();
    const std::int64_t V = w.shape[0], D = w.shape[1], n = ids.numel(), B = bags(c), mode = c.int_at(3), pad = c.int_at(6);
    float* y = c.out(0).ptr<float>();
    for (std::int64_t b = 0; b < B; ++b) {
      const auto lo = static_cast<std::int64_t>(ov.element_as_double(b));
      const std::int64_t hi = b + 1 < off.numel() ? static_cast<std::int64_t>(ov.element_as_double(b + 1)) : n;
      c.require(lo >= 0 && lo <= hi && hi <= n, "offsets ", lo, "..", hi, " of bag ", b, " are outside the ", n, " indices");
      float* yr = y + b * D;
      std::fill(yr, yr + D, mode == 2 ? -std::numeric_limits<float>::infinity() : 0.0f);
      std::int64_t count = 0;
      for (std::int64_t k = lo; k < hi; ++k) {
        const auto id = static_cast<std::int64_t>(iv.element_as_double(k));
        c.require(id >= 0 && id < V, "index ", id, " is out of range for a table of ", V, " rows");
        if (id == pad) continue;
        ++count;
        const float* wr = w.ptr<float>() + id * D;
        const float s = psw ? psw[k] : 1.0f;
        for (std::int64_t d = 0; d < D; ++d) yr[d] = mode == 2 ? std::max(yr[d], wr[d]) : yr[d] + s * wr[d];
      }
      if (count == 0) std::fill(yr, yr + D, 0.0f);
      else if (mode == 1) for (std::int64_t d = 0; d < D; ++d) yr[d] /= static_cast<float>(count);
    }
  }
};

}  // namespace cactus::ops
