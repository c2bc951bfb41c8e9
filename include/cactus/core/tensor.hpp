#pragma once
// cactus::tensor: a dense row-major array with shared ownership of its bytes. The owner may be
// a heap block, an mmapped file or an arena; views keep their owner alive.
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <new>

#include "cactus/core/dtype.hpp"
#include "cactus/core/packed.hpp"
#include "cactus/core/shape.hpp"

namespace cactus {

struct tensor {
  dtype type = dtype::f32;
  shape_t shape;
  void* data = nullptr;
  std::shared_ptr<void> owner;

  static tensor empty(dtype t, shape_t s) {
    tensor r;
    r.type = t;
    r.shape = std::move(s);
    std::size_t bytes = storage_bytes(t, r.shape);
    // 64-byte alignment suits every SIMD width we dispatch to.
    void* p = ::operator new(bytes ? bytes : 1, std::align_val_t{64});
    r.owner = std::shared_ptr<void>(p, [](void* q) { ::operator delete(q, std::align_val_t{64}); });
    r.data = p;
    return r;
  }
  static tensor zeros(dtype t, shape_t s) {
    tensor r = empty(t, std::move(s));
    std::memset(r.data, 0, r.bytes());
    return r;
  }
  static tensor view(dtype t, shape_t s, void* data, std::shared_ptr<void> owner = nullptr) {
    tensor r;
    r.type = t;
    r.shape = std::move(s);
    r.data = data;
    r.owner = std::move(owner);
    return r;
  }

  std::int64_t numel() const { return cactus::numel(shape); }
  std::size_t bytes() const { return storage_bytes(type, shape); }
  std::int64_t rank() const { return static_cast<std::int64_t>(shape.size()); }
  template <class T> T* ptr() const { return static_cast<T*>(data); }
  tensor clone() const {
    tensor r = empty(type, shape);
    std::memcpy(r.data, data, bytes());
    return r;
  }
  // f32 copy of a floating tensor (f16 widened); other dtypes are converted by value.
  tensor to_f32() const {
    tensor r = empty(dtype::f32, shape);
    float* o = r.ptr<float>();
    std::int64_t n = numel();
    for (std::int64_t i = 0; i < n; ++i) o[i] = element_as_double(i);
    return r;
  }
  double element_as_double(std::int64_t i) const {
    check(!is_packed(type), "element_as_double: a ", name_of(type), " tensor has no per-element storage (dequantize it first)");
    switch (type) {
      case dtype::f32: return ptr<float>()[i];
      case dtype::f16: return f16_to_f32(ptr<std::uint16_t>()[i]);
      case dtype::i64: return static_cast<double>(ptr<std::int64_t>()[i]);
      case dtype::i32: return ptr<std::int32_t>()[i];
      case dtype::i8: return ptr<std::int8_t>()[i];
      case dtype::u8: case dtype::b8: return ptr<std::uint8_t>()[i];
      default: break;
    }
    return 0;
  }
};

}  // namespace cactus
