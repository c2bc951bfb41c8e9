// Every per-target kernel header; dispatch.hpp names this file as HWY_TARGET_INCLUDE so that
// foreach_target re-includes them all once per compiled target.
#include "cactus/kernels/conv_direct-inl.hpp"
#include "cactus/kernels/depthwise-inl.hpp"
#include "cactus/kernels/elementwise-inl.hpp"
#include "cactus/kernels/gemm-inl.hpp"
#include "cactus/kernels/im2col-inl.hpp"
#include "cactus/kernels/quant_activations-inl.hpp"
#include "cactus/kernels/quant_weights-inl.hpp"
#include "cactus/kernels/quant_dot16-inl.hpp"
#include "cactus/kernels/quant_dot8-inl.hpp"
#include "cactus/kernels/quant_gemm8-inl.hpp"
#include "cactus/kernels/rows-inl.hpp"
// last: the fused kernels call the GEMM and element-wise ones, attention over a cache the
// fused softmax
#include "cactus/kernels/fused-inl.hpp"
#include "cactus/kernels/cached_attention-inl.hpp"
