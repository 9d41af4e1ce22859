// Differentiable elementwise unary ops: neg exp log tanh sigmoid relu sqrt abs pow clamp.
// Each computes its forward with a kernel and records the backward directly beneath it.
#include "autograd/function.h"
#include "autograd/ops.h"
#include "core/kernels.h"

#include <cmath>

namespace ember {

// y = -x;  dx = -dy
Tensor neg(const Tensor& x) {
  Tensor out = kernels::neg(x);
  return autograd::record("neg", out, {x}, [](const Tensor& dy) { return autograd::Grads{kernels::neg(dy)}; });
}

// y = exp(x);  dx = dy * y. Reuses the output: no second exp in backward.
Tensor exp(const Tensor& x) {
  Tensor out = kernels::exp(x);
  return autograd::record("exp", out, {x}, [saved = autograd::SavedTensor(out, "exp")](const Tensor& dy) {
    return autograd::Grads{dy * saved.unpack()};
  });
}

// y = log(x);  dx = dy / x
Tensor log(const Tensor& x) {
  Tensor out = kernels::log(x);
  return autograd::record("log", out, {x}, [saved = autograd::SavedTensor(x, "log")](const Tensor& dy) {
    return autograd::Grads{dy / saved.unpack()};
  });
}

// y = tanh(x);  dx = dy * (1 - y^2). Reuses the output; at large |x|, y = +-1 and dx is exactly 0.
Tensor tanh(const Tensor& x) {
  Tensor out = kernels::tanh(x);
  return autograd::record("tanh", out, {x}, [saved = autograd::SavedTensor(out, "tanh")](const Tensor& dy) {
    const Tensor y = saved.unpack();
    return autograd::Grads{dy * (1.0 - y * y)};
  });
}

// y = 1 / (1 + exp(-x));  dx = dy * y * (1 - y).
// NOTE: written with the output, not with exp(-x): that form overflows for very negative x.
Tensor sigmoid(const Tensor& x) {
  Tensor out = kernels::sigmoid(x);
  return autograd::record("sigmoid", out, {x}, [saved = autograd::SavedTensor(out, "sigmoid")](const Tensor& dy) {
    const Tensor y = saved.unpack();
    return autograd::Grads{dy * y * (1.0 - y)};
  });
}

// y = max(x, 0);  dx = dy where y > 0, else 0 (0 at the kink, as PyTorch).
// Saves the output, like PyTorch's threshold_backward: y > 0 exactly where x > 0.
Tensor relu(const Tensor& x) {
  Tensor out = kernels::relu(x);
  return autograd::record("relu", out, {x}, [saved = autograd::SavedTensor(out, "relu")](const Tensor& dy) {
    const Tensor y = saved.unpack();
    const Tensor inactive = kernels::le(y, scalar_tensor(0.0, y.dtype()));
    return autograd::Grads{kernels::masked_fill(dy, inactive, 0.0)};
  });
}

// y = sqrt(x);  dx = dy / (2 y). Reuses the output.
Tensor sqrt(const Tensor& x) {
  Tensor out = kernels::sqrt(x);
  return autograd::record("sqrt", out, {x}, [saved = autograd::SavedTensor(out, "sqrt")](const Tensor& dy) {
    return autograd::Grads{dy / (2.0 * saved.unpack())};
  });
}

// y = |x|;  dx = dy * sign(x) (0 at x = 0, as PyTorch).
Tensor abs(const Tensor& x) {
  Tensor out = kernels::abs(x);
  return autograd::record("abs", out, {x}, [saved = autograd::SavedTensor(x, "abs")](const Tensor& dy) {
    return autograd::Grads{dy * kernels::sign(saved.unpack())};
  });
}

// y = x^p;  dx = dy * p * x^(p-1); exactly 0 when p = 0 (PyTorch: no 0 * inf = NaN at x = 0).
Tensor pow(const Tensor& x, double exponent) {
  Tensor out = kernels::pow(x, exponent);
  return autograd::record("pow", out, {x},
      [saved = autograd::SavedTensor(x, "pow"), exponent](const Tensor& dy) {
        if (exponent == 0.0) return autograd::Grads{zeros(dy.shape(), dy.dtype())};
        const Tensor x = saved.unpack();
        return autograd::Grads{dy * (exponent * kernels::pow(x, exponent - 1.0))};
      });
}

// y = min(max(x, min), max);  dx = dy where min <= x <= max, else 0 (the bounds pass gradient).
Tensor clamp(const Tensor& x, std::optional<double> min, std::optional<double> max) {
  Tensor out = kernels::clamp(x, min, max);
  return autograd::record("clamp", out, {x},
      [saved = autograd::SavedTensor(x, "clamp"), min, max](const Tensor& dy) {
        const Tensor x = saved.unpack();
        const Tensor zero = scalar_tensor(0.0, dy.dtype());
        Tensor dx = dy;
        if (min) dx = kernels::where(kernels::ge(x, scalar_tensor(*min, x.dtype())), dx, zero);
        if (max) dx = kernels::where(kernels::le(x, scalar_tensor(*max, x.dtype())), dx, zero);
        return autograd::Grads{dx};
      });
}

}  // namespace ember
