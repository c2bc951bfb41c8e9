// Depthwise convolution, one plane at a time (ops/conv.hpp runs it when groups == channels).
#if defined(CACTUS_KERNELS_DEPTHWISE_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef CACTUS_KERNELS_DEPTHWISE_INL_H_
#undef CACTUS_KERNELS_DEPTHWISE_INL_H_
#else
#define CACTUS_KERNELS_DEPTHWISE_INL_H_
#endif

#include <algorithm>
#include <cstdint>
#include <hwy/highway.h>

HWY_BEFORE_NAMESPACE();
namespace cactus::kernels::HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// Depthwise convolution of one plane: y[oh, ow] = bias + sum_{i,j} w[i, j] *
// x[oh*sh - ph + i*dh, ow*sw - pw + j*dw] (zero outside). The plane is first copied into a
// zero-padded scratch plane (rows of `wp` floats, wide enough for whole-vector reads past the
// last column), so every tap is a plain load (stride 1) or an index gather (stride > 1) with
// no bounds checks, accumulated for one vector of output columns in registers.
inline HWY_NOINLINE void DepthwisePlaneF32(const float* HWY_RESTRICT x, int64_t H, int64_t W, const float* HWY_RESTRICT w,
                                    int64_t kh, int64_t kw, int64_t sh, int64_t sw, int64_t ph, int64_t pw, int64_t dh,
                                    int64_t dw, float bias, float* HWY_RESTRICT y, int64_t OH, int64_t OW,
                                    float* HWY_RESTRICT pad, int64_t hp, int64_t wp) {
  const hn::ScalableTag<float> d;
  const hn::RebindToSigned<decltype(d)> di;
  const int64_t N = static_cast<int64_t>(hn::Lanes(d));
  for (int64_t r = 0; r < hp; ++r) {
    float* HWY_RESTRICT row = pad + r * wp;
    const int64_t ih = r - ph;
    if (ih < 0 || ih >= H) {
      for (int64_t c = 0; c < wp; ++c) row[c] = 0.0f;
      continue;
    }
    for (int64_t c = 0; c < pw; ++c) row[c] = 0.0f;
    for (int64_t c = 0; c < W; ++c) row[pw + c] = x[ih * W + c];
    for (int64_t c = pw + W; c < wp; ++c) row[c] = 0.0f;
  }
  const auto idx = hn::Mul(hn::Iota(di, 0), hn::Set(di, static_cast<int32_t>(sw)));
  HWY_ALIGN float buf[hn::MaxLanes(d)];
  for (int64_t oh = 0; oh < OH; ++oh) {
    for (int64_t ow0 = 0; ow0 < OW; ow0 += N) {
      auto acc = hn::Set(d, bias);
      for (int64_t i = 0; i < kh; ++i) {
        const float* HWY_RESTRICT row = pad + (oh * sh + i * dh) * wp + ow0 * sw;
        for (int64_t j = 0; j < kw; ++j) {
          const auto v = sw == 1 ? hn::LoadU(d, row + j * dw) : hn::GatherIndex(d, row + j * dw, idx);
          acc = hn::MulAdd(hn::Set(d, w[i * kw + j]), v, acc);
        }
      }
      float* HWY_RESTRICT yr = y + oh * OW + ow0;
      if (ow0 + N <= OW) {
        hn::StoreU(acc, d, yr);
      } else {
        hn::Store(acc, d, buf);
        for (int64_t l = 0; l < OW - ow0; ++l) yr[l] = buf[l];
      }
    }
  }
}

// Scratch floats DepthwisePlaneF32 needs: rows and row width of the padded plane.
inline HWY_NOINLINE void DepthwiseScratch(int64_t H, int64_t W, int64_t kh, int64_t kw, int64_t sh, int64_t sw, int64_t ph,
                                   int64_t pw, int64_t dh, int64_t dw, int64_t OH, int64_t OW, int64_t* hp, int64_t* wp) {
  const hn::ScalableTag<float> d;
  const int64_t N = static_cast<int64_t>(hn::Lanes(d));
  const int64_t cols = ((OW + N - 1) / N) * N;  // output columns the vectors cover
  *hp = std::max(H + 2 * ph, (OH - 1) * sh + (kh - 1) * dh + 1);
  *wp = std::max(W + 2 * pw, (cols - 1) * sw + (kw - 1) * dw + 1);
}

}  // namespace cactus::kernels::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#endif  // toggle guard
