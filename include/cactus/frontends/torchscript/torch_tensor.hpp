#pragma once
// cactus::tensor <-> at::Tensor copies (LibTorch side only: capture and reference runs).
#include <torch/script.h>

#include "cactus/core/tensor.hpp"

namespace cactus::frontends::torchscript {

inline at::ScalarType to_torch(dtype t) {
  switch (t) {
    case dtype::f32: return at::kFloat;
    case dtype::f16: return at::kHalf;
    case dtype::i64: return at::kLong;
    case dtype::i32: return at::kInt;
    case dtype::i8: return at::kChar;
    case dtype::u8: return at::kByte;
    case dtype::b8: return at::kBool;
    default: fail("a ", name_of(t), " tensor (packed weights) has no LibTorch dtype; dequantize it first");
  }
}

inline dtype from_torch(at::ScalarType t, const std::string& what) {
  switch (t) {
    case at::kFloat: case at::kDouble: return dtype::f32;
    case at::kHalf: return dtype::f16;
    case at::kLong: return dtype::i64;
    case at::kInt: return dtype::i32;
    case at::kChar: return dtype::i8;
    case at::kByte: return dtype::u8;
    case at::kBool: return dtype::b8;
    default: fail(what, ": unsupported tensor dtype ", c10::toString(t));
  }
}

inline at::Tensor to_torch(const tensor& t) {
  std::vector<std::int64_t> s(t.shape.begin(), t.shape.end());
  return torch::from_blob(t.data, s, torch::TensorOptions().dtype(to_torch(t.type))).clone();
}

inline tensor from_torch(const at::Tensor& in, const std::string& what) {
  at::Tensor t = in.detach().contiguous();
  if (t.scalar_type() == at::kDouble) t = t.to(at::kFloat);
  tensor r = tensor::empty(from_torch(t.scalar_type(), what), shape_t(t.sizes().begin(), t.sizes().end()));
  std::memcpy(r.data, t.data_ptr(), r.bytes());
  return r;
}

}  // namespace cactus::frontends::torchscript
