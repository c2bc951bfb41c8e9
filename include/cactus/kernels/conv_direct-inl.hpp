// Direct convolution with output channels across the vector: no im2col. The kernel is packed
// in panels of two vectors of output channels, [K][panel] (K = (c, i, j) taps); a register tile
// is R consecutive output pixels of one output row by the panel's channels, R = up to 14 on
// targets with 32 vector registers (28 accumulators), 6 on those with 16. Each tap k loads the
// panel's two kernel vectors and broadcasts the R inputs the tile's pixels read at that tap,
// xp[koff[k] + r * sw] (sw, 1 or 2, is a template parameter, so these are constant offsets),
// from a zero-padded copy of the input, so no tap is ever out of range. A tile's sums go to its
// pixels' channel planes (NCHW) with the bias. The tiles of a row are as even as the row allows
// (a 14-wide row is one tile; a 56-wide row four).
#if defined(CACTUS_KERNELS_CONV_DIRECT_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef CACTUS_KERNELS_CONV_DIRECT_INL_H_
#undef CACTUS_KERNELS_CONV_DIRECT_INL_H_
#else
#define CACTUS_KERNELS_CONV_DIRECT_INL_H_
#endif

#include <array>
#include <cstdint>
#include <utility>
#include <hwy/highway.h>

HWY_BEFORE_NAMESPACE();
namespace cactus::kernels::HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

#if HWY_ARCH_ARM_A64 || (HWY_ARCH_X86 && HWY_TARGET <= HWY_AVX3)
inline constexpr std::size_t kDirectRows = 14;  // 32 vector registers: 28 accumulators
#else
inline constexpr std::size_t kDirectRows = 6;  // 16: 12 accumulators
#endif

// Output channels per packed kernel panel on this target: two vectors.
inline HWY_NOINLINE std::size_t ConvDirectPanel() { return 2 * hn::Lanes(hn::ScalableTag<float>()); }

// One tile: R pixels (their taps at xb + koff[k] + r * S) by the panel w ([K][2 vectors]),
// sums to out[r * 2N ...].
template <std::size_t R, std::size_t S>
HWY_NOINLINE void TileDirect(const float* HWY_RESTRICT xb, const std::int32_t* HWY_RESTRICT koff, std::size_t K, const float* HWY_RESTRICT w,
                             float* HWY_RESTRICT out) {
  const hn::ScalableTag<float> d;
  using V = hn::Vec<decltype(d)>;
  const std::size_t N = hn::Lanes(d);
  V c0a = hn::Zero(d), c0b = c0a, c1a = c0a, c1b = c0a, c2a = c0a, c2b = c0a, c3a = c0a, c3b = c0a;
  V c4a = c0a, c4b = c0a, c5a = c0a, c5b = c0a, c6a = c0a, c6b = c0a, c7a = c0a, c7b = c0a;
  V c8a = c0a, c8b = c0a, c9a = c0a, c9b = c0a, c10a = c0a, c10b = c0a, c11a = c0a, c11b = c0a;
  V c12a = c0a, c12b = c0a, c13a = c0a, c13b = c0a;
  for (std::size_t k = 0; k < K; ++k) {
    const V w0 = hn::LoadU(d, w), w1 = hn::LoadU(d, w + N);
    const float* HWY_RESTRICT a = xb + koff[k];
#define CACTUS_DIRECT_ROW(r)                      \
  if constexpr (R > r) {                          \
    const V v = hn::Set(d, a[r * S]);             \
    c##r##a = hn::MulAdd(v, w0, c##r##a);         \
    c##r##b = hn::MulAdd(v, w1, c##r##b);         \
  }
    CACTUS_DIRECT_ROW(0) CACTUS_DIRECT_ROW(1) CACTUS_DIRECT_ROW(2) CACTUS_DIRECT_ROW(3) CACTUS_DIRECT_ROW(4) CACTUS_DIRECT_ROW(5)
    CACTUS_DIRECT_ROW(6) CACTUS_DIRECT_ROW(7) CACTUS_DIRECT_ROW(8) CACTUS_DIRECT_ROW(9) CACTUS_DIRECT_ROW(10) CACTUS_DIRECT_ROW(11)
    CACTUS_DIRECT_ROW(12) CACTUS_DIRECT_ROW(13)
#undef CACTUS_DIRECT_ROW
    w += 2 * N;
  }
#define CACTUS_DIRECT_PUT(r)                              \
  if constexpr (R > r) {                                  \
    hn::StoreU(c##r##a, d, out + r * 2 * N);              \
    hn::StoreU(c##r##b, d, out + r * 2 * N + N);          \
  }
  CACTUS_DIRECT_PUT(0) CACTUS_DIRECT_PUT(1) CACTUS_DIRECT_PUT(2) CACTUS_DIRECT_PUT(3) CACTUS_DIRECT_PUT(4) CACTUS_DIRECT_PUT(5)
  CACTUS_DIRECT_PUT(6) CACTUS_DIRECT_PUT(7) CACTUS_DIRECT_PUT(8) CACTUS_DIRECT_PUT(9) CACTUS_DIRECT_PUT(10) CACTUS_DIRECT_PUT(11)
  CACTUS_DIRECT_PUT(12) CACTUS_DIRECT_PUT(13)
#undef CACTUS_DIRECT_PUT
}

using DirectTileFn = void (*)(const float*, const std::int32_t*, std::size_t, const float*, float*);
template <std::size_t S, std::size_t... Rs>
constexpr std::array<DirectTileFn, sizeof...(Rs)> DirectTiles(std::index_sequence<Rs...>) {
  return {&TileDirect<Rs + 1, S>...};
}

// Output rows [oh0, oh1) of the `oc` output channels of one kernel panel (wq, [K][panel], the
// panel ConvDirectPanel() wide): xp is the zero-padded input (row `wpad` floats; sh * wpad per
// output row), koff[k] tap k's offset from a pixel's first input; y points at the panel's first
// channel plane (planes P floats apart, rows OW), bias at its first channel's (or null).
inline HWY_NOINLINE void ConvDirectRowsF32(const float* HWY_RESTRICT xp, std::int64_t wpad, std::int64_t sh, std::int64_t sw,
                                           const std::int32_t* HWY_RESTRICT koff, std::int64_t K, const float* HWY_RESTRICT wq, std::int64_t oc,
                                           const float* HWY_RESTRICT bias, float* HWY_RESTRICT y, std::int64_t P, std::int64_t OW,
                                           std::int64_t oh0, std::int64_t oh1) {
  const hn::ScalableTag<float> d;
  const auto panel = static_cast<std::int64_t>(2 * hn::Lanes(d));
  static constexpr auto tiles1 = DirectTiles<1>(std::make_index_sequence<kDirectRows>());
  static constexpr auto tiles2 = DirectTiles<2>(std::make_index_sequence<kDirectRows>());
  const auto& tiles = sw == 1 ? tiles1 : tiles2;
  alignas(64) float buf[kDirectRows * 2 * hn::MaxLanes(d)];
  const auto rmax = static_cast<std::int64_t>(kDirectRows);
  const std::int64_t count = (OW + rmax - 1) / rmax, base = OW / count, extra = OW % count;
  for (std::int64_t oh = oh0; oh < oh1; ++oh) {
    for (std::int64_t t = 0, ow0 = 0; t < count; ++t) {
      const std::int64_t R = base + (t < extra ? 1 : 0);
      tiles[static_cast<std::size_t>(R - 1)](xp + oh * sh * wpad + ow0 * sw, koff, static_cast<std::size_t>(K), wq, buf);
      float* yo = y + oh * OW + ow0;
      for (std::int64_t o = 0; o < oc; ++o) {
        const float b = bias ? bias[o] : 0.0f;
        for (std::int64_t r = 0; r < R; ++r) yo[o * P + r] = buf[r * panel + o] + b;
      }
      ow0 += R;
    }
  }
}

}  // namespace cactus::kernels::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#endif  // toggle guard
