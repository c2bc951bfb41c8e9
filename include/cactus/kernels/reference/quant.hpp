#pragma once
// Scalar oracle of the packed-weight matrix products (kernels/quant_*-inl.hpp): one output as
// integer arithmetic on the same quantized activations the kernels use, so a kernel must match
// it to rounding: per group of 128, the weights' int8 values (quant::group_values) times the
// activations, scaled by (the group's weight factor x the activation step).
#include <cmath>
#include <cstddef>
#include <functional>

#include "cactus/core/packed.hpp"
#include "cactus/core/tensor.hpp"
#include "cactus/quant/quantize.hpp"

namespace cactus::kernels::reference {

// Row n of the packed matrix p (format fmt, G groups) against activations xq(g, j) with steps
// step(g); *magnitude accumulates sum |term| (a scale for the tolerance).
inline double quant_dot(dtype fmt, const tensor& p, std::size_t n, std::size_t G, const std::function<double(std::size_t, std::size_t)>& xq,
                        const std::function<double(std::size_t)>& step, double* magnitude) {
  const packed_layout l = packed_layout_of(fmt, p.shape);
  std::int8_t vals[128];
  double sum = 0;
  for (std::size_t g = 0; g < G; ++g) {
    quant::group_values(fmt, l.codes(p.data, static_cast<std::int64_t>(n)) + g * l.code_bytes, vals);
    double isum = 0;
    for (std::size_t j = 0; j < 128; ++j) isum += double(vals[j]) * xq(g, j);
    const double f = quant::group_factor(fmt, l.scales(p.data, static_cast<std::int64_t>(n))[g]) * step(g);
    sum += f * isum;
    if (magnitude) *magnitude += std::fabs(f * isum);
  }
  return sum;
}

}  // namespace cactus::kernels::reference
