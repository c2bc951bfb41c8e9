#pragma once
// The one header that instantiates the kernels for every Highway target and exposes them as
// plain functions choosing the best target at run time.
//
// Header-only decision: every translation unit that includes this header compiles the kernels
// for each target, and HWY_EXPORT gives it its own static function table. The kernels are
// inline (one copy survives linking), so a program may include cactus from any number of TUs;
// each costs compile time, so programs include it from one or a few (tests/bundle/ and
// tests/formats/ are two TUs of one test, which keeps that so).
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>

#include "cactus/core/dtype.hpp"
#include "cactus/core/error.hpp"
#include "cactus/core/packed.hpp"
#include "cactus/core/parallel.hpp"
#include "cactus/core/scratch.hpp"
#include "cactus/kernels/kinds.hpp"
#include "cactus/quant/codebook.hpp"

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "cactus/kernels/all-inl.hpp"
#include <hwy/foreach_target.h>  // IWYU pragma: keep
#include <hwy/highway.h>

#include "cactus/kernels/all-inl.hpp"

#if HWY_ONCE
namespace cactus::kernels {
namespace detail {
HWY_EXPORT(UnaryF32);
HWY_EXPORT(BinaryF32);
HWY_EXPORT(F32ToF16);
HWY_EXPORT(SoftmaxRows);
HWY_EXPORT(LayerNormRows);
HWY_EXPORT(RmsNormRows);
HWY_EXPORT(RopeRow);
HWY_EXPORT(GatedActF32);
HWY_EXPORT(AffineActF32);
HWY_EXPORT(AttentionRows);
HWY_EXPORT(CachedAttentionRowsF32);
HWY_EXPORT(CachedAttentionRowsF16);
HWY_EXPORT(CachedAttentionRowsI8);
HWY_EXPORT(LstmCellF32);
HWY_EXPORT(GemmNTF32);
HWY_EXPORT(GemmNTF16);
HWY_EXPORT(GemmNNF32);
HWY_EXPORT(GemmPackA);
HWY_EXPORT(GemmNNPackedF32);
HWY_EXPORT(GemmNNPackedIndirectF32);
HWY_EXPORT(Im2colRowsF32);
HWY_EXPORT(ConvDirectPanel);
HWY_EXPORT(ConvDirectRowsF32);
HWY_EXPORT(DepthwisePlaneF32);
HWY_EXPORT(DepthwiseScratch);
HWY_EXPORT(QuantizeActivationRows);
HWY_EXPORT(QuantActivationBlock);
HWY_EXPORT(QuantMatmulRows);
HWY_EXPORT(Int8DotPath);
HWY_EXPORT(QuantizeActivationRows8);
HWY_EXPORT(QuantMatmulRows8);
HWY_EXPORT(SetVnniAllowed);
HWY_EXPORT(VnniActive);
HWY_EXPORT(Q8Int8Gemv);
HWY_EXPORT(Int8DotInstructions);
HWY_EXPORT(Gemm8Active);
HWY_EXPORT(Gemm8Path);
HWY_EXPORT(BestInt8Isa);
HWY_EXPORT(PackActivations8);
HWY_EXPORT(QuantGemm8Rows);
HWY_EXPORT(QuantizePackColumns8);
}  // namespace detail

// Name of the target the dispatcher picks on this CPU (e.g. "AVX3", "NEON", "SVE").
inline const char* active_target() {
  const std::int64_t t = hwy::SupportedTargets() & HWY_TARGETS;
  return hwy::TargetName(t & -t);
}

inline void unary(unary_kind k, const float* x, float* y, std::size_t n, float p0 = 0, float p1 = 0) {
  auto fn = HWY_DYNAMIC_DISPATCH(detail::UnaryF32);
  global_pool().parallel_for(n, elementwise_grain, [&](std::size_t b, std::size_t e) { fn(k, x + b, y + b, e - b, p0, p1); });
}

// y = a (op) b with a, b either full-length (stride 1) or a single broadcast scalar (stride 0).
inline void binary(binary_kind k, const float* a, std::size_t sa, const float* b, std::size_t sb, float* y, std::size_t n) {
  auto fn = HWY_DYNAMIC_DISPATCH(detail::BinaryF32);
  global_pool().parallel_for(n, elementwise_grain, [&](std::size_t s, std::size_t e) {
    fn(k, a + s * sa, sa, b + s * sb, sb, y + s, e - s);
  });
}

// y[i] = f32_to_f16(x[i]), the same bits (NaN stays NaN), on the calling thread.
inline void f32_to_f16_span(const float* x, std::uint16_t* y, std::size_t n) { HWY_DYNAMIC_DISPATCH(detail::F32ToF16)(x, y, n); }

inline void softmax_rows(const float* x, float* y, std::size_t rows, std::size_t cols, bool log) {
  auto fn = HWY_DYNAMIC_DISPATCH(detail::SoftmaxRows);
  global_pool().parallel_for(rows, cols >= 4096 ? 1 : std::max<std::size_t>(1, 8192 / (cols + 1)),
                             [&](std::size_t b, std::size_t e) { fn(x + b * cols, y + b * cols, e - b, cols, log); });
}

inline void layer_norm_rows(const float* x, float* y, std::size_t rows, std::size_t cols, const float* w,
                            const float* b, float eps) {
  auto fn = HWY_DYNAMIC_DISPATCH(detail::LayerNormRows);
  global_pool().parallel_for(rows, std::max<std::size_t>(1, 8192 / (cols + 1)), [&](std::size_t s, std::size_t e) {
    fn(x + s * cols, y + s * cols, e - s, cols, w, b, eps);
  });
}

inline void rms_norm_rows(const float* x, float* y, std::size_t rows, std::size_t cols, const float* w, float eps, float offset) {
  auto fn = HWY_DYNAMIC_DISPATCH(detail::RmsNormRows);
  global_pool().parallel_for(rows, std::max<std::size_t>(1, 8192 / (cols + 1)), [&](std::size_t s, std::size_t e) {
    fn(x + s * cols, y + s * cols, e - s, cols, w, eps, offset);
  });
}

// One row of rotary embedding (see RopeRow), on the calling thread.
inline void rope_row(const float* x, const float* c, const float* s, float* y, std::size_t D, std::size_t h, bool interleaved) {
  HWY_DYNAMIC_DISPATCH(detail::RopeRow)(x, c, s, y, D, h, interleaved);
}

// y = act(g) * u (act: silu, gelu_tanh or gelu_erf).
inline void gated_act(unary_kind act, const float* g, const float* u, float* y, std::size_t n) {
  auto fn = HWY_DYNAMIC_DISPATCH(detail::GatedActF32);
  global_pool().parallel_for(n, elementwise_grain, [&](std::size_t b, std::size_t e) { fn(act, g + b, u + b, y + b, e - b); });
}

// One LSTM cell step over H units on the calling thread (see LstmCellF32); b may be null.
inline void lstm_cell(const float* a, const float* b, const float* c, float* h, float* c_new, std::size_t H) {
  HWY_DYNAMIC_DISPATCH(detail::LstmCellF32)(a, b, c, h, c_new, H);
}

// gated_act on the calling thread.
inline void gated_act_serial(unary_kind act, const float* g, const float* u, float* y, std::size_t n) {
  HWY_DYNAMIC_DISPATCH(detail::GatedActF32)(act, g, u, y, n);
}

// Columns [n0, n1) of gemm_nt on the calling thread.
inline void gemm_nt_columns(std::size_t M, std::size_t n0, std::size_t n1, std::size_t K, const float* A, std::size_t lda, const void* B,
                            bool b_is_f16, std::size_t ldb, float* C, std::size_t ldc, const float* bias) {
  if (b_is_f16) HWY_DYNAMIC_DISPATCH(detail::GemmNTF16)(M, n0, n1, K, A, lda, static_cast<const std::uint16_t*>(B), ldb, C, ldc, bias);
  else HWY_DYNAMIC_DISPATCH(detail::GemmNTF32)(M, n0, n1, K, A, lda, static_cast<const float*>(B), ldb, C, ldc, bias);
}

// y = act(x * scale + shift) on the calling thread (the conv epilogue; has_act false: affine).
inline void affine_act(const float* x, float* y, std::size_t n, float scale, float shift, bool has_act, unary_kind act, float p0 = 0, float p1 = 0) {
  HWY_DYNAMIC_DISPATCH(detail::AffineActF32)(x, y, n, scale, shift, has_act, act, p0, p1);
}

// Attention query rows [r0, r1) of one head (see AttentionRows), on the calling thread. Give
// kt (k transposed, [E, S] with row stride ldkt) for blocks of several rows, null for per-key
// dot products.
struct attention_head {
  const float* q; std::size_t ldq;
  const float* k; std::size_t ldk;
  const float* v; std::size_t ldv;
  float* out; std::size_t ldo;
  std::size_t S, E, Ev;
  float scale;
  const float* mask = nullptr; std::size_t ldm = 0;
  const std::uint8_t* keep = nullptr; std::size_t ldkeep = 0;
  bool causal = false;
  std::int64_t causal_offset = 0;
  float fill = -INFINITY;  // score of keys a bool mask hides
};
inline void attention_rows(const attention_head& h, std::size_t r0, std::size_t r1, const float* kt, std::size_t ldkt, float* scores) {
  HWY_DYNAMIC_DISPATCH(detail::AttentionRows)(h.q, h.ldq, h.k, h.ldk, h.v, h.ldv, h.out, h.ldo, r0, r1, h.S, h.E, h.Ev, h.scale, h.mask, h.ldm, h.keep,
                                              h.ldkeep, h.fill, h.causal, h.causal_offset, kt, ldkt, scores);
}

// M query rows (stride ldq) that see the same key/value rows [0, n) of a cache, f32 or f16
// (`f16`, as uint16_t), rows ldk / ldv apart: out[m] = softmax(scale * q[m] . k^T) . v, on the
// calling thread. scores holds M * n floats.
inline void cached_attention_rows(const float* q, std::size_t ldq, std::size_t M, const void* k, std::size_t ldk, const void* v, std::size_t ldv,
                                  bool f16, std::size_t n, std::size_t E, std::size_t Ev, float scale, float* out, std::size_t ldo, float* scores) {
  if (f16)
    HWY_DYNAMIC_DISPATCH(detail::CachedAttentionRowsF16)(q, ldq, M, static_cast<const std::uint16_t*>(k), ldk, static_cast<const std::uint16_t*>(v), ldv,
                                                         n, E, Ev, scale, out, ldo, scores);
  else
    HWY_DYNAMIC_DISPATCH(detail::CachedAttentionRowsF32)(q, ldq, M, static_cast<const float*>(k), ldk, static_cast<const float*>(v), ldv, n, E, Ev,
                                                         scale, out, ldo, scores);
}

// As cached_attention_rows over an int8 cache: k and v rows of int8 (strides ldk, ldv) with f32
// scales per 32 features (ks, vs; row strides ldks, ldvs). E and Ev must be multiples of 32.
inline void cached_attention_rows_i8(const float* q, std::size_t ldq, std::size_t M, const std::int8_t* k, const float* ks, std::size_t ldk,
                                     std::size_t ldks, const std::int8_t* v, const float* vs, std::size_t ldv, std::size_t ldvs, std::size_t n, std::size_t E,
                                     std::size_t Ev, float scale, float* out, std::size_t ldo, float* scores) {
  check(E % 32 == 0 && Ev % 32 == 0, "an int8 KV cache needs key and value sizes that are multiples of 32, got ", E, " and ", Ev);
  HWY_DYNAMIC_DISPATCH(detail::CachedAttentionRowsI8)(q, ldq, M, k, ks, ldk, ldks, v, vs, ldv, ldvs, n, E, Ev, scale, out, ldo, scores);
}

// C[M, N] = A[M, K] . B[N, K]^T (+ bias[N]); B is f32 or f16 (`b_is_f16`). Threads split N.
inline void gemm_nt(std::size_t M, std::size_t N, std::size_t K, const float* A, std::size_t lda, const void* B,
                    bool b_is_f16, std::size_t ldb, float* C, std::size_t ldc, const float* bias) {
  const std::size_t work = M * N * K;
  const std::size_t min_cols = work < (1u << 16) ? N : std::max<std::size_t>(4, (std::size_t(1) << 16) / (M * K + 1));
  auto f32 = HWY_DYNAMIC_DISPATCH(detail::GemmNTF32);
  auto f16 = HWY_DYNAMIC_DISPATCH(detail::GemmNTF16);
  global_pool().parallel_for((N + 3) / 4, (min_cols + 3) / 4, [&](std::size_t b, std::size_t e) {
    const std::size_t n0 = b * 4, n1 = std::min(N, e * 4);
    if (b_is_f16) f16(M, n0, n1, K, A, lda, static_cast<const std::uint16_t*>(B), ldb, C, ldc, bias);
    else f32(M, n0, n1, K, A, lda, static_cast<const float*>(B), ldb, C, ldc, bias);
  });
}

// C[M, N] = A[M, K] . B[K, N] (+ bias[M]), all f32, B row-major. Threads split N.
inline void gemm_nn(std::size_t M, std::size_t N, std::size_t K, const float* A, std::size_t lda, const float* B, std::size_t ldb,
                    float* C, std::size_t ldc, const float* bias) {
  auto fn = HWY_DYNAMIC_DISPATCH(detail::GemmNNF32);
  const std::size_t panel = 64;  // columns per task: a multiple of every target's two-vector tile
  const std::size_t min_panels = M * N * K < serial_work ? (N + panel - 1) / panel : 1;
  global_pool().parallel_for((N + panel - 1) / panel, min_panels, [&](std::size_t b, std::size_t e) {
    fn(M, b * panel, std::min(N, e * panel), K, A, lda, B, ldb, C, ldc, bias);
  });
}

// A [M, K] (row-major, lda) packed for gemm_nn_packed: panels of gemm_panel rows, k-major,
// rows past M zero; out holds gemm_packed_size(M, K) floats. The same layout on every target.
inline std::size_t gemm_packed_size(std::size_t M, std::size_t K) { return (M + gemm_panel - 1) / gemm_panel * gemm_panel * K; }
inline void gemm_pack_a(std::size_t M, std::size_t K, const float* A, std::size_t lda, float* out) {
  HWY_DYNAMIC_DISPATCH(detail::GemmPackA)(M, K, A, lda, out);
}

// Rows [m0, m1) (m0 a multiple of 4) and columns [n0, n1) of C = Ap . B over k in
// [k0, k1), on the calling thread: Ap as gemm_pack_a made it (K columns), B pointing at its row
// k0 (rows ldb apart); C points at row 0. With `first`, C = bias[m] + the sum (bias may be
// null), else C += the sum, so a caller can walk K in blocks that keep B in cache.
inline void gemm_nn_packed(std::size_t m0, std::size_t m1, std::size_t n0, std::size_t n1, std::size_t k0, std::size_t k1, const float* Ap,
                           std::size_t K, const float* B, std::size_t ldb, float* C, std::size_t ldc, bool first, const float* bias) {
  HWY_DYNAMIC_DISPATCH(detail::GemmNNPackedF32)(m0, m1, n0, n1, k0, k1, Ap, K, B, ldb, C, ldc, first, bias);
}
// gemm_nn_packed with B's row k0 + k at rows[k] (an indirection table).
inline void gemm_nn_packed_indirect(std::size_t m0, std::size_t m1, std::size_t n0, std::size_t n1, std::size_t k0, std::size_t k1, const float* Ap,
                                    std::size_t K, const float* const* rows, float* C, std::size_t ldc, bool first, const float* bias) {
  HWY_DYNAMIC_DISPATCH(detail::GemmNNPackedIndirectF32)(m0, m1, n0, n1, k0, k1, Ap, K, rows, C, ldc, first, bias);
}

// Rows [k0, k1) of a convolution's im2col for output pixels [p0, p1) of the c planes (h x w) at
// x, row k at col + (k - k0) * ld (see Im2colRowsF32). col needs im2col_slack floats past its
// last row.
struct im2col_geometry {
  std::int64_t c, h, w, kh, kw, sh, sw, ph, pw, dh, dw, ow;
};
inline constexpr std::size_t im2col_slack = 256;
inline void im2col_rows(const float* x, const im2col_geometry& g, std::int64_t k0, std::int64_t k1, std::int64_t p0, std::int64_t p1, float* col,
                        std::int64_t ld) {
  const std::int64_t geo[12] = {g.c, g.h, g.w, g.kh, g.kw, g.sh, g.sw, g.ph, g.pw, g.dh, g.dw, g.ow};
  HWY_DYNAMIC_DISPATCH(detail::Im2colRowsF32)(x, geo, k0, k1, p0, p1, col, ld);
}

// The direct convolution (see conv_direct-inl.hpp): a kernel panel holds conv_direct_panel()
// output channels (two vectors of the dispatched target) for each tap, [K][panel];
// conv_direct_rows runs output rows [oh0, oh1) of one panel's `oc` channels from the zero-padded
// input xp (rows wpad floats), tap k at koff[k] from a pixel's first input, into y (the panel's
// first channel plane; planes P floats apart, rows OW) plus bias. sw is 1 or 2.
inline std::size_t conv_direct_panel() { return HWY_DYNAMIC_DISPATCH(detail::ConvDirectPanel)(); }
inline void conv_direct_rows(const float* xp, std::int64_t wpad, std::int64_t sh, std::int64_t sw, const std::int32_t* koff, std::int64_t K,
                             const float* wq, std::int64_t oc, const float* bias, float* y, std::int64_t P, std::int64_t OW, std::int64_t oh0,
                             std::int64_t oh1) {
  HWY_DYNAMIC_DISPATCH(detail::ConvDirectRowsF32)(xp, wpad, sh, sw, koff, K, wq, oc, bias, y, P, OW, oh0, oh1);
}

// One plane of a depthwise convolution (see DepthwisePlaneF32), on the calling thread. Make the
// geometry once per convolution with make_depthwise_geometry: it sizes the padded scratch plane
// (hp rows of wp floats) for the dispatched target's vector width.
struct depthwise_geometry {
  std::int64_t H, W, kh, kw, sh, sw, ph, pw, dh, dw, OH, OW, hp = 0, wp = 0;
  std::size_t scratch_floats() const { return static_cast<std::size_t>(hp * wp); }
};
inline depthwise_geometry make_depthwise_geometry(depthwise_geometry g) {
  HWY_DYNAMIC_DISPATCH(detail::DepthwiseScratch)(g.H, g.W, g.kh, g.kw, g.sh, g.sw, g.ph, g.pw, g.dh, g.dw, g.OH, g.OW, &g.hp, &g.wp);
  return g;
}
inline void depthwise_plane(const float* x, const float* w, float bias, float* y, const depthwise_geometry& g, float* scratch) {
  HWY_DYNAMIC_DISPATCH(detail::DepthwisePlaneF32)(x, g.H, g.W, w, g.kh, g.kw, g.sh, g.sw, g.ph, g.pw, g.dh, g.dw, bias, y, g.OH, g.OW,
                                                  scratch, g.hp, g.wp);
}

// Activations for quant_matmul: x[M, K] -> int16 xq[M, Kp] and per-group steps[M, Kp / 128],
// each group rotated first when `rotate` (CQ weights). Within each block of
// quant_activation_block() values the even positions are stored first, then the odd ones (the
// layout the dispatched target's dot product reads). Exposed for tests and benches.
inline std::size_t quant_activation_block() { return HWY_DYNAMIC_DISPATCH(detail::QuantActivationBlock)(); }

inline void quantize_activations(const float* x, std::size_t M, std::size_t K, bool rotate, std::int16_t* xq, float* steps) {
  const std::size_t Kp = (K + packed_group - 1) / packed_group * packed_group;
  const float* signs = rotate ? quant::rotation_signs().data() : nullptr;
  auto fn = HWY_DYNAMIC_DISPATCH(detail::QuantizeActivationRows);
  global_pool().parallel_for(M, std::max<std::size_t>(1, 16384 / (K + 1)), [&](std::size_t b, std::size_t e) {
    fn(x + b * K, e - b, K, Kp, signs, xq + b * Kp, steps + b * (Kp / packed_group));
  });
}

// Weight rows [n0, n1) against activations already quantized by quantize_activations, on the
// calling thread.
inline void quant_matmul_rows(dtype fmt, const void* w, std::size_t N, std::size_t K, std::size_t M, const std::int16_t* xq,
                              const float* steps, std::size_t n0, std::size_t n1, float* C, std::size_t ldc, const float* bias) {
  const packed_layout l = packed_layout_of(fmt, {static_cast<std::int64_t>(N), static_cast<std::int64_t>(K)});
  const bool cq = fmt != dtype::q8;
  const auto* levels = cq ? quant::cq_codebook(l.bits).levels.data() : nullptr;
  const float step = cq ? quant::cq_codebook(l.bits).step : 1.0f;
  HWY_DYNAMIC_DISPATCH(detail::QuantMatmulRows)(l.bits, w, static_cast<std::size_t>(l.groups), l.scales_offset, levels, step, M, n0, n1, xq, steps,
                                                C, ldc, bias, scratch<std::int8_t, 8>(quant_row_block * static_cast<std::size_t>(l.kp)),
                                                scratch<float, 9>(quant_row_block * static_cast<std::size_t>(l.groups)));
}

// The int8-activation path for CQ weights (x86: pmaddubsw or VNNI; Arm: SDOT, on NEON where the
// CPU has it; see QuantMatmulRows8): whether the dispatched target uses it, and its two halves,
// exposed for tests and benches.
inline bool quant_int8_dot() { return HWY_DYNAMIC_DISPATCH(detail::Int8DotPath)(); }
// Whether q8 matrix-vector products take the int8 path too (VNNI or SDOT multiply the stored
// int8 weights as they are).
inline bool quant_q8_gemv_int8() { return HWY_DYNAMIC_DISPATCH(detail::Q8Int8Gemv)(); }

// Whether the dispatched target's int8 CQ products use AVX-512 VNNI (vpdpbusd), and a switch for
// the optional int8 instructions of every target (VNNI on x86; SDOT and SMMLA on NEON): tests and
// benches compare with and without; on by default where the CPU has them.
inline bool quant_vnni() { return HWY_DYNAMIC_DISPATCH(detail::VnniActive)(); }
inline void allow_quant_vnni(bool allowed) { HWY_DYNAMIC_DISPATCH(detail::SetVnniAllowed)(allowed); }
// The int8 instructions the dispatched target's products use ("AVX-512 VNNI (vpdpbusd)",
// "SDOT (FEAT_DotProd)", "none (int16 products)", ...).
inline const char* quant_int8_instructions() { return HWY_DYNAMIC_DISPATCH(detail::Int8DotInstructions)(); }
// The int8 instructions a product planned now runs with: the best the dispatched target and the
// CPU have, unless allow_quant_vnni(false) switched them off.
inline int8_isa choose_int8_isa() { return static_cast<int8_isa>(HWY_DYNAMIC_DISPATCH(detail::BestInt8Isa)()); }

inline void quantize_activations_i8(const float* x, std::size_t M, std::size_t K, bool rotate, std::int8_t* xq, float* steps,
                                    std::int32_t* sums) {
  const std::size_t Kp = (K + packed_group - 1) / packed_group * packed_group;
  const float* signs = rotate ? quant::rotation_signs().data() : nullptr;
  auto fn = HWY_DYNAMIC_DISPATCH(detail::QuantizeActivationRows8);
  global_pool().parallel_for(M, std::max<std::size_t>(1, 16384 / (K + 1)), [&](std::size_t b, std::size_t e) {
    fn(x + b * K, e - b, K, Kp, signs, xq + b * Kp, steps + b * (Kp / packed_group), sums + b * (Kp / packed_group));
  });
}

inline void quant_matmul_rows_i8(dtype fmt, const void* w, std::size_t N, std::size_t K, std::size_t M, const std::int8_t* xq, const float* steps,
                                 const std::int32_t* sums, std::size_t n0, std::size_t n1, float* C, std::size_t ldc, const float* bias,
                                 int8_isa isa = choose_int8_isa()) {
  const packed_layout l = packed_layout_of(fmt, {static_cast<std::int64_t>(N), static_cast<std::int64_t>(K)});
  const bool q8 = fmt == dtype::q8;
  const auto* levels_u = q8 ? nullptr : quant::cq_codebook(l.bits).levels_u7.data();
  const float step = q8 ? 1.0f : quant::cq_codebook(l.bits).step;
  HWY_DYNAMIC_DISPATCH(detail::QuantMatmulRows8)(l.bits, w, static_cast<std::size_t>(l.groups), l.scales_offset, levels_u, step, M, n0,
                                                 n1, xq, steps, sums, C, ldc, bias, scratch<std::int8_t, 8>(quant_row_block * static_cast<std::size_t>(l.kp)),
                                                 scratch<float, 9>(quant_row_block * static_cast<std::size_t>(l.groups)), static_cast<int>(isa));
}

// The int8 matrix-matrix microkernel (quant_gemm8-inl.hpp): whether the dispatched target runs
// it with its int8 instruction (then quant_matmul takes it for batches above 4, q8 and CQ), and
// its two halves, exposed for tests and benches.
inline bool quant_gemm8() { return HWY_DYNAMIC_DISPATCH(detail::Gemm8Active)(); }
// Its instruction on this CPU ("vpdpbusd (AVX-512 VNNI)", "pmaddubsw (AVX2)", "SDOT (FEAT_DotProd)",
// or plain loops).
inline const char* quant_gemm8_path() { return HWY_DYNAMIC_DISPATCH(detail::Gemm8Path)(); }
// Activations quantized by quantize_activations_i8 -> the microkernel's blocks of 16 rows:
// xp[(M + 15) / 16 * 16 * Kp] bytes, sp[(M + 15) / 16 * 16 * Kp / 128] floats.
inline void pack_activations_i8(const std::int8_t* xq, const float* steps, std::size_t M, std::size_t K, std::uint8_t* xp, float* sp) {
  const std::size_t Kp = (K + packed_group - 1) / packed_group * packed_group, blocks = (M + 15) / 16;
  auto fn = HWY_DYNAMIC_DISPATCH(detail::PackActivations8);
  global_pool().parallel_for(blocks, std::max<std::size_t>(1, 4096 / (Kp + 1)), [&](std::size_t b, std::size_t e) {
    fn(xq, steps, M, Kp, b, e, xp, sp);
  });
}
// Columns col[k * ld + r] (k < K) of one block of 16 activation rows (rows past the matrix
// zeroed by the caller) -> that block of xp (16 Kp bytes) and sp (16 Kp / 128 floats): the same
// bytes and steps as quantize_activations_i8 then pack_activations_i8 on the rows.
inline void pack_columns_i8(const float* col, std::size_t ld, std::size_t K, bool rotate, std::uint8_t* xp, float* sp) {
  const std::size_t Kp = (K + packed_group - 1) / packed_group * packed_group;
  HWY_DYNAMIC_DISPATCH(detail::QuantizePackColumns8)(col, ld, K, Kp, rotate ? quant::rotation_signs().data() : nullptr, xp, sp);
}
// Weight rows [n0, n1) against the packed activations into C[m * ldc + n] (+ bias[n]), or with
// c_nm into C[n * ldc + m] (channels by pixels, as a convolution's output).
inline void quant_gemm8_rows(dtype fmt, const void* w, std::size_t N, std::size_t K, std::size_t M, const std::uint8_t* xp, const float* sp,
                             std::size_t n0, std::size_t n1, float* C, std::size_t ldc, const float* bias, bool c_nm = false,
                             int8_isa isa = choose_int8_isa()) {
  const packed_layout l = packed_layout_of(fmt, {static_cast<std::int64_t>(N), static_cast<std::int64_t>(K)});
  const bool q8 = fmt == dtype::q8;
  const auto* levels = q8 ? nullptr : quant::cq_codebook(l.bits).levels.data();
  const float step = q8 ? 1.0f : quant::cq_codebook(l.bits).step;
  const std::size_t G = static_cast<std::size_t>(l.groups), Kp = static_cast<std::size_t>(l.kp);
  HWY_DYNAMIC_DISPATCH(detail::QuantGemm8Rows)(l.bits, w, G, l.scales_offset, levels, step, M, n0, n1, xp, sp, C, ldc, c_nm, bias,
                                               scratch<std::int8_t, 8>(16 * Kp), aligned_scratch<std::int32_t, 10>(8 * Kp),
                                               scratch<float, 9>(32 * G), scratch<std::int32_t, 9>(32 * G),
                                               aligned_scratch<std::int32_t, 11>((M + 15) / 16 * 16 * G), static_cast<int>(isa));
}

// The three ways a product with packed (q8 / CQ) weights runs, chosen once per graph node at
// plan time (the linear, gated_mlp and conv ops' choose(), recorded by the planner) from the
// weight format, the batch M and the CPU:
//   gemm8      the int8 matrix-matrix microkernel on activations packed in blocks of 16 rows,
//              for batches above 4 where the target has its int8 instruction (VNNI, SDOT,
//              AVX2's pmaddubsw);
//   int8_rows  int8 activations against one weight row block at a time: CQ where the target
//              has int8 products, and q8 matrix-vector products where VNNI or SDOT read the
//              stored int8 weights as they are;
//   int16_rows int16 activations and widening multiply-adds, everywhere else.
enum class quant_path : int { gemm8 = 0, int8_rows = 1, int16_rows = 2 };
inline quant_path choose_quant_path(dtype fmt, std::size_t M) {
  if (M > 4 && quant_gemm8()) return quant_path::gemm8;
  if ((fmt != dtype::q8 && quant_int8_dot()) || (fmt == dtype::q8 && M == 1 && quant_q8_gemv_int8())) return quant_path::int8_rows;
  return quant_path::int16_rows;
}
inline const char* name_of(quant_path p) {
  switch (p) {
    case quant_path::gemm8: return "gemm8";
    case quant_path::int8_rows: return "int8 rows";
    case quant_path::int16_rows: return "int16 rows";
  }
  return "?";
}
// A recorded choice (an op's int code) back to the path; a code that is none of them fails.
inline quant_path quant_path_of(int code) {
  check(code >= 0 && code <= 2, "unknown quantized product path ", code);
  return static_cast<quant_path>(code);
}

// A quantized product's plan: its path and the int8 instructions it runs with (none on the
// int16 path), recorded per node as one code (path + 4 * isa).
struct quant_plan {
  quant_path path;
  int8_isa isa;
};
// `path` with `isa` where it multiplies int8 (the int16 path takes none)
inline quant_plan plan_of(quant_path path, int8_isa isa) { return {path, path == quant_path::int16_rows ? int8_isa::none : isa}; }
inline quant_plan choose_quant_plan(dtype fmt, std::size_t M) { return plan_of(choose_quant_path(fmt, M), choose_int8_isa()); }
inline int code_of(quant_plan p) { return static_cast<int>(p.path) + 4 * static_cast<int>(p.isa); }
inline quant_plan quant_plan_of(int code) {
  check(code >= 0 && code % 4 <= 2 && code / 4 <= 3, "unknown quantized product plan ", code);
  return {static_cast<quant_path>(code % 4), static_cast<int8_isa>(code / 4)};
}
// "gemm8/VNNI", "int8 rows/SDOT", "int8 rows" (pmaddubsw or plain loops), "int16 rows"
inline const char* name_of(quant_plan p) {
  static const auto names = [] {
    std::array<std::string, 16> n;
    for (int c = 0; c < 16; ++c)
      if (c % 4 <= 2) n[static_cast<std::size_t>(c)] = with_isa(name_of(static_cast<quant_path>(c % 4)), static_cast<int8_isa>(c / 4));
    return n;
  }();
  return names[static_cast<std::size_t>(code_of(p))].c_str();
}

// Whether quant_matmul quantizes the activations to int8 (quantize_activations_i8) for this
// format and batch, or to int16 (quantize_activations): tests rebuild the same activations.
inline bool quant_int8_activations(dtype fmt, std::size_t M) { return choose_quant_path(fmt, M) != quant_path::int16_rows; }

// C[M, N] = x[M, K] . W^T (+ bias[N]) with W a packed matrix (q8 or cq1..cq4) of N rows of K,
// on `path` (choose_quant_path: gemm8 needs a target whose microkernel has its int8 instruction
// and is taken as int8_rows elsewhere). Threads split the weight rows. With [n0, n1) only those
// rows (columns of C, entries of bias) are computed: one group of a grouped convolution.
inline void quant_matmul(quant_plan plan, dtype fmt, const void* w, std::size_t N, std::size_t K, std::size_t M, const float* x, float* C,
                         std::size_t ldc, const float* bias, std::size_t n0 = 0, std::size_t n1 = static_cast<std::size_t>(-1)) {
  const quant_path path = plan.path;
  n1 = std::min(n1, N);
  if (n0 >= n1 || M == 0) return;
  const std::size_t Kp = (K + packed_group - 1) / packed_group * packed_group, G = Kp / packed_group;
  const std::size_t min_rows = std::max<std::size_t>(1, serial_work / (M * Kp + 1));
  if (path == quant_path::gemm8 && quant_gemm8()) {
    const std::size_t Mp = (M + 15) / 16 * 16;
    std::int8_t* xq = scratch<std::int8_t, 7>(M * Kp);
    float* steps = scratch<float, 7>(M * G);
    std::int32_t* sums = scratch<std::int32_t, 7>(M * G);
    std::uint8_t* xp = aligned_scratch<std::uint8_t, 10>(Mp * Kp);
    float* sp = aligned_scratch<float, 19>(Mp * G);
    quantize_activations_i8(x, M, K, fmt != dtype::q8, xq, steps, sums);
    pack_activations_i8(xq, steps, M, K, xp, sp);
    global_pool().parallel_for(n1 - n0, min_rows, [&](std::size_t b, std::size_t e) {
      quant_gemm8_rows(fmt, w, N, K, M, xp, sp, n0 + b, n0 + e, C, ldc, bias, false, plan.isa);
    });
    return;
  }
  if (path != quant_path::int16_rows) {
    std::int8_t* xq = scratch<std::int8_t, 7>(M * Kp);
    float* steps = scratch<float, 7>(M * G);
    std::int32_t* sums = scratch<std::int32_t, 7>(M * G);
    quantize_activations_i8(x, M, K, fmt != dtype::q8, xq, steps, sums);
    global_pool().parallel_for(n1 - n0, min_rows, [&](std::size_t b, std::size_t e) {
      quant_matmul_rows_i8(fmt, w, N, K, M, xq, steps, sums, n0 + b, n0 + e, C, ldc, bias, plan.isa);
    });
    return;
  }
  std::int16_t* xq = scratch<std::int16_t, 7>(M * Kp);
  float* steps = scratch<float, 7>(M * G);
  quantize_activations(x, M, K, fmt != dtype::q8, xq, steps);
  global_pool().parallel_for(n1 - n0, min_rows, [&](std::size_t b, std::size_t e) {
    quant_matmul_rows(fmt, w, N, K, M, xq, steps, n0 + b, n0 + e, C, ldc, bias);
  });
}
// ... on `path` with the instructions the CPU has (tests force each path this way).
inline void quant_matmul(quant_path path, dtype fmt, const void* w, std::size_t N, std::size_t K, std::size_t M, const float* x, float* C,
                         std::size_t ldc, const float* bias, std::size_t n0 = 0, std::size_t n1 = static_cast<std::size_t>(-1)) {
  quant_matmul(plan_of(path, choose_int8_isa()), fmt, w, N, K, M, x, C, ldc, bias, n0, n1);
}
// ... on the plan choose_quant_plan makes for this format and batch.
inline void quant_matmul(dtype fmt, const void* w, std::size_t N, std::size_t K, std::size_t M, const float* x, float* C, std::size_t ldc,
                         const float* bias, std::size_t n0 = 0, std::size_t n1 = static_cast<std::size_t>(-1)) {
  quant_matmul(choose_quant_plan(fmt, M), fmt, w, N, K, M, x, C, ldc, bias, n0, n1);
}

}  // namespace cactus::kernels
#endif  // HWY_ONCE
