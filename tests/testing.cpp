// Shared test helpers: tolerance comparison of tensors and golden-file loading.
#include "testing.h"

#include "golden.h"

#include "core/kernels.h"

#include <catch2/catch.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <cmath>
#include <cstring>
#include <fstream>
#include <limits>

namespace ember::testing {
namespace {

// Shape and dtype must agree before values are compared; returns the failure text, or "".
std::string metadata_mismatch(const Tensor& actual, const Tensor& expected) {
  if (!actual.defined() || !expected.defined())
    return fmt::format("tensor undefined (actual {}, expected {})", actual.defined() ? "defined" : "undefined",
                       expected.defined() ? "defined" : "undefined");
  if (actual.shape() != expected.shape())
    return fmt::format("shape {} does not match expected shape {}", shape_str(actual.shape()),
                       shape_str(expected.shape()));
  if (actual.dtype() != expected.dtype())
    return fmt::format("dtype {} does not match expected dtype {}", dtype_name(actual.dtype()),
                       dtype_name(expected.dtype()));
  return "";
}

bool close(double a, double e, double rtol, double atol) {
  if (std::isnan(a) || std::isnan(e)) return std::isnan(a) && std::isnan(e);
  if (std::isinf(a) || std::isinf(e)) return a == e;
  return std::abs(a - e) <= atol + rtol * std::abs(e);
}

double json_number(const nlohmann::json& v) {
  if (v.is_string()) {
    const std::string s = v.get<std::string>();
    if (s == "nan") return std::numeric_limits<double>::quiet_NaN();
    if (s == "inf") return std::numeric_limits<double>::infinity();
    if (s == "-inf") return -std::numeric_limits<double>::infinity();
    throw IoError(fmt::format("golden: unknown value \"{}\"; expected a number, \"nan\", \"inf\" or \"-inf\"", s));
  }
  return v.get<double>();
}

}  // namespace

void require_close(const Tensor& actual, const Tensor& expected, double rtol, double atol) {
  const std::string meta = metadata_mismatch(actual, expected);
  if (!meta.empty()) FAIL("require_close: " << meta);
  std::int64_t mismatches = 0, first = -1;
  double max_diff = 0.0;
  std::string first_values;
  if (is_floating(actual.dtype())) {
    const std::vector<double> a = actual.to_vector<double>(), e = expected.to_vector<double>();
    for (std::size_t i = 0; i < a.size(); ++i) {
      if (close(a[i], e[i], rtol, atol)) continue;
      if (mismatches++ == 0) {
        first = static_cast<std::int64_t>(i);
        first_values = fmt::format("actual {:.9g}, expected {:.9g}", a[i], e[i]);
      }
      if (std::isfinite(a[i]) && std::isfinite(e[i])) max_diff = std::max(max_diff, std::abs(a[i] - e[i]));
    }
  } else {
    const Tensor a64 = kernels::to(actual, kInt64), e64 = kernels::to(expected, kInt64);
    const std::vector<std::int64_t> a = a64.to_vector<std::int64_t>(), e = e64.to_vector<std::int64_t>();
    for (std::size_t i = 0; i < a.size(); ++i) {
      if (a[i] == e[i]) continue;
      if (mismatches++ == 0) {
        first = static_cast<std::int64_t>(i);
        first_values = fmt::format("actual {}, expected {}", a[i], e[i]);
      }
      max_diff = std::max(max_diff, std::abs(static_cast<double>(a[i] - e[i])));
    }
  }
  if (mismatches > 0)
    FAIL(fmt::format("require_close: first mismatch at flat index {}: {} (rtol {}, atol {}); {} of {} elements "
                     "differ, max abs diff {:.3g}, shape {}",
                     first, first_values, rtol, atol, mismatches, actual.numel(), max_diff,
                     shape_str(actual.shape())));
  SUCCEED();
}

void require_equal(const Tensor& actual, const Tensor& expected) {
  const std::string meta = metadata_mismatch(actual, expected);
  if (!meta.empty()) FAIL("require_equal: " << meta);
  const Tensor a = kernels::contiguous(actual), e = kernels::contiguous(expected);
  const std::size_t nbytes = static_cast<std::size_t>(a.numel()) * a.element_size();
  if (nbytes > 0 && std::memcmp(a.raw_data(), e.raw_data(), nbytes) != 0) {
    require_close(a, e, 0.0, 0.0);  // reports the first differing value
    FAIL("require_equal: values compare equal but their bits differ (-0.0 against 0.0, or NaN payloads)");
  }
  SUCCEED();
}

nlohmann::json load_golden(const std::string& topic) {
  const std::string path = std::string(EMBER_TEST_DATA_DIR) + "/golden/" + topic + ".json";
  std::ifstream file(path);
  if (!file)
    throw IoError(fmt::format("load_golden: cannot open {}; expected a file written by scripts/golden/{}.py",
                              path, topic));
  nlohmann::json doc;
  try {
    doc = nlohmann::json::parse(file);
  } catch (const nlohmann::json::exception& e) {
    throw IoError(fmt::format("load_golden: {} is not valid JSON: {}", path, e.what()));
  }
  if (!doc.is_object() || doc.value("format_version", 0) != 1)
    throw IoError(fmt::format("load_golden: {} has format_version {}; expected 1", path,
                              doc.is_object() && doc.contains("format_version") ? doc["format_version"].dump()
                                                                                 : "missing"));
  return doc;
}

Tensor tensor_from_json(const nlohmann::json& j) {
  const Shape shape = j.at("shape").get<Shape>();
  const std::string dtype = j.at("dtype").get<std::string>();
  const nlohmann::json& data = j.at("data");
  if (static_cast<std::int64_t>(data.size()) != numel(shape))
    throw IoError(fmt::format("tensor_from_json: {} values for shape {}; expected {}", data.size(),
                              shape_str(shape), numel(shape)));
  if (dtype == "int64") return tensor(data.get<std::vector<std::int64_t>>(), shape);
  if (dtype == "int32") return kernels::to(tensor(data.get<std::vector<std::int64_t>>(), shape), kInt32);
  std::vector<double> values;
  values.reserve(data.size());
  for (const nlohmann::json& v : data) values.push_back(json_number(v));
  if (dtype == "float32") return tensor(values, shape, kFloat32);
  if (dtype == "float64") return tensor(values, shape, kFloat64);
  if (dtype == "bool") return kernels::to(tensor(values, shape, kFloat64), kBool);
  throw IoError(fmt::format("tensor_from_json: unknown dtype \"{}\"; expected float32, float64, int64, int32 or bool",
                            dtype));
}

Tensor input_from_json(const nlohmann::json& j) {
  const Tensor x = tensor_from_json(j);
  const std::string view = j.value("view", "");
  if (view.empty()) return x;
  if (view == "transpose") return kernels::transpose(x, -2, -1);
  if (view == "expand") return kernels::expand(x, j.at("expand_to").get<Shape>());
  if (view == "slice") {
    // x[1:][..., ::2]: an offset, and stride 2 along the last dim.
    const Tensor rest = kernels::narrow(x, 0, 1, x.size(0) - 1);
    Shape shape = rest.shape(), strides = rest.strides();
    shape.back() = (shape.back() + 1) / 2;
    strides.back() *= 2;
    return kernels::as_strided(rest, shape, strides, rest.offset());
  }
  throw IoError(fmt::format("input_from_json: unknown view \"{}\"; expected transpose, slice or expand", view));
}

void require_golden(const Tensor& actual, const nlohmann::json& expected, double atol) {
  const Tensor e = tensor_from_json(expected);
  const bool f32 = e.dtype() == kFloat32, f64 = e.dtype() == kFloat64;
  const double rtol = f32 ? 1e-5 : f64 ? 1e-10 : 0.0;
  const double default_atol = f32 ? 1e-6 : f64 ? 1e-12 : 0.0;
  require_close(actual, e, rtol, atol > 0.0 ? atol : default_atol);
}

}  // namespace ember::testing
