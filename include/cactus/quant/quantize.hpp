#pragma once
// Packing f32 weights into q8 and CQ (core/packed.hpp has the byte layout, quant/codebook.hpp
// the codebooks), and the scalar reference that unpacks them. unpack() computes exactly what
// the kernels compute per weight, so tests compare kernels against it.
//
// q8: each group of 128 stores step = absmax / 127 (as f16) and round(w / step).
// CQ: the codes are the nearest codebook levels of the rotated unit vector R (w / n), n the
//     group's L2 norm; the group stores s = n * a (as f16), a the least-squares gain of those
//     levels (about 1). A weight decodes as R^T (s * step * levels[code]).
#include <algorithm>
#include <cmath>
#include <mutex>
#include <string>

#include "cactus/core/parallel.hpp"
#include "cactus/core/tensor.hpp"
#include "cactus/quant/codebook.hpp"

namespace cactus::quant {

// Writes the 128 codes of a group into its packed bytes (layout in core/packed.hpp).
inline void pack_group_codes(int bits, const std::uint8_t* code, unsigned char* out) {
  std::fill(out, out + group_code_bytes(bits), 0);
  switch (bits) {
    case 8: std::copy(code, code + 128, out); break;
    case 4: for (int j = 0; j < 64; ++j) out[j] = static_cast<unsigned char>(code[j] | code[j + 64] << 4); break;
    case 2:
      for (int j = 0; j < 32; ++j)
        for (int i = 0; i < 4; ++i) out[j] |= static_cast<unsigned char>((code[j + 32 * i] & 3) << (2 * i));
      break;
    case 1:
      for (int j = 0; j < 16; ++j)
        for (int i = 0; i < 8; ++i) out[j] |= static_cast<unsigned char>((code[j + 16 * i] & 1) << i);
      break;
    case 3:
      for (int j = 0; j < 32; ++j)
        for (int i = 0; i < 4; ++i) out[j] |= static_cast<unsigned char>((code[j + 32 * i] & 3) << (2 * i));
      for (int j = 0; j < 16; ++j)
        for (int i = 0; i < 8; ++i) out[32 + j] |= static_cast<unsigned char>(((code[j + 16 * i] >> 2) & 1) << i);
      break;
    default: fail("pack_group_codes: ", bits, " bits is not a packed format");
  }
}

inline void unpack_group_codes(int bits, const unsigned char* in, std::uint8_t* code) {
  for (int c = 0; c < 128; ++c) {
    switch (bits) {
      case 8: code[c] = in[c]; break;
      case 4: code[c] = c < 64 ? in[c] & 15 : in[c - 64] >> 4; break;
      case 2: code[c] = (in[c % 32] >> (2 * (c / 32))) & 3; break;
      case 1: code[c] = (in[c % 16] >> (c / 16)) & 1; break;
      case 3: code[c] = static_cast<std::uint8_t>(((in[c % 32] >> (2 * (c / 32))) & 3) | (((in[32 + c % 16] >> (c / 16)) & 1) << 2)); break;
      default: fail("unpack_group_codes: ", bits, " bits is not a packed format");
    }
  }
}

// The int8 value of each code: the code itself for q8, the codebook level for CQ.
inline void group_values(dtype fmt, const unsigned char* in, std::int8_t* v) {
  std::uint8_t code[128];
  unpack_group_codes(packed_bits(fmt), in, code);
  if (fmt == dtype::q8) {
    std::memcpy(v, code, 128);
  } else {
    const auto& cb = cq_codebook(packed_bits(fmt));
    for (int c = 0; c < 128; ++c) v[c] = cb.levels[code[c]];
  }
}

// Multiplier of a group's int8 values: step for q8, norm * codebook step for CQ.
inline float group_factor(dtype fmt, std::uint16_t stored) {
  const float s = f16_to_f32(stored);
  return fmt == dtype::q8 ? s : s * cq_codebook(packed_bits(fmt)).step;
}

// Packs an f32 tensor of rank >= 1 (rows along dim 0, see core/packed.hpp). `what` names the
// tensor in errors.
inline tensor pack(const tensor& w, dtype fmt, const std::string& what = "tensor") {
  check(w.type == dtype::f32, what, ": pack expects f32 weights, got ", name_of(w.type));
  check(is_packed(fmt), what, ": ", name_of(fmt), " is not a packed format");
  const packed_layout l = packed_layout_of(fmt, w.shape);
  tensor out = tensor::zeros(fmt, w.shape);
  const float* src = w.ptr<float>();
  const int bits = l.bits;
  std::string err;
  std::mutex err_mu;
  global_pool().parallel_for(static_cast<std::size_t>(l.rows), 1, [&](std::size_t r0, std::size_t r1) {
    float g[128];
    std::uint8_t code[128];
    for (std::size_t r = r0; r < r1; ++r) {
      auto* codes = const_cast<unsigned char*>(l.codes(out.data, static_cast<std::int64_t>(r)));
      auto* scales = const_cast<std::uint16_t*>(l.scales(out.data, static_cast<std::int64_t>(r)));
      for (std::int64_t gi = 0; gi < l.groups; ++gi) {
        const std::int64_t k0 = gi * packed_group, kn = std::min<std::int64_t>(packed_group, l.k - k0);
        std::fill(g, g + 128, 0.0f);
        std::copy(src + static_cast<std::int64_t>(r) * l.k + k0, src + static_cast<std::int64_t>(r) * l.k + k0 + kn, g);
        double sumsq = 0, amax = 0;
        for (float v : g) { sumsq += double(v) * v; amax = std::max(amax, double(std::fabs(v))); }
        if (!std::isfinite(sumsq)) {
          std::lock_guard<std::mutex> lk(err_mu);
          err = what + ": row " + std::to_string(r) + " has a non-finite value";
          return;
        }
        if (fmt == dtype::q8) {
          if (amax / 127.0 > 65504.0) {
            std::lock_guard<std::mutex> lk(err_mu);
            err = what + ": row " + std::to_string(r) + " has magnitude " + std::to_string(amax) + ", beyond the f16 range of int8 steps; keep it at higher precision (--keep)";
            return;
          }
          const std::uint16_t sh = f32_to_f16(static_cast<float>(amax / 127.0));
          const float step = f16_to_f32(sh);
          scales[gi] = sh;
          for (int c = 0; c < 128; ++c)
            code[c] = static_cast<std::uint8_t>(static_cast<std::int8_t>(step > 0 ? std::clamp(std::nearbyint(g[c] / step), -127.0f, 127.0f) : 0.0f));
        } else {
          const double norm = std::sqrt(sumsq);
          if (norm > 65504.0) {
            std::lock_guard<std::mutex> lk(err_mu);
            err = what + ": row " + std::to_string(r) + " group " + std::to_string(gi) + " has L2 norm " + std::to_string(norm) +
                  ", beyond the f16 range CQ stores norms in; keep this tensor at higher precision (--keep)";
            return;
          }
          const auto& cb = cq_codebook(bits);
          const int levels = 1 << bits;
          if (norm > 0) {
            for (float& v : g) v = static_cast<float>(v / norm);
            rotate_group(g);
          }
          double yq = 0, qq = 0;
          for (int c = 0; c < 128; ++c) {
            const float t = g[c] / cb.step;  // in int8 units
            int best = 0;
            for (int i = 1; i < levels; ++i)
              if (std::fabs(t - cb.levels[static_cast<std::size_t>(i)]) < std::fabs(t - cb.levels[static_cast<std::size_t>(best)])) best = i;
            code[c] = static_cast<std::uint8_t>(best);
            const double q = cb.levels[static_cast<std::size_t>(best)] * double(cb.step);
            yq += g[c] * q;
            qq += q * q;
          }
          // least-squares gain of the chosen levels (close to 1): a free ~2% lower error
          scales[gi] = f32_to_f16(static_cast<float>(norm > 0 && qq > 0 ? norm * yq / qq : 0.0));
        }
        pack_group_codes(bits, code, codes + static_cast<std::size_t>(gi) * l.code_bytes);
      }
    }
  });
  check(err.empty(), err);
  return out;
}

// Rows [r0, r1) of a packed tensor as f32, K values per row, into y.
inline void unpack_rows(const tensor& p, std::int64_t r0, std::int64_t r1, float* y) {
  const packed_layout l = packed_layout_of(p.type, p.shape);
  std::int8_t v[128];
  float g[128];
  for (std::int64_t r = r0; r < r1; ++r) {
    const unsigned char* codes = l.codes(p.data, r);
    const std::uint16_t* scales = l.scales(p.data, r);
    for (std::int64_t gi = 0; gi < l.groups; ++gi) {
      group_values(p.type, codes + static_cast<std::size_t>(gi) * l.code_bytes, v);
      const float f = group_factor(p.type, scales[gi]);
      for (int c = 0; c < 128; ++c) g[c] = f * v[c];
      if (p.type != dtype::q8) unrotate_group(g);
      const std::int64_t k0 = gi * packed_group, kn = std::min<std::int64_t>(packed_group, l.k - k0);
      std::copy(g, g + kn, y + (r - r0) * l.k + k0);
    }
  }
}

inline tensor unpack(const tensor& p) {
  tensor out = tensor::empty(dtype::f32, p.shape);
  const packed_layout l = packed_layout_of(p.type, p.shape);
  global_pool().parallel_for(static_cast<std::size_t>(l.rows), 1, [&](std::size_t r0, std::size_t r1) {
    unpack_rows(p, static_cast<std::int64_t>(r0), static_cast<std::int64_t>(r1), out.ptr<float>() + static_cast<std::int64_t>(r0) * l.k);
  });
  return out;
}

}  // namespace cactus::quant
