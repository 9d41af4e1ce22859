// EMBER_ARG: the one code-generating macro of ember, used by every Options builder (the libtorch
// TORCH_ARG idiom). It declares a private field plus a chainable setter and a getter.
#pragma once

#include <utility>

// Inside a struct or class:
//
//   struct LinearOptions {
//     LinearOptions(std::int64_t in, std::int64_t out) : in_features_(in), out_features_(out) {}
//     /// Size of each input sample (required).
//     EMBER_ARG(std::int64_t, in_features);
//     /// Size of each output sample (required).
//     EMBER_ARG(std::int64_t, out_features);
//     /// Learn an additive bias. Default: true.
//     EMBER_ARG(bool, bias) = true;
//   };
//
//   auto options = LinearOptions(128, 2).bias(false);   // setters chain
//   bool has_bias = options.bias();                      // getter
//
// - The default sits on the declaration: `EMBER_ARG(bool, bias) = true;`.
// - The field is named `name_` (so constructors can initialise required arguments as above).
// - The macro leaves the access at `private:` (it has to, for `= default` to attach to the field):
//   write `public:` again after the last EMBER_ARG if more public members follow.
// - A type containing a comma must go through an alias first, as in libtorch:
//   `using betas_t = std::pair<double, double>; EMBER_ARG(betas_t, betas) = {0.9, 0.999};`
#define EMBER_ARG(type, name)                     \
 public:                                          \
  auto& name(const type& new_##name) {            \
    this->name##_ = new_##name;                   \
    return *this;                                 \
  }                                               \
  auto& name(type&& new_##name) {                 \
    this->name##_ = std::move(new_##name);        \
    return *this;                                 \
  }                                               \
  const type& name() const noexcept { return this->name##_; } \
                                                  \
 private:                                         \
  type name##_
