// im2col: the B operand of a convolution's GEMM (C[o, p] = sum_k W[o, k] col[k, p]), row
// k = (c, i, j) holding, for each output pixel p = (oh, ow), the input x[c, oh*sh - ph + i*dh,
// ow*sw - pw + j*dw], zero outside the input (no padded copy of the input is made). Each output
// row's run of pixels inside the input is copied a whole vector at a time (stride 1: loads;
// stride 2: the even lanes of two loads), and its padding written after, so the last vector of a
// run may write past it, into pixels or rows written after it: the caller leaves a vector
// (im2col_slack floats) past the last row. Loads never reach past the input's end.
#if defined(CACTUS_KERNELS_IM2COL_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef CACTUS_KERNELS_IM2COL_INL_H_
#undef CACTUS_KERNELS_IM2COL_INL_H_
#else
#define CACTUS_KERNELS_IM2COL_INL_H_
#endif

#include <cstdint>
#include <hwy/highway.h>

HWY_BEFORE_NAMESPACE();
namespace cactus::kernels::HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// Rows [k0, k1) of im2col for pixels [p0, p1) of the C planes (H x W) at x, row k at
// col + (k - k0) * ld, pixel p at column p - p0. geo: {C, H, W, kh, kw, sh, sw, ph, pw, dh, dw, OW}.
inline HWY_NOINLINE void Im2colRowsF32(const float* HWY_RESTRICT x, const std::int64_t* geo, std::int64_t k0, std::int64_t k1, std::int64_t p0,
                                       std::int64_t p1, float* HWY_RESTRICT col, std::int64_t ld) {
  const std::int64_t C = geo[0], H = geo[1], W = geo[2], kh = geo[3], kw = geo[4], sh = geo[5], sw = geo[6], ph = geo[7], pw = geo[8];
  const std::int64_t dh = geo[9], dw = geo[10], OW = geo[11];
#if HWY_TARGET != HWY_SCALAR
  const hn::ScalableTag<float> d;
  const auto N = static_cast<std::int64_t>(hn::Lanes(d));
  const float* const x_end = x + C * H * W;
#else
  (void)C;
#endif
  // pixels [p0, p1) as output rows oh0..oh1 (inclusive), the first from column a0, the last to b1
  const std::int64_t oh0 = p0 / OW, a0 = p0 % OW, oh1 = (p1 - 1) / OW, b1 = (p1 - 1) % OW + 1;
  for (std::int64_t r = k0; r < k1; ++r) {
    const std::int64_t c = r / (kh * kw), i = (r / kw) % kh, j = r % kw;
    const std::int64_t off = j * dw - pw;  // input column of output column ow: ow*sw + off
    // the output columns [lo, hi) whose input column is inside the row
    const std::int64_t hi = W - off <= 0 ? 0 : std::min<std::int64_t>(OW, (W - off + sw - 1) / sw);
    const std::int64_t lo = std::min(hi, off >= 0 ? std::int64_t{0} : (-off + sw - 1) / sw);
    float* o = col + (r - k0) * ld;  // output column a of each row goes to o[0], then o moves past the row
    for (std::int64_t oh = oh0; oh <= oh1; ++oh) {
      const std::int64_t a = oh == oh0 ? a0 : 0, b = oh == oh1 ? b1 : OW;
      const std::int64_t ih = oh * sh - ph + i * dh;
      if (ih < 0 || ih >= H) {
        std::fill(o, o + (b - a), 0.0f);
        o += b - a;
        continue;
      }
      const float* row = x + (c * H + ih) * W + off;  // row[ow * sw] for ow in [lo, hi)
      const std::int64_t l = std::clamp(lo, a, b), h = std::clamp(hi, a, b);
      std::int64_t q = l;
#if HWY_TARGET != HWY_SCALAR
      // whole vectors while the loads stay inside the input (checked once per run)
      const std::int64_t safe = ((x_end - row) >> (sw - 1)) - N;  // (sw 1 or 2) q <= safe: row[q*sw .. (q+N)*sw) is inside
      const std::int64_t hv = sw <= 2 ? std::min(h, safe + 1) : q;
      if (sw == 1) {
        for (; q < hv; q += N) hn::StoreU(hn::LoadU(d, row + q), d, o + (q - a));
      } else if (sw == 2) {
        for (; q < hv; q += N) hn::StoreU(hn::ConcatEven(d, hn::LoadU(d, row + 2 * q + N), hn::LoadU(d, row + 2 * q)), d, o + (q - a));
      }
      q = std::max(q, l);
      if (q > h) q = h;
#endif
      for (; q < h; ++q) o[q - a] = row[q * sw];
      // the padding last: the vectors above may have written into it
      for (std::int64_t z = a; z < l; ++z) o[z - a] = 0.0f;
      for (std::int64_t z = h; z < b; ++z) o[z - a] = 0.0f;
      o += b - a;
    }
  }
}

}  // namespace cactus::kernels::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#endif  // toggle guard
