// Helpers for the op tests: leaves for gradcheck and the golden-parity loop (see ops_testing.h).
#include "ops_testing.h"

#include "golden.h"
#include "testing.h"

#include "core/kernels.h"

#include <catch2/catch.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <cmath>
#include <limits>
#include <set>

namespace ember::testing {

Values normal_values() {
  return [](const Shape& shape) { return randn(shape, kFloat64); };
}

Values uniform_values(double low, double high) {
  return [low, high](const Shape& shape) {
    Tensor x = empty(shape, kFloat64);
    x.uniform_(low, high);
    return x;
  };
}

Values values_off_kinks(std::vector<double> kinks, double margin) {
  return [kinks, margin](const Shape& shape) {
    std::vector<double> values = randn(shape, kFloat64).to_vector<double>();
    for (double& v : values)
      for (double kink : kinks)
        // Shift rather than snap to kink +- margin: snapped values would tie (a kink of max/norm).
        if (std::abs(v - kink) < margin) v = v < kink ? v - margin : v + margin;
    return tensor(values, shape, kFloat64);
  };
}

Tensor as_leaf(const Tensor& values) {
  Tensor x = values.detach();
  x.requires_grad_();
  return x;
}

Tensor make_leaf(const Shape& shape, const Values& values, Layout layout) {
  switch (layout) {
    case Layout::Contiguous: return as_leaf(values(shape));
    case Layout::Transposed: {
      REQUIRE(shape.size() >= 2);
      Shape stored = shape;
      std::swap(stored[stored.size() - 1], stored[stored.size() - 2]);
      return as_leaf(kernels::transpose(values(stored), -1, -2));
    }
    case Layout::Narrowed: {
      REQUIRE(!shape.empty());
      Shape stored = shape;
      stored.back() += 3;
      return as_leaf(kernels::narrow(values(stored), -1, 2, shape.back()));
    }
  }
  return Tensor();
}

std::vector<Tensor> leaves_in_layouts(const Values& values) {
  return {make_leaf({}, values), make_leaf({7}, values), make_leaf({3, 4}, values),
          make_leaf({3, 4}, values, Layout::Transposed), make_leaf({3, 4}, values, Layout::Narrowed)};
}

std::string describe(const Tensor& t) {
  return fmt::format("shape {} strides {}{}", shape_str(t.shape()), shape_str(t.strides()),
                     t.is_contiguous() ? "" : " (non-contiguous)");
}

double param_double(const nlohmann::json& p, const char* key) {
  const nlohmann::json& v = p.at(key);
  if (v.is_string()) {
    const std::string s = v.get<std::string>();
    if (s == "inf") return std::numeric_limits<double>::infinity();
    if (s == "-inf") return -std::numeric_limits<double>::infinity();
    FAIL("param " << key << ": unknown value " << s);
  }
  return v.get<double>();
}

std::optional<double> param_optional(const nlohmann::json& p, const char* key) {
  if (!p.contains(key) || p.at(key).is_null()) return std::nullopt;
  return param_double(p, key);
}

std::int64_t param_int(const nlohmann::json& p, const char* key) { return p.at(key).get<std::int64_t>(); }
bool param_bool(const nlohmann::json& p, const char* key) { return p.at(key).get<bool>(); }
Shape param_shape(const nlohmann::json& p, const char* key) { return p.at(key).get<Shape>(); }

void check_golden_ops(const std::string& family, const std::map<std::string, GoldenOp>& table) {
  const nlohmann::json doc = load_golden("autograd_ops");
  const nlohmann::json& cases = doc.at("cases").at(family);
  REQUIRE(!cases.empty());
  std::set<std::string> covered;
  for (const nlohmann::json& c : cases) {
    const std::string name = c.at("name").get<std::string>(), op = c.at("op").get<std::string>();
    INFO("golden case \"" << name << "\" (family " << family << ", torch " << doc.at("torch_version").get<std::string>()
                          << ")");
    const auto entry = table.find(op);
    if (entry == table.end()) FAIL("op \"" << op << "\" has no entry in the test's table");
    covered.insert(op);

    std::vector<Tensor> inputs;
    for (const nlohmann::json& j : c.at("inputs")) {
      Tensor x = input_from_json(j);
      if (j.value("requires_grad", false)) x = as_leaf(x);
      inputs.push_back(x);
    }
    const Tensor y = entry->second(inputs, c.at("params"));
    {
      INFO("forward value");
      require_close(y, tensor_from_json(c.at("outputs").at(0)), kGoldenRtol, kGoldenAtol);
    }
    if (!c.contains("grad_output")) continue;  // not differentiable (comparisons, argmax)
    y.backward(tensor_from_json(c.at("grad_output")));
    const nlohmann::json& grads = c.at("grads");
    for (std::size_t i = 0; i < inputs.size(); ++i) {
      if (grads.at(i).is_null()) continue;
      INFO("gradient of input " << i);
      require_close(inputs[i].grad(), tensor_from_json(grads.at(i)), kGoldenRtol, kGoldenAtol);
    }
  }
  for (const auto& [op, fn] : table) {
    INFO("op \"" << op << "\" of the table has no golden case in family " << family);
    CHECK(covered.count(op) == 1);
  }
}

}  // namespace ember::testing
