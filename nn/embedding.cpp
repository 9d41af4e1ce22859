// nn::Embedding, F::embedding and clamp_indices; also the option checks EmbeddingBag shares.
#include "nn/embedding.h"

#include "autograd/grad_mode.h"
#include "autograd/ops_embedding.h"
#include "core/kernels.h"

#include <fmt/format.h>

#include <cmath>

namespace ember::nn {

namespace detail {

std::string python_float(double value) {
  if (std::isnan(value)) return "nan";
  if (std::isinf(value)) return value > 0 ? "inf" : "-inf";
  std::string s = fmt::format("{}", value);  // shortest round-trip, like Python's repr
  if (s.find_first_of(".e") == std::string::npos) s += ".0";
  return s;
}

std::optional<std::int64_t> check_table_options(const char* module, std::int64_t num_embeddings,
                                                std::int64_t embedding_dim, std::optional<std::int64_t> padding_idx,
                                                std::optional<double> max_norm, double norm_type, const Tensor& weight,
                                                DType dtype, const std::string& device) {
  EMBER_CHECK(device == "cpu", ValueError, "{}: device \"{}\" is not supported; expected \"cpu\" (ember runs on the "
              "CPU only)", module, device);
  EMBER_CHECK(num_embeddings >= 0, ValueError, "{}: num_embeddings {} is negative; expected >= 0", module,
              num_embeddings);
  EMBER_CHECK(embedding_dim >= 0, ValueError, "{}: embedding_dim {} is negative; expected >= 0", module,
              embedding_dim);
  if (weight.defined()) {
    EMBER_CHECK(weight.shape() == Shape({num_embeddings, embedding_dim}), ShapeError,
                "{}: _weight has shape {}; expected [num_embeddings, embedding_dim] = [{}, {}] (shape of weight does "
                "not match num_embeddings and embedding_dim)", module, shape_str(weight.shape()), num_embeddings,
                embedding_dim);
    EMBER_CHECK(is_floating(weight.dtype()), TypeError, "{}: _weight has dtype {}; expected float32 or float64",
                module, dtype_name(weight.dtype()));
  } else {
    EMBER_CHECK(is_floating(dtype), TypeError, "{}: dtype {} is not supported; expected float32 or float64", module,
                dtype_name(dtype));
  }
  if (max_norm)
    EMBER_CHECK(*max_norm >= 0, ValueError, "{}: max_norm {} is invalid; expected max_norm >= 0", module, *max_norm);
  EMBER_CHECK(norm_type > 0, ValueError, "{}: norm_type {} is invalid; expected a positive p (inf allowed)", module,
              norm_type);
  if (!padding_idx) return padding_idx;
  const std::int64_t p = *padding_idx;
  EMBER_CHECK(p >= -num_embeddings && p < num_embeddings, ValueError,
              "{}: padding_idx {} is out of range; expected -{} <= padding_idx < {} (padding_idx must be within "
              "num_embeddings)", module, p, num_embeddings, num_embeddings);
  return p < 0 ? p + num_embeddings : p;
}

Tensor table_weight(const Tensor& given, std::int64_t num_embeddings, std::int64_t embedding_dim, DType dtype) {
  // detach(): a new leaf over the same storage, so the caller's tensor keeps its own autograd
  // state (PyTorch's nn.Parameter(_weight) does the same).
  if (given.defined()) return given.detach();
  return empty({num_embeddings, embedding_dim}, dtype);
}

}  // namespace detail

Embedding::Embedding(const EmbeddingOptions& options) : Module("Embedding"), options_(options) {
  options_.padding_idx(detail::check_table_options(
      "Embedding", options.num_embeddings(), options.embedding_dim(), options.padding_idx(), options.max_norm(),
      options.norm_type(), options._weight(), options.dtype(), options.device()));
  weight = register_parameter("weight", detail::table_weight(options._weight(), options.num_embeddings(),
                                                             options.embedding_dim(), options.dtype()));
  if (!options._weight().defined()) reset_parameters();
}

std::shared_ptr<Embedding> Embedding::from_pretrained(const Tensor& embeddings,
                                                      const EmbeddingFromPretrainedOptions& options) {
  EMBER_CHECK(embeddings.defined() && embeddings.dim() == 2, ShapeError,
              "Embedding::from_pretrained: embeddings has shape {}; expected a 2-dimensional [num_embeddings, "
              "embedding_dim] tensor", embeddings.defined() ? shape_str(embeddings.shape()) : "undefined");
  auto embedding = std::make_shared<Embedding>(EmbeddingOptions(embeddings.size(0), embeddings.size(1))
                                                   ._weight(embeddings)
                                                   .padding_idx(options.padding_idx())
                                                   .max_norm(options.max_norm())
                                                   .norm_type(options.norm_type())
                                                   .scale_grad_by_freq(options.scale_grad_by_freq())
                                                   .sparse(options.sparse()));
  embedding->weight.requires_grad_(!options.freeze());
  return embedding;
}

Tensor Embedding::forward(const Tensor& indices) {
  check_defined(indices, "Embedding.forward", "indices");
  return ember::embedding(weight, indices, options_.padding_idx(), options_.scale_grad_by_freq(), options_.sparse(),
                          options_.max_norm(), options_.norm_type());
}

void Embedding::reset_parameters() {
  NoGradGuard no_grad;
  weight.normal_(0.0, 1.0);
  if (options_.padding_idx()) kernels::select(weight, 0, *options_.padding_idx()).zero_();
}

std::string Embedding::extra_repr() const {
  std::string s = fmt::format("{}, {}", options_.num_embeddings(), options_.embedding_dim());
  if (options_.padding_idx()) s += fmt::format(", padding_idx={}", *options_.padding_idx());
  if (options_.max_norm()) s += ", max_norm=" + detail::python_float(*options_.max_norm());
  if (options_.norm_type() != 2.0) s += ", norm_type=" + detail::python_float(options_.norm_type());
  if (options_.scale_grad_by_freq()) s += ", scale_grad_by_freq=True";
  if (options_.sparse()) s += ", sparse=True";
  return s;
}

Tensor clamp_indices(const Tensor& indices, std::int64_t num_embeddings, std::optional<std::int64_t> replacement) {
  EMBER_CHECK(indices.defined() && indices.dtype() == kInt64, TypeError,
              "clamp_indices: indices has dtype {}; expected int64", indices.defined() ? dtype_name(indices.dtype()) : "undefined");
  EMBER_CHECK(num_embeddings > 0, ValueError, "clamp_indices: num_embeddings {} leaves no valid index; expected >= 1",
              num_embeddings);
  if (replacement)
    EMBER_CHECK(*replacement >= 0 && *replacement < num_embeddings, IndexError,
                "clamp_indices: replacement {} is out of range [0, {})", *replacement, num_embeddings);
  Tensor out = kernels::clone(indices);
  std::int64_t* p = out.data_ptr<std::int64_t>();
  for (std::int64_t i = 0, n = out.numel(); i < n; ++i) {
    if (p[i] >= 0 && p[i] < num_embeddings) continue;
    p[i] = replacement ? *replacement : (p[i] < 0 ? 0 : num_embeddings - 1);
  }
  return out;
}

namespace functional {

Tensor embedding(const Tensor& input, const Tensor& weight, const EmbeddingFuncOptions& options) {
  return ember::embedding(weight, input, options.padding_idx(), options.scale_grad_by_freq(), options.sparse(),
                          options.max_norm(), options.norm_type());
}

}  // namespace functional
}  // namespace ember::nn
