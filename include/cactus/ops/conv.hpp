#pragma once
// conv(x, w, b?, stride, padding, dilation, groups): 1-D and 2-D convolution, the canonical
// form of PyTorch's conv1d/conv2d/_convolution. Dense groups run on the kernel packed in panels
// once per node: directly, output channels across the vector, where the channels fill the
// panels (conv_direct); else as a blocked GEMM with the input itself (1x1) or its im2col built
// block by block in cache. Both land in NCHW; depthwise convs run a per-plane SIMD kernel.
#include "cactus/core/scratch.hpp"
#include "cactus/kernels/dispatch.hpp"
#include "cactus/ops/op.hpp"
#include "cactus/quant/quantize.hpp"

namespace cactus::ops {

namespace detail {
struct conv_geom {
  std::int64_t N, C, H, W, O, kh, kw, sh, sw, ph, pw, dh, dw, G, OH, OW;
  bool one_d;
};

inline conv_geom conv_geometry(const context& c) {
  const slot& x = c.tensor_in(0);
  const slot& w = c.tensor_in(1);
  const std::size_t sd = w.shape.size() - 2;
  c.require(sd == 1 || sd == 2, "only 1-D and 2-D convolutions are supported (weight ", to_string(w.shape), ")");
  c.require(x.shape.size() == sd + 2, "input ", to_string(x.shape), " must be ", sd + 2, "-D (batched) for this weight ", to_string(w.shape));
  conv_geom g{};
  g.one_d = sd == 1;
  g.N = x.shape[0];
  g.C = x.shape[1];
  g.H = g.one_d ? 1 : x.shape[2];
  g.W = x.shape.back();
  g.O = w.shape[0];
  g.kh = g.one_d ? 1 : w.shape[2];
  g.kw = w.shape.back();
  auto stride = expand_arg(c.ints_at(3), sd), dil = expand_arg(c.ints_at(5), sd);
  g.G = c.int_at(6);
  std::vector<std::int64_t> pad;
  if (c.in(4).k == kind::string) {
    std::string p = c.string_at(4);
    if (p == "valid") pad.assign(sd, 0);
    else if (p == "same") {
      for (std::size_t i = 0; i < sd; ++i) {
        std::int64_t k = w.shape[2 + i], dd = dil[i];
        c.require((dd * (k - 1)) % 2 == 0, "padding='same' with an even kernel extent is not supported");
        pad.push_back(dd * (k - 1) / 2);
      }
    } else c.fail("unknown padding '", p, "'");
  } else pad = expand_arg(c.ints_at(4), sd);
  g.sh = g.one_d ? 1 : stride[0];
  g.sw = stride.back();
  g.ph = g.one_d ? 0 : pad[0];
  g.pw = pad.back();
  g.dh = g.one_d ? 1 : dil[0];
  g.dw = dil.back();
  c.require(g.G > 0 && g.C % g.G == 0 && g.O % g.G == 0 && w.shape[1] * g.G == g.C, "input channels ", g.C, " do not match weight ",
            to_string(w.shape), " with groups=", g.G);
  g.OH = (g.H + 2 * g.ph - g.dh * (g.kh - 1) - 1) / g.sh + 1;
  g.OW = (g.W + 2 * g.pw - g.dw * (g.kw - 1) - 1) / g.sw + 1;
  c.require(g.OH > 0 && g.OW > 0, "input ", to_string(x.shape), " is too small for kernel ", to_string(w.shape));
  return g;
}
}  // namespace detail

namespace detail {
// im2col of output pixels [p0, p1) in [K, p1 - p0] layout (rows ld apart, p1 - p0 by default):
// row (c, i, j) holds, for each of those pixels p = (oh, ow), the input
// x[c, oh*sh - ph + i*dh, ow*sw - pw + j*dw] (zero outside). Rows are contiguous over pixels, so
// the GEMM streams them as its B operand.
inline void im2col_panel(const conv_geom& g, const float* xg, std::int64_t Cg, std::int64_t p0, std::int64_t p1, float* col, std::int64_t ld = 0) {
  const std::int64_t K = Cg * g.kh * g.kw, pn = p1 - p0;
  if (ld == 0) ld = pn;
  for (std::int64_t r = 0; r < K; ++r) {
    const std::int64_t ch = r / (g.kh * g.kw), i = (r / g.kw) % g.kh, j = r % g.kw;
    const float* xc = xg + ch * g.H * g.W;
    float* out = col + r * ld;
    const std::int64_t off = j * g.dw - g.pw;
    const auto [lo, hi] = tap_columns(off, g.sw, g.W, g.OW);
    for (std::int64_t p = p0; p < p1;) {
      const std::int64_t oh = p / g.OW, a = p % g.OW, b = std::min<std::int64_t>(g.OW, a + (p1 - p));
      float* o = out + (p - p0) - a;  // o[ow] for ow in [a, b)
      const std::int64_t ih = oh * g.sh - g.ph + i * g.dh;
      if (ih < 0 || ih >= g.H) {
        std::fill(o + a, o + b, 0.0f);
      } else {
        const float* xr = xc + ih * g.W + off;
        const std::int64_t l = std::clamp(lo, a, b), h = std::clamp(hi, a, b);
        std::fill(o + a, o + l, 0.0f);
        if (g.sw == 1) std::copy(xr + l, xr + h, o + l);
        else for (std::int64_t ow = l; ow < h; ++ow) o[ow] = xr[ow * g.sw];
        std::fill(o + h, o + b, 0.0f);
      }
      p += b - a;
    }
  }
}

// Splits `units` of work into tasks of at most about `want` units (rounded up to a multiple of
// `align`), with a task count that is a multiple of the threads that will run them: the pool
// splits statically, so 3 equal tasks on 2 threads run at the speed of 2.
struct task_split {
  std::int64_t per_task, tasks;
};
inline task_split balanced_split(std::int64_t units, std::int64_t want, std::int64_t align, std::size_t work) {
  const std::int64_t threads = work < serial_work ? 1 : global_pool().size();
  const std::int64_t target = threads * std::max<std::int64_t>(1, (units + want * threads - 1) / (want * threads));
  std::int64_t per = (units + target - 1) / target;
  per = (per + align - 1) / align * align;
  return {per, (units + per - 1) / per};
}

// What a fused conv applies to each output row as it is written (conv_module: a folded batch
// norm and an activation): y = act(acc * scale[o] + shift[o]). Null: the plain conv (bias
// inside the GEMM, rows copied as they are).
struct conv_epilogue {
  const float* scale;  // per output channel (of the whole conv)
  const float* shift;
  bool has_act;
  kernels::unary_kind act;
  float p0, p1;
  void operator()(std::int64_t channel, const float* src, float* dst, std::int64_t n) const {
    kernels::affine_act(src, dst, static_cast<std::size_t>(n), scale[channel], shift[channel], has_act, act, p0, p1);
  }
};

// A 1x1 stride-1 conv with no padding: its input already is the [K, pixels] im2col operand.
inline bool input_is_col(const conv_geom& g) { return g.kh == 1 && g.kw == 1 && g.sh == 1 && g.sw == 1 && g.ph == 0 && g.pw == 0; }
// The K rows a GEMM pass covers: blocks of at most 256, as even as K allows (B's rows stay in cache).
inline std::int64_t k_block(std::int64_t K) {
  const std::int64_t blocks = (K + 255) / 256;
  return (K + blocks - 1) / blocks;
}

// Whether a dense conv runs direct (conv_direct: output channels across the vector, no
// im2col) rather than as a GEMM on im2col: a kernel wider than 1x1 or strided, stride 1 or 2
// along the row, and output channels that fill the kernel panels (at most 1/8 of a panel's
// lanes padding). It depends on the kernel and the strides only, so a node keeps one packed
// layout whatever its input size.
inline bool direct_pays(const conv_geom& g) {
  const std::int64_t Og = g.O / g.G, panel = static_cast<std::int64_t>(kernels::conv_direct_panel());
  const std::int64_t padded = (Og + panel - 1) / panel * panel;
  return !input_is_col(g) && (g.sw == 1 || g.sw == 2) && Og >= panel && (padded - Og) * 8 <= Og;
}

// A dense conv kernel [O, Cg*kh*kw] packed for the path that runs it, group by group (group grp
// at grp * size / G): for conv_direct in panels of conv_direct_panel() output channels, [K][panel],
// channels past Og zero; else for the GEMM (kernels::gemm_pack_a, panels of 12 channels). Made
// once per node for a constant kernel (context::prepared), else per call.
inline std::size_t conv_packed_kernel_size(const conv_geom& g) {
  const std::int64_t Og = g.O / g.G, K = g.C / g.G * g.kh * g.kw;
  if (direct_pays(g)) {
    const std::int64_t panel = static_cast<std::int64_t>(kernels::conv_direct_panel());
    return static_cast<std::size_t>(g.G * ((Og + panel - 1) / panel) * panel * K);
  }
  return static_cast<std::size_t>(g.G) * kernels::gemm_packed_size(static_cast<std::size_t>(Og), static_cast<std::size_t>(K));
}
inline void pack_conv_kernel(const conv_geom& g, const float* w, float* out) {
  const std::int64_t Og = g.O / g.G, K = g.C / g.G * g.kh * g.kw;
  const bool direct = direct_pays(g);
  const std::int64_t width = direct ? static_cast<std::int64_t>(kernels::conv_direct_panel()) : static_cast<std::int64_t>(kernels::gemm_panel);
  const std::int64_t panels = (Og + width - 1) / width;
  const std::size_t per_group = conv_packed_kernel_size(g) / static_cast<std::size_t>(g.G);
  global_pool().parallel_for(static_cast<std::size_t>(g.G * panels), std::max<std::size_t>(1, 16384 / static_cast<std::size_t>(K * width + 1)),
                             [&](std::size_t b, std::size_t e) {
                               for (std::size_t t = b; t < e; ++t) {
                                 const std::int64_t grp = static_cast<std::int64_t>(t) / panels, m = static_cast<std::int64_t>(t) % panels * width;
                                 const std::int64_t rows = std::min(width, Og - m);
                                 const float* src = w + (grp * Og + m) * K;
                                 float* dst = out + grp * static_cast<std::int64_t>(per_group) + m * K;
                                 if (!direct) {
                                   kernels::gemm_pack_a(static_cast<std::size_t>(rows), static_cast<std::size_t>(K), src, static_cast<std::size_t>(K), dst);
                                   continue;
                                 }
                                 for (std::int64_t k = 0; k < K; ++k)
                                   for (std::int64_t o = 0; o < width; ++o) dst[k * width + o] = o < rows ? src[o * K + k] : 0.0f;
                               }
                             });
}
inline std::vector<float> packed_conv_kernel(const conv_geom& g, const float* w) {
  std::vector<float> out(conv_packed_kernel_size(g));
  pack_conv_kernel(g, w, out.data());
  return out;
}

// Dense convolution of one (batch, group) as a blocked GEMM: y[o, p] = sum_k W[o, k] col[k, p],
// W packed in panels of 12 output channels (wp, see pack_conv_kernel). Tasks take output pixels
// (panels of about 256, or all of them for small images) by output channels (split in
// multiples of 4 so that there are enough tasks for the threads); each walks K in blocks of at
// most 256 rows, building that block of its pixels' im2col in cache (kernels::im2col_rows; a
// 1x1 stride-1 conv with no padding reads its input as col directly) and running the register
// tiles on it, then applies the epilogue to its outputs while they are in cache.
inline void conv_gemm(const conv_geom& g, const float* xg, std::int64_t Cg, std::int64_t Og, const float* wp, const float* bias, float* yg,
                      const conv_epilogue* ep = nullptr, std::int64_t o_base = 0) {
  const std::int64_t P = g.OH * g.OW, K = Cg * g.kh * g.kw;
  const bool direct = input_is_col(g);
  const kernels::im2col_geometry geo{Cg, g.H, g.W, g.kh, g.kw, g.sh, g.sw, g.ph, g.pw, g.dh, g.dw, g.OW};
  const std::size_t work = static_cast<std::size_t>(Og * P * K);
  const auto threads = static_cast<std::int64_t>(work < serial_work ? 1 : global_pool().size());
  // pixels: all of a small image in one panel (splitting 196 pixels in two would cost more
  // partial tiles), else panels of about 256; output channels: split until the tasks fill the
  // threads
  const auto px = P <= 448 ? task_split{P, 1} : balanced_split(P, 256, 16, work);
  const std::int64_t quads = (Og + 3) / 4;  // output channels split in multiples of 4
  const std::int64_t m_split = std::min(quads, std::max<std::int64_t>(1, (threads + px.tasks - 1) / px.tasks));
  const std::int64_t m_per = (quads + m_split - 1) / m_split * 4;
  const std::int64_t kc = k_block(K);
  const std::size_t tasks = static_cast<std::size_t>(px.tasks * m_split);
  global_pool().parallel_for(tasks, work < serial_work ? tasks : 1, [&](std::size_t b, std::size_t e) {
    const std::int64_t ld = (px.per_task + 15) / 16 * 16;
    float* col = direct ? nullptr : scratch<float, 24>(static_cast<std::size_t>(kc * ld) + kernels::im2col_slack);
    for (std::size_t t = b; t < e; ++t) {
      const std::int64_t pt = static_cast<std::int64_t>(t) / m_split, mt = static_cast<std::int64_t>(t) % m_split;
      const std::int64_t p0 = pt * px.per_task, p1 = std::min(P, p0 + px.per_task);
      const std::int64_t m0 = mt * m_per, m1 = std::min(Og, m0 + m_per);
      if (m0 >= m1) continue;
      for (std::int64_t k0 = 0; k0 < K; k0 += kc) {
        const std::int64_t k1 = std::min(K, k0 + kc);
        if (!direct) kernels::im2col_rows(xg, geo, k0, k1, p0, p1, col, ld);
        kernels::gemm_nn_packed(static_cast<std::size_t>(m0), static_cast<std::size_t>(m1), 0, static_cast<std::size_t>(p1 - p0),
                                static_cast<std::size_t>(k0), static_cast<std::size_t>(k1), wp, static_cast<std::size_t>(K),
                                direct ? xg + k0 * P + p0 : col, static_cast<std::size_t>(direct ? P : ld), yg + p0, static_cast<std::size_t>(P),
                                k0 == 0, bias);
      }
      if (ep)
        for (std::int64_t o = m0; o < m1; ++o) (*ep)(o_base + o, yg + o * P + p0, yg + o * P + p0, p1 - p0);
    }
  });
}

// Stride-1 dense convolution of one (batch, group) without im2col: outputs are computed on the
// padded width (the extra columns are dropped), and row (c, i, j) of the implicit im2col matrix
// is then a pointer into a zero-padded copy of the input, so the GEMM reads the input in place
// through an indirection table (kernels::gemm_nn_packed_indirect), on the packed kernel wp.
// Output rows are split among threads; each task pads only the input rows it reads into a buffer
// of its own, so no cache line is written by two cores. It beats conv_gemm where building the
// im2col costs more than the padded columns: few output channels to share it over, a wide
// image (indirect_pays).
inline bool indirect_pays(const conv_geom& g, std::int64_t Og) {
  return g.sh == 1 && g.sw == 1 && (2 * g.pw) * Og < 8 * (g.W + 2 * g.pw);
}
inline void conv_indirect(const conv_geom& g, const float* xg, std::int64_t Cg, std::int64_t Og, const float* wp, const float* bias, float* yg,
                          const conv_epilogue* ep = nullptr, std::int64_t o_base = 0) {
  const std::int64_t Wp = g.W + 2 * g.pw, K = Cg * g.kh * g.kw;
  const std::size_t work = static_cast<std::size_t>(Og * g.OH * Wp * K);
  // about 256 output columns (on the padded width) per task
  const auto split = balanced_split(g.OH, std::max<std::int64_t>(1, 256 / Wp), 1, work);
  const std::int64_t rows_per_task = split.per_task;
  const std::size_t tasks = static_cast<std::size_t>(split.tasks);
  const std::int64_t max_rows_in = (rows_per_task - 1) + (g.kh - 1) * g.dh + 1;
  const std::int64_t kc = k_block(K);
  global_pool().parallel_for(tasks, work < serial_work ? tasks : 1, [&](std::size_t b, std::size_t e) {
    const float** rows = scratch<const float*, 0>(static_cast<std::size_t>(K));
    float* ye = scratch<float, 1>(static_cast<std::size_t>(Og * (rows_per_task * Wp + 16)));
    // slack past the last plane: taps reach (kw-1)*dw and the column round-up 15 floats further
    float* xp = scratch<float, 0>(static_cast<std::size_t>(Cg * max_rows_in * Wp + Wp + 32));
    for (std::size_t t = b; t < e; ++t) {
      const std::int64_t oh0 = static_cast<std::int64_t>(t) * rows_per_task, oh1 = std::min(g.OH, oh0 + rows_per_task);
      const std::int64_t rows_in = (oh1 - oh0 - 1) + (g.kh - 1) * g.dh + 1, plane = rows_in * Wp;
      for (std::int64_t c = 0; c < Cg; ++c) {
        std::fill(xp + c * plane, xp + (c + 1) * plane, 0.0f);  // one fill, then the rows inside the input
        for (std::int64_t r = 0; r < rows_in; ++r) {
          const std::int64_t ih = oh0 + r - g.ph;
          if (ih >= 0 && ih < g.H) std::copy(xg + (c * g.H + ih) * g.W, xg + (c * g.H + ih + 1) * g.W, xp + c * plane + r * Wp + g.pw);
        }
      }
      std::fill(xp + Cg * plane, xp + Cg * plane + Wp + 32, 0.0f);
      for (std::int64_t r = 0; r < K; ++r) {
        const std::int64_t c = r / (g.kh * g.kw), i = (r / g.kw) % g.kh, j = r % g.kw;
        rows[r] = xp + c * plane + i * g.dh * Wp + j * g.dw;
      }
      // columns rounded up to whole vectors of up to 16 lanes (the extra ones read slack and are
      // dropped), so no partial tile runs on those targets
      const std::int64_t n = ((oh1 - oh0) * Wp + 15) / 16 * 16;
      for (std::int64_t k0 = 0; k0 < K; k0 += kc)
        kernels::gemm_nn_packed_indirect(0, static_cast<std::size_t>(Og), 0, static_cast<std::size_t>(n), static_cast<std::size_t>(k0),
                                         static_cast<std::size_t>(std::min(K, k0 + kc)), wp, static_cast<std::size_t>(K), rows + k0, ye,
                                         static_cast<std::size_t>(n), k0 == 0, bias);
      // the rows of one channel are contiguous in y: copy them, then one epilogue call over all
      // of them (per row, a 14-wide output made the calls cost more than the passes they save)
      for (std::int64_t o = 0; o < Og; ++o) {
        for (std::int64_t oh = oh0; oh < oh1; ++oh) {
          const float* src = ye + o * n + (oh - oh0) * Wp;
          std::copy(src, src + g.OW, yg + (o * g.OH + oh) * g.OW);
        }
        if (ep) (*ep)(o_base + o, yg + (o * g.OH + oh0) * g.OW, yg + (o * g.OH + oh0) * g.OW, (oh1 - oh0) * g.OW);
      }
    }
  });
}

// Dense convolution of one (batch, group) computed directly (kernels::conv_direct_rows): the
// input is copied zero-padded and each tap of a tile of pixels is read from the copy in place,
// so there is no im2col and no tail of pixels. With kernel panels enough for the threads, the
// input is copied once (planes in parallel) and tasks take (panel, output rows), panel by
// panel, so a thread's tasks share a panel in cache. With fewer (a small conv), tasks take
// output rows, each copying only the input rows it reads: one pass over the pool, not two.
// Each task applies the epilogue to its rows.
inline void conv_direct(const conv_geom& g, const float* xg, std::int64_t Cg, std::int64_t Og, const float* wq, const float* bias, float* yg,
                        const conv_epilogue* ep = nullptr, std::int64_t o_base = 0) {
  const std::int64_t Wp = g.W + 2 * g.pw, K = Cg * g.kh * g.kw, P = g.OH * g.OW;
  const std::int64_t panel = static_cast<std::int64_t>(kernels::conv_direct_panel()), panels = (Og + panel - 1) / panel;
  const std::size_t work = static_cast<std::size_t>(Og * P * K);
  const std::int64_t threads = work < serial_work ? 1 : static_cast<std::int64_t>(global_pool().size());
  const bool by_rows = threads > 1 && panels < 2 * threads;
  // output rows [oh0, oh1) (or, by_rows, all rows) read input rows [ih0, ih1) of the padded input
  const auto rows_in = [&](std::int64_t n) { return (n - 1) * g.sh + (g.kh - 1) * g.dh + 1; };
  const auto split = by_rows ? balanced_split(g.OH, std::max<std::int64_t>(1, g.OH / (2 * threads)), 1, work)
                             : balanced_split(panels * g.OH, std::max<std::int64_t>(1, panels * g.OH / (4 * threads)), 1, work);
  const std::int64_t plane = (by_rows ? rows_in(split.per_task) : g.H + 2 * g.ph) * Wp;
  check(Cg * plane < (std::int64_t{1} << 31), "conv: a padded input of ", Cg, " planes of ", plane, " floats is too large for the direct convolution");
  // padded input rows [r0, r1) of every channel into planes of `plane` floats at xp
  const auto pad_rows = [&](float* xp, std::int64_t r0, std::int64_t r1, std::int64_t c0, std::int64_t c1) {
    for (std::int64_t c = c0; c < c1; ++c)
      for (std::int64_t r = r0; r < r1; ++r) {
        float* row = xp + c * plane + (r - r0) * Wp;
        const std::int64_t h = r - g.ph;
        if (h < 0 || h >= g.H) {
          std::fill(row, row + Wp, 0.0f);
          continue;
        }
        std::fill(row, row + g.pw, 0.0f);
        std::copy(xg + (c * g.H + h) * g.W, xg + (c * g.H + h + 1) * g.W, row + g.pw);
        std::fill(row + g.pw + g.W, row + Wp, 0.0f);
      }
  };
  auto* koff = scratch<std::int32_t, 27>(static_cast<std::size_t>(K));
  for (std::int64_t k = 0; k < K; ++k) {
    const std::int64_t c = k / (g.kh * g.kw), i = (k / g.kw) % g.kh, j = k % g.kw;
    koff[k] = static_cast<std::int32_t>(c * plane + i * g.dh * Wp + j * g.dw);
  }
  // output rows [oh0, oh1) of panel q, from xp holding padded input rows from oh0 * sh on
  const auto run = [&](const float* xp, std::int64_t q, std::int64_t oh0, std::int64_t oh1) {
    const std::int64_t o0 = q * panel, oc = std::min(panel, Og - o0);
    kernels::conv_direct_rows(xp, Wp, g.sh, g.sw, koff, K, wq + o0 * K, oc, bias ? bias + o0 : nullptr, yg + o0 * P + oh0 * g.OW, P, g.OW, 0,
                              oh1 - oh0);
    if (ep)
      for (std::int64_t o = o0; o < o0 + oc; ++o) (*ep)(o_base + o, yg + o * P + oh0 * g.OW, yg + o * P + oh0 * g.OW, (oh1 - oh0) * g.OW);
  };
  const auto tasks = static_cast<std::size_t>(split.tasks);
  if (by_rows) {
    global_pool().parallel_for(tasks, 1, [&](std::size_t b, std::size_t e) {
      float* xp = scratch<float, 26>(static_cast<std::size_t>(Cg * plane));
      for (std::size_t t = b; t < e; ++t) {
        const std::int64_t oh0 = static_cast<std::int64_t>(t) * split.per_task, oh1 = std::min(g.OH, oh0 + split.per_task);
        pad_rows(xp, oh0 * g.sh, oh0 * g.sh + rows_in(oh1 - oh0), 0, Cg);
        for (std::int64_t q = 0; q < panels; ++q) run(xp, q, oh0, oh1);
      }
    });
    return;
  }
  float* xp = scratch<float, 26>(static_cast<std::size_t>(Cg * plane));
  // planes in tasks of at least 16K floats: a small input is copied by one thread
  global_pool().parallel_for(static_cast<std::size_t>(Cg), threads == 1 ? static_cast<std::size_t>(Cg) : std::max<std::size_t>(1, 16384 / static_cast<std::size_t>(plane)),
                             [&](std::size_t b, std::size_t e) { pad_rows(xp, 0, g.H + 2 * g.ph, static_cast<std::int64_t>(b), static_cast<std::int64_t>(e)); });
  const std::int64_t units = panels * g.OH;
  global_pool().parallel_for(tasks, threads == 1 ? tasks : 1, [&](std::size_t b, std::size_t e) {
    for (std::int64_t u = static_cast<std::int64_t>(b) * split.per_task, u1 = std::min(units, static_cast<std::int64_t>(e) * split.per_task); u < u1;) {
      const std::int64_t q = u / g.OH, oh0 = u % g.OH, oh1 = std::min(g.OH, oh0 + (u1 - u));
      run(xp + oh0 * g.sh * Wp, q, oh0, oh1);
      u += oh1 - oh0;
    }
  });
}

// Depthwise (one input and one output channel per group): one kernel call per plane, planes
// in parallel.
inline void depthwise(const conv_geom& g, const float* x, const float* w, const float* bias, float* y, const conv_epilogue* ep = nullptr) {
  const auto kg = kernels::make_depthwise_geometry({g.H, g.W, g.kh, g.kw, g.sh, g.sw, g.ph, g.pw, g.dh, g.dw, g.OH, g.OW});
  const std::size_t work = static_cast<std::size_t>(g.OH * g.OW * g.kh * g.kw);
  global_pool().parallel_for(static_cast<std::size_t>(g.N * g.C), std::max<std::size_t>(1, 16384 / (work + 1)), [&](std::size_t b, std::size_t e) {
    float* pad = scratch<float, 3>(kg.scratch_floats());
    for (std::size_t nc = b; nc < e; ++nc) {
      const std::int64_t ch = static_cast<std::int64_t>(nc) % g.C;
      float* yp = y + static_cast<std::int64_t>(nc) * g.OH * g.OW;
      kernels::depthwise_plane(x + static_cast<std::int64_t>(nc) * g.H * g.W, w + ch * g.kh * g.kw, bias ? bias[ch] : 0.0f, yp, kg, pad);
      if (ep) (*ep)(ch, yp, yp, g.OH * g.OW);
    }
  });
}
// The whole convolution: y = conv(x, w) (+ bias), then the epilogue if any: depthwise convs
// per plane, the rest as a GEMM of each (batch, group) on the kernel packed in panels (`wp`,
// from pack_conv_kernel; null: packed for this call): directly where the channels fill the
// kernel panels (conv_direct), else through an indirection table where that pays
// (conv_indirect), else on im2col blocks (conv_gemm).
// The path is a function of the geometry (choose_f32_conv_path), recorded per node at plan time
// (conv_op::choose); the packed kernel's layout follows the same test (direct_pays).
enum class f32_conv_path : int { depthwise = 2, direct = 3, indirect = 4, gemm = 5 };
inline f32_conv_path choose_f32_conv_path(const conv_geom& g) {
  const std::int64_t Cg = g.C / g.G, Og = g.O / g.G;
  if (Cg == 1 && Og == 1) return f32_conv_path::depthwise;
  if (direct_pays(g)) return f32_conv_path::direct;
  return !input_is_col(g) && indirect_pays(g, Og) ? f32_conv_path::indirect : f32_conv_path::gemm;
}
inline void conv_forward(const conv_geom& g, const float* x, const float* w, const float* bias, float* y, const conv_epilogue* ep = nullptr,
                         const float* wp = nullptr, f32_conv_path path = static_cast<f32_conv_path>(-1)) {
  if (static_cast<int>(path) < 0) path = choose_f32_conv_path(g);
  const std::int64_t Cg = g.C / g.G, Og = g.O / g.G, P = g.OH * g.OW;
  if (path == f32_conv_path::depthwise) return depthwise(g, x, w, bias, y, ep);
  if (!wp) {
    float* packed = scratch<float, 25>(conv_packed_kernel_size(g));
    pack_conv_kernel(g, w, packed);
    wp = packed;
  }
  const std::size_t per_group = conv_packed_kernel_size(g) / static_cast<std::size_t>(g.G);
  auto* run = path == f32_conv_path::direct ? conv_direct : path == f32_conv_path::indirect ? conv_indirect : conv_gemm;
  for (std::int64_t n = 0; n < g.N; ++n)
    for (std::int64_t grp = 0; grp < g.G; ++grp)
      run(g, x + (n * g.C + grp * Cg) * g.H * g.W, Cg, Og, wp + static_cast<std::size_t>(grp) * per_group,
                                             bias ? bias + grp * Og : nullptr, y + (n * g.O + grp * Og) * P, ep, grp * Og);
}
// Whether the int8 microkernel runs a group of Og output channels of K products each faster
// than the f32 convolution does: it quantizes each pixel's K inputs once (in groups of 128) for
// all Og channels, which pays from 64 channels and 256 products (quant_bench --conv, zoo_bench:
// bench/RESULTS.md); with fewer, the quantization costs more than the f32 products it saves.
inline bool packed_conv_pays(std::int64_t Og, std::int64_t K) { return Og >= 64 && K >= 256; }

// A convolution whose weight is packed (q8 / CQ, as `cactus convert --bits` writes conv kernels:
// a row per output channel of Cg*kh*kw inputs in [c][i][j] order, grouped by 128 like a
// linear's). The weight stays as converted (mmapped, 4.1 bits per weight at CQ4) instead of
// being held dequantized. Where the int8 microkernel runs and pays (kernels::quant_gemm8,
// packed_conv_pays), each task builds an im2col panel of pixels (the [K, pixels] layout of
// im2col_panel, in cache) and quantizes it, rotated per group of 128 like a linear's input, into
// the microkernel's packed blocks of 16 pixels column by column (kernels::pack_columns_i8; a 1x1
// convolution reads its input in place); the microkernel writes channels by pixels, which is
// NCHW.
// Which of the two runs it, chosen once per plan (conv_op::choose, recorded by the planner) from
// the geometry and the CPU: the microkernel where it runs and pays, else the dequantized kernel.
enum class packed_conv_path : int { microkernel = 0, dequantized = 1 };
// (`microkernel_anyway`: on the microkernel whenever the CPU has it, paying or not, for the bench
// that measures where it pays.)
inline packed_conv_path choose_packed_conv_path(const conv_geom& g, bool microkernel_anyway = false) {
  const std::int64_t Og = g.O / g.G, P = g.OH * g.OW, K = g.C / g.G * g.kh * g.kw;
  return P > 4 && (microkernel_anyway || packed_conv_pays(Og, K)) && kernels::quant_gemm8() ? packed_conv_path::microkernel
                                                                                             : packed_conv_path::dequantized;
}
inline void conv_packed(const conv_geom& g, const float* x, dtype wt, const void* w, const float* bias, float* y, const conv_epilogue* ep,
                        packed_conv_path path, kernels::int8_isa isa) {
  const std::int64_t Cg = g.C / g.G, Og = g.O / g.G, P = g.OH * g.OW, K = Cg * g.kh * g.kw;
  if (path == packed_conv_path::microkernel && kernels::quant_gemm8()) {
    constexpr std::int64_t B = 16;  // pixels per packed block
    const std::int64_t Kp = (K + packed_group - 1) / packed_group * packed_group, blocks = (P + B - 1) / B;
    const std::int64_t groups = Kp / packed_group;
    auto* xp = aligned_scratch<std::uint8_t, 11>(static_cast<std::size_t>(blocks * B * Kp));
    float* sp = aligned_scratch<float, 20>(static_cast<std::size_t>(blocks * B * groups));
    const bool direct = input_is_col(g);
    // pixels per task: an im2col panel of about 64K floats, whole blocks, and no fewer tasks
    // than threads
    const auto threads = static_cast<std::int64_t>(global_pool().size());
    const std::int64_t per_task = std::clamp<std::int64_t>(std::min(65536 / (K * B), (blocks + threads - 1) / threads), 1, 16);
    const std::size_t tasks = static_cast<std::size_t>((blocks + per_task - 1) / per_task);
    const std::size_t min_rows = std::max<std::size_t>(1, serial_work / static_cast<std::size_t>(P * Kp + 1));
    for (std::int64_t n = 0; n < g.N; ++n) {
      float* yn = y + n * g.O * P;
      for (std::int64_t grp = 0; grp < g.G; ++grp) {
        const float* xg = x + (n * g.C + grp * Cg) * g.H * g.W;
        global_pool().parallel_for(tasks, 1, [&](std::size_t b, std::size_t e) {
          float* col = scratch<float, 2>(static_cast<std::size_t>(K * per_task * B));
          for (std::size_t t = b; t < e; ++t) {
            const std::int64_t p0 = static_cast<std::int64_t>(t) * per_task * B, p1 = std::min(P, p0 + per_task * B);
            const std::int64_t ld = (p1 - p0 + B - 1) / B * B;
            const bool in_place = direct && p1 - p0 == ld;
            if (!in_place) {
              im2col_panel(g, xg, Cg, p0, p1, col, ld);
              for (std::int64_t r = 0; r < K; ++r) std::fill(col + r * ld + (p1 - p0), col + (r + 1) * ld, 0.0f);
            }
            for (std::int64_t q = p0; q < p1; q += B)
              kernels::pack_columns_i8(in_place ? xg + q : col + (q - p0), static_cast<std::size_t>(in_place ? P : ld), static_cast<std::size_t>(K),
                                       wt != dtype::q8, xp + q * Kp, sp + q * groups);
          }
        });
        global_pool().parallel_for(static_cast<std::size_t>(Og), min_rows, [&](std::size_t b, std::size_t e) {
          kernels::quant_gemm8_rows(wt, w, static_cast<std::size_t>(g.O), static_cast<std::size_t>(K), static_cast<std::size_t>(P), xp, sp,
                                    static_cast<std::size_t>(grp * Og) + b, static_cast<std::size_t>(grp * Og) + e, yn, static_cast<std::size_t>(P),
                                    ep ? nullptr : bias, true, isa);
        });
      }
      if (ep)
        global_pool().parallel_for(static_cast<std::size_t>(g.O), std::max<std::size_t>(1, elementwise_grain / static_cast<std::size_t>(P + 1)),
                                   [&](std::size_t b, std::size_t e) {
                                     for (auto o = static_cast<std::int64_t>(b); o < static_cast<std::int64_t>(e); ++o) (*ep)(o, yn + o * P, yn + o * P, P);
                                   });
    }
    return;
  }
  // elsewhere (no int8 instruction for the microkernel, a handful of pixels, or a small conv:
  // depthwise, few channels or products) the kernel is dequantized for this call and the f32
  // convolution runs: about the f32 speed, the packed kernel's memory
  float* wf = scratch<float, 15>(static_cast<std::size_t>(g.O * K));
  const tensor wp = tensor::view(wt, {g.O, Cg, g.kh, g.kw}, const_cast<void*>(w));
  global_pool().parallel_for(static_cast<std::size_t>(g.O), std::max<std::size_t>(1, 4096 / static_cast<std::size_t>(K + 1)),
                             [&](std::size_t b, std::size_t e) {
                               quant::unpack_rows(wp, static_cast<std::int64_t>(b), static_cast<std::int64_t>(e), wf + static_cast<std::int64_t>(b) * K);
                             });
  conv_forward(g, x, wf, bias, y, ep);
}
// ... on the path choose_packed_conv_path picks, with the int8 instructions the CPU has.
inline void conv_packed(const conv_geom& g, const float* x, dtype wt, const void* w, const float* bias, float* y, const conv_epilogue* ep = nullptr,
                        bool microkernel_anyway = false) {
  conv_packed(g, x, wt, w, bias, y, ep, choose_packed_conv_path(g, microkernel_anyway), kernels::choose_int8_isa());
}

// The kernel plan of a conv or conv_module node, once per plan of the graph: a packed kernel's
// path (choose_packed_conv_path: codes 0, 1) with the microkernel's int8 instructions
// (kernels::choose_int8_isa, + 8 * isa), else the f32 convolution's path (choose_f32_conv_path:
// 2-5).
inline int conv_choose(const context& c) {
  const conv_geom g = conv_geometry(c);
  if (!is_packed(c.in(1).type)) return static_cast<int>(choose_f32_conv_path(g));
  const packed_conv_path p = choose_packed_conv_path(g);
  return static_cast<int>(p) + (p == packed_conv_path::microkernel ? 8 * static_cast<int>(kernels::choose_int8_isa()) : 0);
}
inline const char* conv_choice_name(int code) {
  static const auto names = [] {
    static constexpr const char* paths[] = {"gemm8", "dequantized", "depthwise", "direct", "indirect", "gemm"};
    std::array<std::string, 32> n;
    for (int c = 0; c < 32; ++c)
      if (c % 8 <= 5) n[static_cast<std::size_t>(c)] = kernels::with_isa(paths[c % 8], static_cast<kernels::int8_isa>(c / 8));
    return n;
  }();
  check(code >= 0 && code < 32 && code % 8 <= 5, "unknown convolution path ", code);
  return names[static_cast<std::size_t>(code)].c_str();
}

// The whole convolution from an op's inputs (x at 0, the kernel at 1): on the packed kernel when
// the planner left it packed (--packed-conv), else on f32.
inline void conv_run(const conv_geom& g, const context& c, const float* bias, float* y, const conv_epilogue* ep = nullptr) {
  const slot& w = c.in(1);
  const int code = c.kernel_choice(conv_choose);
  if (is_packed(w.type))
    return conv_packed(g, c.f32_in(0).ptr<float>(), w.type, w.data, bias, y, ep, static_cast<packed_conv_path>(code % 8),
                       static_cast<kernels::int8_isa>(code / 8));
  const float* wf = c.f32_in(1).ptr<float>();
  const auto path = static_cast<f32_conv_path>(code);
  // a constant kernel is packed for the GEMM once per node (same memory again as the kernel)
  std::shared_ptr<const std::vector<float>> wp;
  if (w.is_const && path != f32_conv_path::depthwise) wp = c.prepared<std::vector<float>>(w.data, [&] { return packed_conv_kernel(g, wf); });
  conv_forward(g, c.f32_in(0).ptr<float>(), wf, bias, y, ep, wp ? wp->data() : nullptr, path);
}
}  // namespace detail

struct conv_op {
  static constexpr std::string_view name = "conv";
  static constexpr dims_rule fixed_dims = dims_rule::conv;
  static constexpr arity inputs{7};
  // f16 conv kernels are widened once at plan time (a folded cast): convs are compute-bound and
  // their weights small, so f32 weights in memory buy speed at little cost.
  static constexpr bool f16_weights = false;
  // packed (q8 / CQ) kernels can run through the packed matrix product (detail::conv_packed).
  // By default a kernel stays packed where that is faster than the f32 convolution of its
  // dequantized copy (packed_faster) and is dequantized at load elsewhere
  // (runtime::plan_weight_precision); transpile's --packed-conv keeps every one packed,
  // --f32-conv none.
  static constexpr std::uint32_t packed_on_request = 1u << 1;
  // Where this CPU runs the int8 microkernel (kernels::quant_gemm8) and it pays on the kernel's
  // shape [O, C / groups, kh, kw] (detail::packed_conv_pays). Decided at load, on the CPU.
  static bool packed_faster(std::size_t k, const shape_t& w) {
    if (k != 1 || w.size() < 3 || !kernels::quant_gemm8()) return false;
    std::int64_t products = 1;
    for (std::size_t i = 1; i < w.size(); ++i) products *= w[i];
    return detail::packed_conv_pays(w[0], products);
  }
  static int choose(const context& c) { return detail::conv_choose(c); }
  static const char* choice_name(int code) { return detail::conv_choice_name(code); }
  static void infer(context& c) {
    auto g = detail::conv_geometry(c);
    if (g.one_d) c.set_tensor(0, dtype::f32, {g.N, g.O, g.OW});
    else c.set_tensor(0, dtype::f32, {g.N, g.O, g.OH, g.OW});
  }
  static void run(context& c) {
    detail::conv_run(detail::conv_geometry(c), c, c.is_none(2) ? nullptr : c.f32_in(2).ptr<float>(), c.out(0).ptr<float>());
  }
};

}  // namespace cactus::ops
