// Tensor: storage, metadata, raw access, in-place writes and creation functions.
#include "core/tensor.h"

#include "core/allocator.h"
#include "core/dispatch.h"
#include "core/kernels.h"
#include "core/strided_loop.h"

#include <cmath>
#include <cstring>
#include <limits>

namespace ember {

// ---- Storage ----------------------------------------------------------------------------

Storage::Storage(std::size_t nbytes) : data(allocator::allocate(nbytes)), nbytes(nbytes) {}

Storage::Storage(void* data, std::size_t nbytes, std::function<void(void*)> deleter)
    : data(data), nbytes(nbytes), deleter(std::move(deleter)) {
  // User memory: the deleter (possibly a no-op) replaces the allocator.
  if (!this->deleter) this->deleter = [](void*) {};
}

Storage::~Storage() {
  if (deleter) deleter(data);
  else allocator::deallocate(data, nbytes);
}

// ---- metadata ---------------------------------------------------------------------------

std::int64_t Tensor::size(std::int64_t dim) const { return impl_->shape[wrap_dim(dim, this->dim(), "size")]; }

std::int64_t Tensor::stride(std::int64_t dim) const {
  return impl_->strides[wrap_dim(dim, this->dim(), "stride")];
}

bool Tensor::is_contiguous() const {
  std::int64_t expected = 1;
  for (std::int64_t d = dim() - 1; d >= 0; --d) {
    if (impl_->shape[d] == 1) continue;  // any stride is fine for a size-1 dim
    if (impl_->strides[d] != expected) return false;
    expected *= impl_->shape[d];
  }
  return true;
}

void* Tensor::raw_data() const {
  return static_cast<char*>(impl_->storage->data) + impl_->offset * static_cast<std::int64_t>(element_size());
}

void check_defined(const Tensor& t, const char* op, const char* name) {
  EMBER_CHECK(t.defined(), ValueError, "{}: {} is undefined; expected a tensor", op, name);
}

void Tensor::check_dtype(DType expected, const char* op) const {
  EMBER_CHECK(defined(), ValueError, "{}: the tensor is undefined", op);
  EMBER_CHECK(dtype() == expected, TypeError, "{}: tensor has dtype {}; expected {}", op,
              dtype_name(dtype()), dtype_name(expected));
}

template <typename T> T Tensor::item() const {
  EMBER_CHECK(defined() && numel() == 1, ValueError,
              "item: a tensor with {} elements cannot be converted to a scalar; expected exactly 1",
              defined() ? numel() : 0);
  return detail::dispatch_all(dtype(), [&]<typename S>() {
    return static_cast<T>(*static_cast<const S*>(raw_data()));
  });
}

template <typename T> std::vector<T> Tensor::to_vector() const {
  EMBER_CHECK(defined(), ValueError, "to_vector: the tensor is undefined");
  std::vector<T> out;
  out.reserve(numel());
  detail::dispatch_all(dtype(), [&]<typename S>() {
    const S* base = static_cast<const S*>(impl_->storage->data);
    detail::for_each_row<1>(shape(), {&strides()}, [&](auto offs, std::int64_t n, auto st) {
      const S* p = base + offset() + offs[0];
      for (std::int64_t i = 0; i < n; ++i) out.push_back(static_cast<T>(p[i * st[0]]));
    });
  });
  return out;
}

template float Tensor::item<float>() const;
template double Tensor::item<double>() const;
template std::int64_t Tensor::item<std::int64_t>() const;
template int Tensor::item<int>() const;
template bool Tensor::item<bool>() const;
template std::vector<float> Tensor::to_vector<float>() const;
template std::vector<double> Tensor::to_vector<double>() const;
template std::vector<std::int64_t> Tensor::to_vector<std::int64_t>() const;
template std::vector<int> Tensor::to_vector<int>() const;

// ---- in-place kernels (Tensor's in-place methods, in autograd/inplace.cpp, call these) ------
// They write and nothing else: the caller bumps the version.

namespace kernels {

void fill_(const Tensor& t, double value) {
  detail::dispatch_all(t.dtype(), [&]<typename T>() {
    T* base = static_cast<T*>(t.impl()->storage->data) + t.offset();
    const T v = static_cast<T>(value);
    detail::for_each_row<1>(t.shape(), {&t.strides()}, [&](auto offs, std::int64_t n, auto st) {
      T* p = base + offs[0];
      if (st[0] == 1) std::fill(p, p + n, v);
      else for (std::int64_t i = 0; i < n; ++i) p[i * st[0]] = v;
    });
  });
}

namespace {
// Fills every element of t (any strides) with draw(), in row-major order.
template <typename T, typename Draw> void fill_with(const Tensor& t, Draw draw) {
  T* base = static_cast<T*>(t.impl()->storage->data) + t.offset();
  detail::for_each_row<1>(t.shape(), {&t.strides()}, [&](auto offs, std::int64_t n, auto st) {
    for (std::int64_t i = 0; i < n; ++i) base[offs[0] + i * st[0]] = draw();
  });
}
}  // namespace

void uniform_(const Tensor& t, double low, double high) {
  EMBER_CHECK(low <= high, ValueError, "uniform_: expects low <= high, got low={} high={}", low, high);
  Generator& gen = default_generator();
  detail::dispatch_floating(t.dtype(), "uniform_", [&]<typename T>() {
    if constexpr (std::is_same_v<T, float>)
      fill_with<T>(t, [&] { return static_cast<float>(low + (high - low) * gen.next_float()); });
    else
      fill_with<T>(t, [&] { return low + (high - low) * gen.next_double(); });
  });
}

void normal_(const Tensor& t, double mean, double std) {
  EMBER_CHECK(std >= 0, ValueError, "normal_: expects std >= 0, got std={}", std);
  Generator& gen = default_generator();
  detail::dispatch_floating(t.dtype(), "normal_", [&]<typename T>() {
    fill_with<T>(t, [&] { return static_cast<T>(mean + std * gen.next_normal()); });
  });
}

void mul_(const Tensor& t, double factor) {
  detail::dispatch_numeric(t.dtype(), "mul_", [&]<typename T>() {
    T* base = static_cast<T*>(t.impl()->storage->data) + t.offset();
    const T f = static_cast<T>(factor);
    detail::for_each_row<1>(t.shape(), {&t.strides()}, [&](auto offs, std::int64_t n, auto st) {
      for (std::int64_t i = 0; i < n; ++i) base[offs[0] + i * st[0]] *= f;
    });
  });
}

}  // namespace kernels


// ---- creation ---------------------------------------------------------------------------

Tensor empty(const Shape& shape, DType dtype) {
  const std::size_t nbytes = checked_nbytes(shape, element_size(dtype), "empty");
  auto impl = std::make_shared<TensorImpl>();
  impl->storage = std::make_shared<Storage>(nbytes);
  impl->shape = shape;
  impl->strides = contiguous_strides(shape);
  impl->dtype = dtype;
  return Tensor(std::move(impl));
}

Tensor full(const Shape& shape, double value, DType dtype) {
  Tensor t = empty(shape, dtype);
  detail::dispatch_all(dtype, [&]<typename T>() {
    std::fill_n(t.data_ptr<T>(), t.numel(), static_cast<T>(value));
  });
  return t;
}

Tensor zeros(const Shape& shape, DType dtype) {
  Tensor t = empty(shape, dtype);
  if (t.numel() > 0) std::memset(t.raw_data(), 0, t.numel() * t.element_size());
  return t;
}
Tensor ones(const Shape& shape, DType dtype) { return full(shape, 1.0, dtype); }
Tensor zeros_like(const Tensor& t) {
  check_defined(t, "zeros_like");
  return zeros(t.shape(), t.dtype());
}
Tensor ones_like(const Tensor& t) {
  check_defined(t, "ones_like");
  return ones(t.shape(), t.dtype());
}
Tensor empty_like(const Tensor& t) {
  check_defined(t, "empty_like");
  return empty(t.shape(), t.dtype());
}
Tensor full_like(const Tensor& t, double value) {
  check_defined(t, "full_like");
  return full(t.shape(), value, t.dtype());
}

Tensor arange(double end, DType dtype) { return arange(0, end, 1, dtype); }

Tensor arange(double start, double end, double step, DType dtype) {
  EMBER_CHECK(std::isfinite(start) && std::isfinite(end) && std::isfinite(step), ValueError,
              "arange: range [{}, {}) with step {} is not finite; expected finite numbers", start, end, step);
  EMBER_CHECK(step != 0, ValueError, "arange: step must be non-zero");
  EMBER_CHECK((end - start) / step >= 0, ValueError,
              "arange: range [{}, {}) with step {} runs backwards; expected the sign of step to match",
              start, end, step);
  const double count = std::ceil((end - start) / step);
  // 2^63 is the first double beyond int64: compare before converting (the conversion is undefined).
  EMBER_CHECK(count < 9223372036854775808.0, ValueError,
              "arange: range [{}, {}) with step {} holds {} elements; expected at most {}", start, end, step,
              count, std::numeric_limits<std::int64_t>::max());
  const auto n = static_cast<std::int64_t>(count);
  Tensor t = empty({n}, dtype);
  detail::dispatch_numeric(dtype, "arange", [&]<typename T>() {
    T* p = t.data_ptr<T>();
    for (std::int64_t i = 0; i < n; ++i) p[i] = static_cast<T>(start + i * step);
  });
  return t;
}

Tensor eye(std::int64_t n, DType dtype) {
  Tensor t = zeros({n, n}, dtype);
  detail::dispatch_all(dtype, [&]<typename T>() {
    T* p = t.data_ptr<T>();
    for (std::int64_t i = 0; i < n; ++i) p[i * n + i] = static_cast<T>(1);
  });
  return t;
}

Tensor scalar_tensor(double value, DType dtype) { return full({}, value, dtype); }

Tensor tensor(const std::vector<double>& values, const Shape& shape, DType dtype) {
  EMBER_CHECK(numel(shape) == static_cast<std::int64_t>(values.size()), ShapeError,
              "tensor: {} values do not fill shape {} ({} elements)", values.size(), shape_str(shape),
              numel(shape));
  Tensor t = empty(shape, dtype);
  detail::dispatch_all(dtype, [&]<typename T>() {
    T* p = t.data_ptr<T>();
    for (std::size_t i = 0; i < values.size(); ++i) p[i] = static_cast<T>(values[i]);
  });
  return t;
}

Tensor tensor(const std::vector<double>& values, DType dtype) {
  return tensor(values, {static_cast<std::int64_t>(values.size())}, dtype);
}

Tensor tensor(std::initializer_list<double> values, DType dtype) {
  return tensor(std::vector<double>(values), dtype);
}

Tensor tensor(const std::vector<std::int64_t>& values, const Shape& shape) {
  EMBER_CHECK(numel(shape) == static_cast<std::int64_t>(values.size()), ShapeError,
              "tensor: {} values do not fill shape {} ({} elements)", values.size(), shape_str(shape),
              numel(shape));
  Tensor t = empty(shape, kInt64);
  if (!values.empty()) std::memcpy(t.raw_data(), values.data(), values.size() * sizeof(std::int64_t));
  return t;
}

Tensor from_blob(void* data, const Shape& shape, DType dtype, std::function<void(void*)> deleter) {
  const std::size_t nbytes = checked_nbytes(shape, element_size(dtype), "from_blob");
  EMBER_CHECK(data != nullptr || nbytes == 0, ValueError,
              "from_blob: data is a null pointer for shape {} ({} bytes); expected memory holding the elements",
              shape_str(shape), nbytes);
  auto impl = std::make_shared<TensorImpl>();
  impl->storage = std::make_shared<Storage>(data, nbytes, std::move(deleter));
  impl->shape = shape;
  impl->strides = contiguous_strides(shape);
  impl->dtype = dtype;
  return Tensor(std::move(impl));
}

}  // namespace ember
