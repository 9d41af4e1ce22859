// Shared test helpers (namespace ember::testing). Golden-file loading is in tests/golden.h, so
// this header stays free of nlohmann/json.
#pragma once

#include "core/tensor.h"

#include <functional>
#include <ostream>
#include <string>
#include <vector>

namespace ember::testing {

// Requires equal shapes and dtypes, and |actual - expected| <= atol + rtol * |expected| for every
// element. NaN matches NaN and an infinity matches the same infinity; int64 and bool compare
// exactly. A failure reports the first mismatching flat index with both values, the number of
// mismatches and the largest absolute difference.
void require_close(const Tensor& actual, const Tensor& expected, double rtol, double atol);

// Requires bitwise-equal contents (and equal shapes and dtypes): "unchanged after a failed call".
void require_equal(const Tensor& actual, const Tensor& expected);

// ---- gradcheck: analytic gradients against central finite differences ----------------------

struct GradcheckOptions {
  double eps = 1e-6;   // step of the central difference (f(x + eps) - f(x - eps)) / (2 eps)
  double atol = 1e-5;  // an entry passes when |analytic - numeric| <= atol + rtol * |numeric|
  double rtol = 1e-3;
};

// `ok`, or the first mismatching Jacobian entry in `message`. Prints as its message, so
// REQUIRE(gradcheck(...)) shows it on failure.
struct GradcheckResult {
  bool ok = true;
  std::string message;
  explicit operator bool() const { return ok; }
};
std::ostream& operator<<(std::ostream& os, const GradcheckResult& result);

// Compares the full Jacobian of f's output with respect to every input that requires grad:
//   analytic: one backward per output element j, seeded with the one-hot gradient e_j
//             (retain_graph), reading column j from each input's .grad();
//   numeric:  central differences, perturbing one input element at a time in place.
// Inputs that require grad must be float64 leaves (they may be non-contiguous views, but must
// not overlap themselves, e.g. no expand); other inputs (indices, masks) are passed through.
// f must return a float64 tensor. Shapes should be small: the cost is O(inputs x outputs).
GradcheckResult gradcheck(std::function<Tensor(const std::vector<Tensor>&)> f, std::vector<Tensor> inputs,
                          GradcheckOptions options = {});

}  // namespace ember::testing
