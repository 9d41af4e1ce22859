// PyTorch-style printing: nested brackets, aligned columns, "..." for large tensors.
#include "core/print.h"

#include "core/dispatch.h"
#include "core/kernels.h"

#include <cmath>
#include <ostream>

namespace ember {
namespace {

constexpr std::int64_t kSummarizeAbove = 1000;  // elements, as torch's print threshold
constexpr std::int64_t kEdgeItems = 3;

struct Formatter {
  bool floating = false;
  bool scientific = false;
  std::size_t width = 0;

  std::string format(double v) const {
    if (!floating) return fmt::format("{}", static_cast<std::int64_t>(v));
    if (std::isnan(v)) return "nan";
    if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
    return scientific ? fmt::format("{:.4e}", v) : fmt::format("{:.4f}", v);
  }
};

void print_rec(std::string& out, const Tensor& t, const std::vector<double>& values, std::int64_t& pos,
               const Formatter& f, std::int64_t depth, bool summarize, const Shape& shape) {
  const std::int64_t ndim = static_cast<std::int64_t>(shape.size());
  const std::int64_t size = shape[depth];
  const bool cut = summarize && size > 2 * kEdgeItems;
  out += '[';
  for (std::int64_t i = 0; i < size; ++i) {
    if (cut && i == kEdgeItems) {
      out += depth + 1 == ndim ? "..., " : fmt::format("...,\n{:{}}", "", 8 + depth);
      // Skip the elided middle: count its elements.
      std::int64_t inner = 1;
      for (std::int64_t d = depth + 1; d < ndim; ++d) inner *= shape[d];
      (void)inner;
      i = size - kEdgeItems;
    }
    if (depth + 1 == ndim) {
      std::string s = f.format(values[pos++]);
      out += fmt::format("{:>{}}", s, f.width);
    } else {
      print_rec(out, t, values, pos, f, depth + 1, summarize, shape);
    }
    if (i + 1 < size) out += depth + 1 == ndim ? ", " : fmt::format(",\n{}{:{}}", depth + 2 < ndim ? "\n" : "", "", 8 + depth);
  }
  out += ']';
}

// The elements to show, in print order (edges only when summarising).
Tensor shown_part(const Tensor& t, bool summarize) {
  if (!summarize) return t;
  Tensor part = t;
  for (std::int64_t d = 0; d < t.dim(); ++d) {
    const std::int64_t size = part.shape()[d];
    if (size > 2 * kEdgeItems)
      part = kernels::cat({kernels::narrow(part, d, 0, kEdgeItems), kernels::narrow(part, d, size - kEdgeItems, kEdgeItems)}, d);
  }
  return part;
}

}  // namespace

std::string to_string(const Tensor& t) {
  if (!t.defined()) return "tensor(undefined)";
  const bool summarize = t.numel() > kSummarizeAbove;
  const Tensor part = shown_part(t, summarize);
  const std::vector<double> values = t.dtype() == kBool ? [&] {
    std::vector<double> v;
    for (std::int64_t x : kernels::to(part, kInt64).to_vector<std::int64_t>()) v.push_back(static_cast<double>(x));
    return v;
  }() : part.to_vector<double>();
  Formatter f;
  f.floating = is_floating(t.dtype());
  double max_abs = 0, min_abs = INFINITY;
  for (double v : values)
    if (std::isfinite(v)) {
      max_abs = std::max(max_abs, std::abs(v));
      if (v != 0) min_abs = std::min(min_abs, std::abs(v));
    }
  f.scientific = f.floating && (max_abs >= 1e8 || (min_abs < 1e-4 && min_abs != INFINITY) ||
                                (min_abs != INFINITY && max_abs / min_abs > 1000 && max_abs >= 1000));
  for (double v : values) f.width = std::max(f.width, f.format(v).size());

  std::string body;
  if (t.dim() == 0) {
    body = f.format(values.at(0));
  } else if (t.numel() == 0) {
    body = "[]";
  } else {
    std::int64_t pos = 0;
    Shape shape = t.shape();
    if (summarize)
      for (auto& s : shape) s = s > 2 * kEdgeItems ? s : s;  // walk full shape; print_rec skips the middle
    print_rec(body, t, values, pos, f, 0, summarize, shape);
  }
  if (t.dtype() == kBool) {
    std::string replaced;
    for (std::size_t i = 0; i < body.size(); ++i) {
      if (body[i] == '1' && (i == 0 || !std::isdigit(static_cast<unsigned char>(body[i - 1])))) replaced += "True";
      else if (body[i] == '0' && (i == 0 || !std::isdigit(static_cast<unsigned char>(body[i - 1])))) replaced += "False";
      else replaced += body[i];
    }
    body = replaced;
  }
  return fmt::format("tensor({}, shape={}, dtype={})", body, shape_str(t.shape()), dtype_name(t.dtype()));
}

std::ostream& operator<<(std::ostream& os, const Tensor& t) { return os << to_string(t); }

}  // namespace ember
