// Helpers of core/kernels_recurrent.h.
#include "core/kernels_recurrent.h"

#include "core/dispatch.h"
#include "core/kernels.h"

#include <vector>

namespace ember::kernels::recurrent {

Tensor rows_of(const Tensor& buffer, std::int64_t index, std::int64_t b0, std::int64_t b1) {
  return narrow(select(buffer, 0, index), 0, b0, b1 - b0);
}

Tensor column_sums(const Tensor& m) {
  const std::int64_t rows = m.size(0), n = m.size(1);
  Tensor out = empty({n}, m.dtype());
  detail::dispatch_floating(m.dtype(), "column_sums", [&]<typename T>() {
    std::vector<double> acc(static_cast<std::size_t>(n), 0.0);
    const T* p = m.data_ptr<T>();
    for (std::int64_t r = 0; r < rows; ++r)
      for (std::int64_t j = 0; j < n; ++j) acc[j] += p[r * n + j];
    T* o = out.data_ptr<T>();
    for (std::int64_t j = 0; j < n; ++j) o[j] = static_cast<T>(acc[j]);
  });
  return out;
}

}  // namespace ember::kernels::recurrent
