// The libtorch-style methods declared in core/tensor.h: x.sum({1}) is ember::sum(x, {1}). Each is
// a one-line forwarder to the free function of the same name (autograd/ops.h), so an op lives in
// one place. They are defined here, out of line, so that code which includes only core/tensor.h
// links; the extra call costs nothing next to the op it forwards to.
#include "autograd/ops.h"

namespace ember {

Tensor Tensor::operator[](std::int64_t index) const { return ember::select(*this, 0, index); }
Tensor Tensor::sum(const std::vector<std::int64_t>& dims, bool keepdim) const { return ember::sum(*this, dims, keepdim); }
Tensor Tensor::mean(const std::vector<std::int64_t>& dims, bool keepdim) const { return ember::mean(*this, dims, keepdim); }
Tensor Tensor::max() const { return ember::max(*this); }
Tensor Tensor::min() const { return ember::min(*this); }
std::pair<Tensor, Tensor> Tensor::max(std::int64_t dim, bool keepdim) const { return ember::max(*this, dim, keepdim); }
std::pair<Tensor, Tensor> Tensor::min(std::int64_t dim, bool keepdim) const { return ember::min(*this, dim, keepdim); }
Tensor Tensor::argmax(std::int64_t dim, bool keepdim) const { return ember::argmax(*this, dim, keepdim); }
Tensor Tensor::norm(double p, const std::vector<std::int64_t>& dims, bool keepdim) const { return ember::norm(*this, p, dims, keepdim); }
Tensor Tensor::softmax(std::int64_t dim) const { return ember::softmax(*this, dim); }
Tensor Tensor::log_softmax(std::int64_t dim) const { return ember::log_softmax(*this, dim); }
Tensor Tensor::neg() const { return ember::neg(*this); }
Tensor Tensor::exp() const { return ember::exp(*this); }
Tensor Tensor::log() const { return ember::log(*this); }
Tensor Tensor::tanh() const { return ember::tanh(*this); }
Tensor Tensor::sigmoid() const { return ember::sigmoid(*this); }
Tensor Tensor::relu() const { return ember::relu(*this); }
Tensor Tensor::sqrt() const { return ember::sqrt(*this); }
Tensor Tensor::abs() const { return ember::abs(*this); }
Tensor Tensor::pow(double exponent) const { return ember::pow(*this, exponent); }
Tensor Tensor::pow(const Tensor& exponent) const { return ember::pow(*this, exponent); }
Tensor Tensor::clamp(std::optional<double> min, std::optional<double> max) const { return ember::clamp(*this, min, max); }
Tensor Tensor::add(const Tensor& other, double alpha) const { return ember::add(*this, other, alpha); }
Tensor Tensor::sub(const Tensor& other, double alpha) const { return ember::sub(*this, other, alpha); }
Tensor Tensor::mul(const Tensor& other) const { return ember::mul(*this, other); }
Tensor Tensor::div(const Tensor& other) const { return ember::div(*this, other); }
Tensor Tensor::masked_fill(const Tensor& mask, double value) const { return ember::masked_fill(*this, mask, value); }
Tensor Tensor::eq(const Tensor& other) const { return ember::eq(*this, other); }
Tensor Tensor::ne(const Tensor& other) const { return ember::ne(*this, other); }
Tensor Tensor::lt(const Tensor& other) const { return ember::lt(*this, other); }
Tensor Tensor::le(const Tensor& other) const { return ember::le(*this, other); }
Tensor Tensor::gt(const Tensor& other) const { return ember::gt(*this, other); }
Tensor Tensor::ge(const Tensor& other) const { return ember::ge(*this, other); }
Tensor Tensor::matmul(const Tensor& other) const { return ember::matmul(*this, other); }
Tensor Tensor::mm(const Tensor& other) const { return ember::mm(*this, other); }
Tensor Tensor::bmm(const Tensor& other) const { return ember::bmm(*this, other); }
Tensor Tensor::view(const Shape& shape) const { return ember::view(*this, shape); }
Tensor Tensor::reshape(const Shape& shape) const { return ember::reshape(*this, shape); }
Tensor Tensor::flatten(std::int64_t start_dim, std::int64_t end_dim) const { return ember::flatten(*this, start_dim, end_dim); }
Tensor Tensor::transpose(std::int64_t dim0, std::int64_t dim1) const { return ember::transpose(*this, dim0, dim1); }
Tensor Tensor::t() const { return ember::t(*this); }
Tensor Tensor::permute(const std::vector<std::int64_t>& dims) const { return ember::permute(*this, dims); }
Tensor Tensor::narrow(std::int64_t dim, std::int64_t start, std::int64_t length) const { return ember::narrow(*this, dim, start, length); }
Tensor Tensor::slice(std::int64_t dim, std::int64_t start, std::int64_t end) const { return ember::slice(*this, dim, start, end); }
Tensor Tensor::select(std::int64_t dim, std::int64_t index) const { return ember::select(*this, dim, index); }
Tensor Tensor::unsqueeze(std::int64_t dim) const { return ember::unsqueeze(*this, dim); }
Tensor Tensor::squeeze() const { return ember::squeeze(*this); }
Tensor Tensor::squeeze(std::int64_t dim) const { return ember::squeeze(*this, dim); }
Tensor Tensor::expand(const Shape& shape) const { return ember::expand(*this, shape); }
std::vector<Tensor> Tensor::unbind(std::int64_t dim) const { return ember::unbind(*this, dim); }
Tensor Tensor::contiguous() const { return ember::contiguous(*this); }
Tensor Tensor::clone() const { return ember::clone(*this); }
Tensor Tensor::to(DType dtype) const { return ember::to(*this, dtype); }
Tensor Tensor::index_select(std::int64_t dim, const Tensor& index) const { return ember::index_select(*this, dim, index); }
Tensor Tensor::gather(std::int64_t dim, const Tensor& index) const { return ember::gather(*this, dim, index); }
Tensor Tensor::scatter_add(std::int64_t dim, const Tensor& index, const Tensor& src) const { return ember::scatter_add(*this, dim, index, src); }
Tensor Tensor::index_add(std::int64_t dim, const Tensor& index, const Tensor& src) const { return ember::index_add(*this, dim, index, src); }

}  // namespace ember
