// Printing tensors the way PyTorch does: values, then shape and dtype.
//   fmt::print("{}\n", t);   std::cout << t;
#pragma once

#include "core/tensor.h"

#include <fmt/format.h>

#include <iosfwd>
#include <string>

namespace ember {

// tensor([[0.1000, 0.2000],
//         [0.3000, 0.4000]], shape=[2, 2], dtype=float32)
std::string to_string(const Tensor& t);
std::ostream& operator<<(std::ostream& os, const Tensor& t);

}  // namespace ember

template <>
struct fmt::formatter<ember::Tensor> : fmt::formatter<std::string> {
  template <typename FormatContext>
  auto format(const ember::Tensor& t, FormatContext& ctx) const {
    return fmt::formatter<std::string>::format(ember::to_string(t), ctx);
  }
};
