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

}  // namespace cactus::ops
