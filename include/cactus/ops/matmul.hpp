#pragma once
// matmul of two computed tensors (a product with a constant weight is linear: ops/linear.hpp).
#include <cstring>
#include <vector>

#include "cactus/kernels/dispatch.hpp"
#include "cactus/ops/op.hpp"

namespace cactus::ops {

// matmul / bmm / mm with batch broadcasting; B is transposed into scratch so the NT kernel runs.
struct matmul_op {
  static constexpr std::string_view name = "matmul";
  static constexpr dims_rule fixed_dims = dims_rule::matmul;
  static constexpr arity inputs{2};
  static void infer(context& c) {
    shape_t a = c.tensor_in(0).shape, b = c.tensor_in(1).shape;
    c.require(!a.empty() && !b.empty(), "matmul of a 0-d tensor");
    bool a1 = a.size() == 1, b1 = b.size() == 1;
    if (a1) a.insert(a.begin(), 1);
    if (b1) b.push_back(1);
    c.require(a.back() == b[b.size() - 2], "shapes ", to_string(c.in(0).shape), " and ", to_string(c.in(1).shape), " cannot be multiplied");
    shape_t ba(a.begin(), a.end() - 2), bb(b.begin(), b.end() - 2);
    shape_t out = broadcast_shapes(ba, bb);
    if (!a1) out.push_back(a[a.size() - 2]);
    if (!b1) out.push_back(b.back());
    c.set_tensor(0, dtype::f32, out);
  }
  static void run(context& c) {
    const slot& A = c.tensor_in(0);
    const slot& B = c.tensor_in(1);
    shape_t a = A.shape, b = B.shape;
    if (a.size() == 1) a.insert(a.begin(), 1);
    if (b.size() == 1) b.push_back(1);
    const std::int64_t M = a[a.size() - 2], K = a.back(), N = b.back();
    shape_t ba(a.begin(), a.end() - 2), bb(b.begin(), b.end() - 2);
    shape_t batch = broadcast_shapes(ba, bb);
    auto sa = broadcast_strides(ba, batch), sb = broadcast_strides(bb, batch);
    const std::int64_t nb = numel(batch);
    std::vector<float> bt(static_cast<std::size_t>(N * K)), af;
    const float* pa = A.ptr<float>();
    if (A.type != dtype::f32) { af.resize(static_cast<std::size_t>(A.numel())); tensor v = A.view().to_f32(); std::memcpy(af.data(), v.data, af.size() * 4); pa = af.data(); }
    float* out = c.out(0).ptr<float>();
    std::vector<std::int64_t> idx(batch.size(), 0);
    for (std::int64_t i = 0; i < nb; ++i) {
      std::int64_t oa = 0, ob = 0, r = i;
      for (std::size_t d = batch.size(); d-- > 0;) {
        std::int64_t k = r % batch[d];
        r /= batch[d];
        oa += k * sa[d];
        ob += k * sb[d];
      }
      // B block [K, N] -> bt [N, K]
      for (std::int64_t kk = 0; kk < K; ++kk)
        for (std::int64_t n = 0; n < N; ++n) {
          const std::int64_t src = ob * K * N + kk * N + n;
          bt[static_cast<std::size_t>(n * K + kk)] = B.type == dtype::f16 ? f16_to_f32(B.ptr<std::uint16_t>()[src]) : B.ptr<float>()[src];
        }
      kernels::gemm_nt(static_cast<std::size_t>(M), static_cast<std::size_t>(N), static_cast<std::size_t>(K), pa + oa * M * K,
                       static_cast<std::size_t>(K), bt.data(), false, static_cast<std::size_t>(K), out + i * M * N,
                       static_cast<std::size_t>(N), nullptr);
    }
  }
};

}  // namespace cactus::ops
