// Internal: calling a templated lambda with the C++ type of a runtime dtype.
//   dispatch_floating(x.dtype(), "tanh", [&]<typename T>() { ... T* p = x.data_ptr<T>(); ... });
#pragma once

#include "core/dtype.h"
#include "core/error.h"

#include <cstdint>

namespace ember::detail {

template <typename F>
decltype(auto) dispatch_floating(DType dtype, const char* op, F&& f) {
  switch (dtype) {
    case kFloat32: return f.template operator()<float>();
    case kFloat64: return f.template operator()<double>();
    default: break;
  }
  throw TypeError(fmt::format("{}: expected a float32 or float64 tensor, got {}", op, dtype_name(dtype)));
}

// float32, float64, int64 and int32.
template <typename F>
decltype(auto) dispatch_numeric(DType dtype, const char* op, F&& f) {
  switch (dtype) {
    case kFloat32: return f.template operator()<float>();
    case kFloat64: return f.template operator()<double>();
    case kInt64: return f.template operator()<std::int64_t>();
    case kInt32: return f.template operator()<std::int32_t>();
    default: break;
  }
  throw TypeError(fmt::format("{}: expected a float32, float64, int64 or int32 tensor, got {}", op, dtype_name(dtype)));
}

template <typename F>
decltype(auto) dispatch_all(DType dtype, F&& f) {
  switch (dtype) {
    case kFloat32: return f.template operator()<float>();
    case kFloat64: return f.template operator()<double>();
    case kInt64: return f.template operator()<std::int64_t>();
    case kBool: return f.template operator()<bool>();
    case kInt32: return f.template operator()<std::int32_t>();
  }
  throw InternalError("dispatch_all: unknown dtype");
}

}  // namespace ember::detail
