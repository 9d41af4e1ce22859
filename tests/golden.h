// Reading golden files written by scripts/golden/<topic>.py into tests/data/golden/<topic>.json.
// Include <nlohmann/json.hpp> in the test .cpp that uses these; this header only forward-declares.
#pragma once

#include "core/tensor.h"

#include <nlohmann/json_fwd.hpp>

#include <string>

namespace ember::testing {

// Parses tests/data/golden/<topic>.json and checks its header (format_version 1).
// Throws ember::IoError naming the path when the file is missing or malformed.
nlohmann::json load_golden(const std::string& topic);

// {"shape": [...], "dtype": "float32", "data": [flat row-major values]} as a contiguous tensor.
// Non-finite values are written as the strings "nan", "inf" and "-inf".
Tensor tensor_from_json(const nlohmann::json& j);

// tensor_from_json, then the stored "view" applied, so the test gets the same (non-contiguous)
// operand the script gave PyTorch: "transpose" (last two dims), "slice" (x[1:][..., ::2]) or
// "expand" (to the shape in "expand_to").
Tensor input_from_json(const nlohmann::json& j);

// require_close against a golden tensor with the standard tolerances for its dtype:
// float32 rtol 1e-5, atol 1e-6; float64 rtol 1e-10, atol 1e-12; int64 and bool exact.
// `atol` > 0 replaces the absolute tolerance (callers say why in a comment).
void require_golden(const Tensor& actual, const nlohmann::json& expected, double atol = 0.0);

}  // namespace ember::testing
