// Shared test helpers (namespace ember::testing). Golden-file loading is in tests/golden.h, so
// this header stays free of nlohmann/json.
#pragma once

#include "autograd/gradcheck.h"
#include "core/tensor.h"

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

// gradcheck is public: autograd/gradcheck.h (ember::autograd::gradcheck). The tests call it by
// its old name, ember::testing::gradcheck.
using autograd::gradcheck;
using autograd::GradcheckOptions;
using autograd::GradcheckResult;

}  // namespace ember::testing
