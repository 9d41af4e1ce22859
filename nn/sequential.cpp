// nn::Sequential: forward through the registered modules in order.
#include "nn/sequential.h"

#include <fmt/format.h>

namespace ember::nn {

Tensor Sequential::forward(const Tensor& x) const {
  check_defined(x, "Sequential.forward", "input");
  Tensor y = x;
  for (const auto& step : steps_) y = step(y);
  return y;
}

std::shared_ptr<Module> Sequential::operator[](std::size_t index) const {
  EMBER_CHECK(index < steps_.size(), IndexError, "Sequential: index {} is out of range; expected [0, {})", index,
              steps_.size());
  return children()[index];
}

}  // namespace ember::nn
