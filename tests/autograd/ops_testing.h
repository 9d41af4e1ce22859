// Shared by the tests of the differentiable ops (test_ops_*.cpp): float64 leaves for gradcheck
// in every layout an op must handle, and the golden-parity loop over
// tests/data/golden/autograd_ops.json (written by scripts/golden/autograd_ops.py).
#pragma once

#include "core/tensor.h"

#include <nlohmann/json_fwd.hpp>

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace ember::testing {

// ---- leaves for gradcheck ---------------------------------------------------------------------

// Makes float64 values of a given shape (contiguous). The tests seed the generator first.
using Values = std::function<Tensor(const Shape&)>;
Values normal_values();                            // N(0, 1)
Values uniform_values(double low, double high);    // U[low, high): log, sqrt, divisors, ...
// N(0, 1), with every value at least `margin` away from each kink: finite differences across a
// kink (relu at 0, clamp at its bounds) measure an average slope, not the derivative.
Values values_off_kinks(std::vector<double> kinks, double margin = 0.05);

enum class Layout {
  Contiguous,
  Transposed,  // the transpose of a contiguous tensor (last two dims swapped)
  Narrowed,    // a narrow along the last dim: an offset, and rows that are not adjacent
};
// A float64 leaf that requires grad, with `values`, laid out as asked.
Tensor make_leaf(const Shape& shape, const Values& values = normal_values(), Layout layout = Layout::Contiguous);
// Makes `values` a leaf that requires grad (same storage and strides).
Tensor as_leaf(const Tensor& values);
// The layouts every elementwise op is checked on: 0-d, [7], [3, 4], transposed [3, 4], narrowed [3, 4].
std::vector<Tensor> leaves_in_layouts(const Values& values = normal_values());
// "shape [3, 4] strides [1, 3]" for INFO lines.
std::string describe(const Tensor& t);

// ---- golden parity (float32) ------------------------------------------------------------------

// Each case of `family` names an `op`; table[op](inputs, params) must reproduce the case's output,
// and its backward (seeded with the stored grad_output) the stored gradient of every input that
// has one. Every op of the table must appear in some case, so none goes unchecked.
using GoldenOp = std::function<Tensor(const std::vector<Tensor>& inputs, const nlohmann::json& params)>;
void check_golden_ops(const std::string& family, const std::map<std::string, GoldenOp>& table);
// |ember - torch| <= kGoldenRtol * |torch| + kGoldenAtol. 1e-5 relative, as STYLE asks of float32;
// the absolute floor covers results near 0, where the rounding of float32 terms of size ~1
// (summation order differs between ember, BLAS and torch) exceeds any relative bound.
inline constexpr double kGoldenRtol = 1e-5;
inline constexpr double kGoldenAtol = 1e-6;

// Reading params: numbers (also "inf", "-inf"), null as nullopt, shapes and dim lists.
double param_double(const nlohmann::json& p, const char* key);
std::optional<double> param_optional(const nlohmann::json& p, const char* key);
std::int64_t param_int(const nlohmann::json& p, const char* key);
bool param_bool(const nlohmann::json& p, const char* key);
Shape param_shape(const nlohmann::json& p, const char* key);

}  // namespace ember::testing
