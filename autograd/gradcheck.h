// gradcheck: checks an op's backward against central finite differences, like
// torch.autograd.gradcheck. Use it on any function of tensors, e.g. a custom op written with
// autograd::record (see docs/autograd.md, "Tools for studying it"):
//
//   Tensor x = randn({3, 4}, kFloat64).requires_grad_();
//   autograd::GradcheckResult r = autograd::gradcheck(
//       [](const std::vector<Tensor>& in) { return my_op(in[0]); }, {x});
//   if (!r) fmt::print("{}\n", r.message);  // names the worst Jacobian entry
#pragma once

#include "core/tensor.h"

#include <cstdint>
#include <functional>
#include <ostream>
#include <string>
#include <vector>

namespace ember::autograd {

struct GradcheckOptions {
  double eps = 1e-6;   // step of the central difference (f(x + eps) - f(x - eps)) / (2 eps)
  double atol = 1e-5;  // an entry passes when |analytic - numeric| <= atol + rtol * |numeric|
  double rtol = 1e-3;
};

// What gradcheck found. `ok` when every Jacobian entry is within tolerance; `message` is then
// "gradcheck: ok", otherwise a report naming the worst entry. The worst entry is the one furthest
// outside its tolerance (|analytic - numeric| / (atol + rtol * |numeric|) largest; NaN counts as
// worst); it is filled in also when ok (then it is the closest to failing).
struct GradcheckResult {
  bool ok = true;
  std::string message;

  // The worst entry: d out[output] / d inputs[input][element].
  std::size_t input = 0;       // index into `inputs`
  std::int64_t element = 0;    // flat row-major index into that input
  Shape element_index;         // the same element as a multi-index ({} for a 0-d input)
  std::int64_t output = 0;     // flat row-major index into f's output
  Shape output_index;
  double analytic = 0.0;       // from backward
  double numeric = 0.0;        // from central differences
  double abs_error = 0.0;      // |analytic - numeric|
  double rel_error = 0.0;      // abs_error / |numeric| (0 when both are 0)

  // Over every entry compared.
  double max_abs_error = 0.0;
  double max_rel_error = 0.0;
  std::int64_t mismatches = 0;  // entries outside the tolerance
  std::int64_t entries = 0;     // entries compared: sum over checked inputs of numel * output numel

  explicit operator bool() const { return ok; }
};
// Prints `message`, so Catch2's REQUIRE(gradcheck(...)) shows the report on failure.
std::ostream& operator<<(std::ostream& os, const GradcheckResult& result);

// Compares the full Jacobian of f(inputs) with respect to every input that requires grad:
//   analytic: one backward per output element j, seeded with the one-hot gradient e_j
//             (retain_graph), reading column j from each input's .grad();
//   numeric:  central differences under NoGradGuard, perturbing one input element at a time
//             in its storage and writing the original bits back (also if f throws), so the
//             inputs end bitwise unchanged, with unchanged versions.
// Each checked input's .grad() is restored to what it was before the call.
// Inputs that require grad must be float64 leaves; they may be non-contiguous views (transposed,
// narrowed) but not overlap themselves (no expand: one storage element would be several entries).
// Other inputs (indices, masks, float32 constants) are passed to f untouched. f must return a
// float64 tensor recorded on the tape. Keep shapes small: the cost is O(input elements x output
// elements) calls of f and backward.
//
// Throws TypeError for an input that requires grad and is not float64 (its index and dtype named)
// or a non-float64 output; ValueError when no input requires grad, for a non-leaf or expanded
// input, an input that holds a row-sparse gradient, or an output that was not recorded.
GradcheckResult gradcheck(const std::function<Tensor(const std::vector<Tensor>&)>& f, std::vector<Tensor> inputs,
                          const GradcheckOptions& options = {});

}  // namespace ember::autograd
