// negative_sampling_loss: validation and tape wiring; the loops are in core/kernels_negative_sampling.cpp.
#include "autograd/ops_word2vec.h"

#include "autograd/function.h"
#include "core/kernels.h"
#include "core/kernels_negative_sampling.h"

namespace ember {
namespace {

constexpr const char* kOp = "negative_sampling_loss";

void check_indices(const Tensor& t, const char* what, std::int64_t low, std::int64_t high) {
  EMBER_CHECK(t.defined() && t.dtype() == kInt64 && t.dim() == 2, TypeError,
              "{}: {} must be a 2-D int64 tensor; got {} {}", kOp, what, t.defined() ? dtype_name(t.dtype()) : "undefined",
              t.defined() ? shape_str(t.shape()) : "");
  const Tensor flat = kernels::contiguous(t);
  const std::int64_t* p = flat.data_ptr<std::int64_t>();
  for (std::int64_t i = 0; i < flat.numel(); ++i)
    EMBER_CHECK(p[i] >= low && p[i] < high, IndexError, "{}: {} index {} at position [{}, {}] is out of range [{}, {})",
                kOp, what, p[i], i / t.size(1), i % t.size(1), low, high);
}

}  // namespace

Tensor negative_sampling_loss(const Tensor& input_weight, const Tensor& output_weight, const Tensor& contexts,
                              const Tensor& targets, bool sparse) {
  EMBER_CHECK(input_weight.defined() && output_weight.defined() && input_weight.dim() == 2 &&
                  output_weight.dim() == 2 && input_weight.size(1) == output_weight.size(1), ShapeError,
              "{}: weights have shapes {} and {}; expected [V_in, D] and [V_out, D] with one D", kOp,
              input_weight.defined() ? shape_str(input_weight.shape()) : "undefined",
              output_weight.defined() ? shape_str(output_weight.shape()) : "undefined");
  EMBER_CHECK(is_floating(input_weight.dtype()) && input_weight.dtype() == output_weight.dtype(), TypeError,
              "{}: weights have dtypes {} and {}; expected one float dtype", kOp, dtype_name(input_weight.dtype()),
              dtype_name(output_weight.dtype()));
  check_indices(contexts, "contexts", -1, input_weight.size(0));
  check_indices(targets, "targets", 0, output_weight.size(0));
  EMBER_CHECK(contexts.size(0) == targets.size(0) && targets.size(1) >= 1, ShapeError,
              "{}: contexts {} and targets {} must be [B, C] and [B, 1+K] with one B and at least the positive "
              "target", kOp, shape_str(contexts.shape()), shape_str(targets.shape()));

  const Tensor u = kernels::contiguous(input_weight), v = kernels::contiguous(output_weight);
  const Tensor ctx = kernels::contiguous(contexts), tgt = kernels::contiguous(targets);
  kernels::NegativeSamplingForward fwd = kernels::negative_sampling_forward(u, v, ctx, tgt);
  // Backward needs h and sigma(s) (saved outputs of the forward), the output vectors and the indices.
  return autograd::record(kOp, fwd.loss, {input_weight, output_weight, contexts, targets},
      [hidden = fwd.hidden, probs = fwd.probs, saved_v = autograd::SavedTensor(v, kOp),
       saved_ctx = autograd::SavedTensor(ctx, kOp), saved_tgt = autograd::SavedTensor(tgt, kOp),
       V_in = input_weight.size(0), sparse](const Tensor& dy) -> autograd::Grads {
        const bool need_in = autograd::needs_grad(0), need_out = autograd::needs_grad(1);
        if (!need_in && !need_out) return {Tensor(), Tensor(), Tensor(), Tensor()};
        kernels::NegativeSamplingGrads g = kernels::negative_sampling_backward(
            kernels::to(dy, kFloat64).item<double>(), hidden, probs, saved_v.unpack(), saved_ctx.unpack(),
            saved_tgt.unpack(), V_in);
        auto as_gradient = [sparse](SparseTensor s) {
          return sparse ? autograd::Gradient(std::move(s)) : autograd::Gradient::dense_at_leaf(std::move(s));
        };
        return {need_in ? as_gradient(std::move(g.input)) : autograd::Gradient(),
                need_out ? as_gradient(std::move(g.output)) : autograd::Gradient(), Tensor(), Tensor()};
      });
}

}  // namespace ember
