// Options of the activation modules (nn/activation.h) and of their functional forms
// (nn/functional.h), with libtorch's names and PyTorch's defaults.
#pragma once

#include "core/arg.h"

#include <string>

namespace ember::nn {

struct GELUOptions {
  /// "none" (exact, erf form) or "tanh" (the tanh approximation). Default: "none".
  EMBER_ARG(std::string, approximate) = "none";
};

struct SoftplusOptions {
  /// y = log(1 + exp(beta x)) / beta; any finite non-zero value. Default: 1.
  EMBER_ARG(double, beta) = 1.0;
  /// Above beta x > threshold the function is the identity (no overflow of exp). Default: 20.
  EMBER_ARG(double, threshold) = 20.0;
};

struct LeakyReLUOptions {
  /// The slope for x <= 0. Default: 0.01.
  EMBER_ARG(double, negative_slope) = 0.01;
};

struct ELUOptions {
  /// y = alpha (exp(x) - 1) for x <= 0. Default: 1.
  EMBER_ARG(double, alpha) = 1.0;
};

namespace functional {
using GELUFuncOptions = GELUOptions;
using SoftplusFuncOptions = SoftplusOptions;
using LeakyReLUFuncOptions = LeakyReLUOptions;
using ELUFuncOptions = ELUOptions;
}  // namespace functional

}  // namespace ember::nn
