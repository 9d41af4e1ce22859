// Tensor's in-place methods (declared in core/tensor.h) and their place on the tape.
//
// The three rules, as in PyTorch (docs/autograd.md, "In-place ops and the tape"):
//   1. With grad mode on, a leaf that requires grad cannot be written in place (under NoGradGuard,
//      as optimizers and nn::init write, it can).
//   2. A write into a tensor in the graph, or one that puts it there (an operand requires grad), is
//      recorded: the tensor keeps its identity and memory, and its history is rebased onto a new node
//      whose first input is its previous history. What backward needs from the value before the write
//      is saved before writing.
//   3. A write through a view that would need recording is refused: ember does not rebuild the base's
//      history (PyTorch's CopySlices), and a silently wrong gradient is not an option. A view taken
//      before its base was rewritten is refused when next used (autograd::check_view_is_current).
//
// Every method has the same shape:
//   InPlaceWrite write("mul_", *this, {other});  // the rules: refuse before anything is written
//   ... save what backward needs from the old value, only if write.records() ...
//   <a kernel writes>
//   return write.done([...](const Tensor& dy) { return Grads{d_old_self, d_other}; });
#include "autograd/function.h"
#include "autograd/grad_mode.h"
#include "autograd/ops.h"
#include "autograd/variable.h"
#include "core/kernels.h"

#include <fmt/format.h>

namespace ember {
namespace {

using autograd::Grads;
using autograd::needs_grad;
using autograd::SavedTensor;

// True when the view `t` looks at the memory of a leaf that requires grad (its view node feeds
// that leaf's accumulator directly, or through further views).
bool is_view_of_leaf(const Tensor& t) {
  const autograd::AutogradMeta* meta = autograd::meta_if(t);
  const autograd::Node* node = meta != nullptr ? meta->grad_fn.get() : nullptr;
  for (int depth = 0; node != nullptr && depth < 64; ++depth) {
    if (node->next_edges.size() != 1 || !node->next_edges[0].node) return false;
    node = node->next_edges[0].node.get();
    if (node->is_accumulator()) return true;
  }
  return false;
}

class InPlaceWrite {
 public:
  // `overlap_ok`: fill_ and zero_ may write into an expanded tensor (every element gets one value).
  InPlaceWrite(const char* op, Tensor& self, std::vector<Tensor> operands, bool overlap_ok = false)
      : op_(op), self_(self), operands_(std::move(operands)) {
    EMBER_CHECK(self.defined(), ValueError, "{}: the tensor is undefined", op);
    for (std::size_t i = 0; i < operands_.size(); ++i)
      EMBER_CHECK(operands_[i].defined(), ValueError, "{}: operand {} is undefined", op, i);
    EMBER_CHECK(overlap_ok || !kernels::has_internal_overlap(self), Error,
                "{}: unsupported operation: more than one element of the written-to tensor refers to a single "
                "memory location (shape {}, strides {}, as expand makes). Please clone() the tensor before "
                "performing the operation",
                op, shape_str(self.shape()), shape_str(self.strides()));
    if (!autograd::grad_mode_enabled()) return;  // not recorded: a plain write that bumps the version

    const autograd::AutogradMeta* meta = autograd::meta_if(self);
    EMBER_CHECK(meta == nullptr || !meta->no_grad_view_of_grad_tensor, Error,
                "{}: a view was created in no_grad mode and is being modified inplace with grad mode enabled. "
                "Given that this use case is ambiguous and error-prone, it is forbidden. You can clarify your "
                "code by moving both the view and the inplace either both inside the no_grad block (if you "
                "don't want the inplace to be tracked) or both outside (if you want the inplace to be tracked)",
                op);
    autograd::check_view_is_current(self, op);
    records_ = self.requires_grad();
    for (const Tensor& operand : operands_) {
      autograd::check_view_is_current(operand, op);
      records_ = records_ || operand.requires_grad();
    }
    if (!records_) return;
    EMBER_CHECK(!(self.is_leaf() && self.requires_grad()), Error,
                "{}: a leaf Variable that requires grad is being used in an in-place operation. Write it under "
                "NoGradGuard (as optimizer steps and nn::init do), or use the out-of-place op",
                op);
    if (self.impl()->view_op != nullptr) {
      EMBER_CHECK(!is_view_of_leaf(self), Error,
                  "{}: a view of a leaf Variable that requires grad is being used in an in-place operation "
                  "(the view was made by {})",
                  op, self.impl()->view_op);
      throw Error(fmt::format(
          "{}: in-place write into a view (made by {}) while autograd would have to record it: ember does not "
          "rebuild the base's history for writes through views (PyTorch's CopySlices), so it refuses rather than "
          "give a wrong gradient. Write it out of place: compute the new values with the out-of-place op and "
          "assemble the tensor with cat, where or masked_fill, or clone() the view and write into the clone",
          op, self.impl()->view_op));
    }
  }

  // Whether the write goes on the tape: save what backward needs only then.
  bool records() const { return records_; }

  // After the kernel has written: bump the version (always), then record (when records()).
  Tensor& done(std::function<Grads(const Tensor& dy)> backward) {
    written();
    return record(std::move(backward));
  }
  // The same in two steps, for ops whose backward reads the new value (relu_ saves its result).
  void written() { self_.bump_version(); }
  Tensor& record(std::function<Grads(const Tensor& dy)> backward) {
    if (records_) autograd::rebase_history(op_, self_, operands_, std::move(backward));
    return self_;
  }

 private:
  const char* op_;
  Tensor& self_;
  std::vector<Tensor> operands_;
  bool records_ = false;
};

// An in-place op keeps its tensor's shape: an operand may broadcast to it, never beyond it.
void check_broadcasts_to(const Tensor& operand, const Tensor& self, const char* op) {
  const Shape b = broadcast_shapes(self.shape(), operand.shape(), op);
  EMBER_CHECK(b == self.shape(), ShapeError,
              "{}: an operand of shape {} does not broadcast to the written tensor's shape {} (it would give {})", op,
              shape_str(operand.shape()), shape_str(self.shape()), shape_str(b));
}

// fill_, zero_, uniform_, normal_: the old value does not matter; its gradient is zero.
Grads no_gradient(const Tensor&) { return Grads{Tensor()}; }

Tensor& fill_named(Tensor& self, double value, const char* op) {
  InPlaceWrite write(op, self, {}, /*overlap_ok=*/true);
  kernels::fill_(self, value);
  return write.done(no_gradient);
}

}  // namespace

Tensor& Tensor::fill_(double value) { return fill_named(*this, value, "fill_"); }
Tensor& Tensor::zero_() { return fill_named(*this, 0.0, "zero_"); }

// d(old self) = 0; d(src) = dy, converted back to src's dtype (and summed to its shape by the engine).
Tensor& Tensor::copy_(const Tensor& src) {
  InPlaceWrite write("copy_", *this, {src});
  kernels::copy_into(*this, src);
  return write.done([src_dtype = src.dtype()](const Tensor& dy) {
    return Grads{Tensor(), needs_grad(1) ? kernels::to(dy, src_dtype) : Tensor()};
  });
}

Tensor& Tensor::uniform_(double low, double high) {
  InPlaceWrite write("uniform_", *this, {});
  kernels::uniform_(*this, low, high);
  return write.done(no_gradient);
}

Tensor& Tensor::normal_(double mean, double std) {
  InPlaceWrite write("normal_", *this, {});
  kernels::normal_(*this, mean, std);
  return write.done(no_gradient);
}

// self += alpha * other;  d(old self) = dy, d(other) = alpha * dy.
Tensor& Tensor::add_(const Tensor& other, double alpha) {
  InPlaceWrite write("add_", *this, {other});
  kernels::add_into(*this, other, alpha);
  return write.done([alpha](const Tensor& dy) {
    return Grads{dy, needs_grad(1) ? (alpha == 1.0 ? dy : dy * alpha) : Tensor()};
  });
}

Tensor& Tensor::add_(double value) {
  InPlaceWrite write("add_", *this, {});
  kernels::add_into(*this, scalar_tensor(value, dtype()));
  return write.done([](const Tensor& dy) { return Grads{dy}; });
}

// self -= alpha * other;  d(old self) = dy, d(other) = -alpha * dy.
Tensor& Tensor::sub_(const Tensor& other, double alpha) {
  InPlaceWrite write("sub_", *this, {other});
  kernels::add_into(*this, other, -alpha);
  return write.done([alpha](const Tensor& dy) { return Grads{dy, needs_grad(1) ? dy * -alpha : Tensor()}; });
}

Tensor& Tensor::sub_(double value) {
  InPlaceWrite write("sub_", *this, {});
  kernels::add_into(*this, scalar_tensor(-value, dtype()));
  return write.done([](const Tensor& dy) { return Grads{dy}; });
}

// self *= factor;  d(old self) = factor * dy.
Tensor& Tensor::mul_(double factor) {
  InPlaceWrite write("mul_", *this, {});
  kernels::mul_(*this, factor);
  return write.done([factor](const Tensor& dy) { return Grads{dy * factor}; });
}

// self *= other;  d(old self) = dy * other, d(other) = dy * old self. The old self is saved (a copy
// taken before the write) only when other needs a gradient; other only when self does.
Tensor& Tensor::mul_(const Tensor& other) {
  check_broadcasts_to(other, *this, "mul_");
  InPlaceWrite write("mul_", *this, {other});
  SavedTensor saved_other = write.records() && requires_grad() ? SavedTensor(other, "mul_") : SavedTensor();
  SavedTensor old_self =
      write.records() && other.requires_grad() ? SavedTensor(kernels::clone(*this), "mul_") : SavedTensor();
  kernels::copy_into(*this, kernels::mul(*this, other));
  return write.done([saved_other, old_self](const Tensor& dy) {
    return Grads{needs_grad(0) ? dy * saved_other.unpack() : Tensor(), needs_grad(1) ? dy * old_self.unpack() : Tensor()};
  });
}

// self /= divisor;  d(old self) = dy / divisor.
Tensor& Tensor::div_(double divisor) {
  InPlaceWrite write("div_", *this, {});
  kernels::mul_(*this, 1.0 / divisor);
  return write.done([divisor](const Tensor& dy) { return Grads{dy / divisor}; });
}

// self /= other;  d(old self) = dy / other, d(other) = -dy * old self / other^2.
Tensor& Tensor::div_(const Tensor& other) {
  check_broadcasts_to(other, *this, "div_");
  InPlaceWrite write("div_", *this, {other});
  SavedTensor saved_other = write.records() ? SavedTensor(other, "div_") : SavedTensor();
  SavedTensor old_self =
      write.records() && other.requires_grad() ? SavedTensor(kernels::clone(*this), "div_") : SavedTensor();
  kernels::copy_into(*this, kernels::div(*this, other));
  return write.done([saved_other, old_self](const Tensor& dy) {
    const Tensor b = saved_other.unpack();
    return Grads{needs_grad(0) ? dy / b : Tensor(), needs_grad(1) ? -(dy * old_self.unpack()) / (b * b) : Tensor()};
  });
}

// self = clamp(self, min, max);  d(old self) = dy where min <= old <= max, else 0. Saved: the mask
// of clamped elements, taken before the write (1 byte per element).
Tensor& Tensor::clamp_(std::optional<double> min, std::optional<double> max) {
  InPlaceWrite write("clamp_", *this, {});
  const Tensor clamped = kernels::clamp(*this, min, max);
  SavedTensor outside = write.records() ? SavedTensor(kernels::ne(*this, clamped), "clamp_") : SavedTensor();
  kernels::copy_into(*this, clamped);
  return write.done([outside](const Tensor& dy) { return Grads{kernels::masked_fill(dy, outside.unpack(), 0.0)}; });
}

// self = max(self, 0);  d(old self) = dy where result > 0. Like PyTorch, it saves its result (no
// copy), so a later in-place write into the same tensor makes backward refuse.
Tensor& Tensor::relu_() {
  InPlaceWrite write("relu_", *this, {});
  kernels::copy_into(*this, kernels::relu(*this));
  write.written();
  SavedTensor result = write.records() ? SavedTensor(*this, "relu_") : SavedTensor();
  return write.record([result](const Tensor& dy) {
    const Tensor y = result.unpack();
    return Grads{kernels::masked_fill(dy, kernels::le(y, scalar_tensor(0.0, y.dtype())), 0.0)};
  });
}

// self[mask] = value;  d(old self) = dy with the filled positions 0. Saved: the mask.
Tensor& Tensor::masked_fill_(const Tensor& mask, double value) {
  EMBER_CHECK(mask.defined(), ValueError, "masked_fill_: the mask is undefined");
  check_broadcasts_to(mask, *this, "masked_fill_");
  InPlaceWrite write("masked_fill_", *this, {});
  SavedTensor saved_mask = write.records() ? SavedTensor(mask, "masked_fill_") : SavedTensor();
  kernels::copy_into(*this, kernels::masked_fill(*this, mask, value));
  return write.done([saved_mask](const Tensor& dy) { return Grads{kernels::masked_fill(dy, saved_mask.unpack(), 0.0)}; });
}

}  // namespace ember
