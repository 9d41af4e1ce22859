// Reductions: sum, mean, max/min (with indices), argmax, p-norms, and sum_to (the inverse of a
// broadcast). One folding engine serves them all; float32 accumulates in double.
#include "core/dispatch.h"
#include "core/kernels.h"
#include "core/strided_loop.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <type_traits>

namespace ember::kernels {
namespace {

// Which dims of x a reduction folds, and the shape of its result.
struct ReducePlan {
  Shape out_shape;    // what the caller gets (with or without the kept size-1 dims)
  Shape acc_strides;  // per dim of x: the result's row-major stride, 0 along folded dims
  std::int64_t count = 1;  // elements folded into each result element
};

// The plan for a result whose size-1-kept shape is `kept` (x's shape with folded dims set to 1).
ReducePlan make_plan(const Tensor& x, const std::vector<bool>& folded, const Shape& kept,
                     Shape out_shape) {
  ReducePlan plan;
  plan.out_shape = std::move(out_shape);
  plan.acc_strides = contiguous_strides(kept);
  for (std::int64_t d = 0; d < x.dim(); ++d) {
    if (!folded[d]) continue;
    plan.acc_strides[d] = 0;
    plan.count *= x.size(d);
  }
  return plan;
}

// Plan for `dims` (empty = all dims). Negative dims wrap; a dim may appear only once.
ReducePlan plan_dims(const Tensor& x, const std::vector<std::int64_t>& dims, bool keepdim,
                     const char* op) {
  const std::int64_t ndim = x.dim();
  std::vector<bool> folded(ndim, dims.empty());
  for (std::int64_t dim : dims) {
    const std::int64_t d = wrap_dim(dim, ndim, op);
    if (ndim == 0) continue;  // PyTorch lets a 0-d tensor reduce over dim 0 or -1
    EMBER_CHECK(!folded[d], ValueError, "{}: dim {} appears more than once in dims {}; expected distinct dims",
                op, d, shape_str(Shape(dims.begin(), dims.end())));
    folded[d] = true;
  }
  Shape kept = x.shape();
  Shape out_shape;
  for (std::int64_t d = 0; d < ndim; ++d) {
    if (folded[d]) kept[d] = 1;
    if (!folded[d] || keepdim) out_shape.push_back(kept[d]);
  }
  return make_plan(x, folded, kept, std::move(out_shape));
}

// One dim of the folding loop: its size and the strides of x and of the accumulator along it.
struct LoopDim {
  std::int64_t size, x_stride, acc_stride;
};

// Orders x's dims so the smallest x stride runs innermost, drops size-1 dims and merges dims that
// are contiguous in both x and the accumulator, so a contiguous reduction is one long row.
std::vector<LoopDim> loop_dims(const Tensor& x, const Shape& acc_strides) {
  std::vector<LoopDim> dims;
  for (std::int64_t d = 0; d < x.dim(); ++d)
    if (x.size(d) != 1) dims.push_back({x.size(d), x.stride(d), acc_strides[d]});
  std::stable_sort(dims.begin(), dims.end(), [](const LoopDim& a, const LoopDim& b) {
    return a.x_stride != b.x_stride ? a.x_stride > b.x_stride : a.acc_stride > b.acc_stride;
  });
  std::vector<LoopDim> merged;
  for (const LoopDim& d : dims) {
    if (!merged.empty()) {
      LoopDim& outer = merged.back();
      if (outer.x_stride == d.x_stride * d.size && outer.acc_stride == d.acc_stride * d.size) {
        outer = {outer.size * d.size, d.x_stride, d.acc_stride};
        continue;
      }
    }
    merged.push_back(d);
  }
  return merged;
}

// combine(...combine(identity, map(px[0])), ..., map(px[(n-1)*sx])) for one strided row.
// Sixteen independent lanes let the compiler vectorise and keep partial sums short (blocked
// summation); short rows skip the lane set-up.
template <typename T, typename Acc, typename Map, typename Combine>
Acc fold_row(const T* px, std::int64_t n, std::int64_t sx, Acc identity, Map map, Combine combine) {
  constexpr int kLanes = 16;
  Acc total = identity;
  std::int64_t i = 0;
  if (n >= 2 * kLanes) {
    Acc lanes[kLanes];
    std::fill(lanes, lanes + kLanes, identity);
    if (sx == 1) {
      for (; i + kLanes <= n; i += kLanes)
        for (int l = 0; l < kLanes; ++l) lanes[l] = combine(lanes[l], map(px[i + l]));
    } else {
      for (; i + kLanes <= n; i += kLanes)
        for (int l = 0; l < kLanes; ++l) lanes[l] = combine(lanes[l], map(px[(i + l) * sx]));
    }
    for (int width = kLanes / 2; width > 0; width /= 2)
      for (int l = 0; l < width; ++l) lanes[l] = combine(lanes[l], lanes[l + width]);
    total = lanes[0];
  }
  for (; i < n; ++i) total = combine(total, map(px[i * sx]));
  return total;
}

// acc[r] = combine(acc[r], map(x[i])) for every element i of x that folds into result r.
// `acc` holds one slot per result element, filled with `identity` by the caller.
template <typename T, typename Acc, typename Map, typename Combine>
void fold(const Tensor& x, const ReducePlan& plan, Acc* acc, Acc identity, Map map, Combine combine) {
  const std::vector<LoopDim> dims = loop_dims(x, plan.acc_strides);
  Shape shape, x_strides, acc_strides;
  for (const LoopDim& d : dims) {
    shape.push_back(d.size);
    x_strides.push_back(d.x_stride);
    acc_strides.push_back(d.acc_stride);
  }
  const T* base = x.data_ptr<T>();
  detail::for_each_row<2>(shape, {&x_strides, &acc_strides}, [&](const auto& offsets, std::int64_t n,
                                                                  const auto& strides) {
    const T* px = base + offsets[0];
    Acc* pa = acc + offsets[1];
    const std::int64_t sx = strides[0], sa = strides[1];
    if (sa == 0) {
      *pa = combine(*pa, fold_row(px, n, sx, identity, map, combine));
    } else if (sx == 1 && sa == 1) {
      for (std::int64_t i = 0; i < n; ++i) pa[i] = combine(pa[i], map(px[i]));
    } else {
      for (std::int64_t i = 0; i < n; ++i) pa[i * sa] = combine(pa[i * sa], map(px[i * sx]));
    }
  });
}

// Runs `fold` and returns finish(acc) as a new tensor of x's dtype. The accumulator is the output
// itself when the types agree; float32 results get a float64 scratch tensor (from the caching
// allocator, so a training loop maps no fresh pages for it).
template <typename T, typename Acc, typename Map, typename Combine, typename Finish>
Tensor reduce(const Tensor& x, const ReducePlan& plan, Acc identity, Map map, Combine combine, Finish finish) {
  Tensor out = empty(plan.out_shape, dtype_of<T>());
  const Tensor scratch = std::is_same_v<Acc, T> ? out : empty(plan.out_shape, dtype_of<Acc>());
  Acc* acc = scratch.data_ptr<Acc>();
  const std::int64_t n = out.numel();
  std::fill(acc, acc + n, identity);
  fold<T>(x, plan, acc, identity, map, combine);
  T* po = out.data_ptr<T>();
  for (std::int64_t i = 0; i < n; ++i) po[i] = static_cast<T>(finish(acc[i]));
  return out;
}

// float32 and float64 accumulate in double, int64 in int64.
template <typename T>
using AccType = std::conditional_t<std::is_floating_point_v<T>, double, std::int64_t>;

// max/min that propagate NaN, as PyTorch's do (`a != a` is the NaN test; false for int64).
// Written as nested selects so the compiler vectorises them into compare-and-blend.
struct NanMax {
  template <typename T> T operator()(T a, T b) const { return a != a ? a : b != b ? b : b > a ? b : a; }
};
struct NanMin {
  template <typename T> T operator()(T a, T b) const { return a != a ? a : b != b ? b : b < a ? b : a; }
};

Tensor sum_with_plan(const Tensor& x, const ReducePlan& plan, const char* op) {
  // Bool sums count the true elements, into int64 as in PyTorch.
  const Tensor input = x.dtype() == kBool ? to(x, kInt64) : x;
  return detail::dispatch_numeric(input.dtype(), op, [&]<typename T>() {
    using Acc = AccType<T>;
    return reduce<T>(input, plan, Acc(0), [](T v) { return static_cast<Acc>(v); },
                     std::plus<Acc>(), [](Acc a) { return a; });
  });
}

// Values and indices of the first extremum along one dim; a NaN counts as the extremum.
template <bool kMax>
std::pair<Tensor, Tensor> extremum_along(const Tensor& x, std::int64_t dim, bool keepdim, const char* op) {
  const std::int64_t d = wrap_dim(dim, x.dim(), op);
  EMBER_CHECK(x.dim() == 0 || x.size(d) > 0, IndexError,
              "{}: reduction dim {} of shape {} has size 0; expected a non-empty dim", op, d,
              shape_str(x.shape()));
  const ReducePlan plan = plan_dims(x, {dim}, keepdim, op);
  Tensor values = empty(plan.out_shape, x.dtype());
  Tensor indices = zeros(plan.out_shape, kInt64);
  detail::dispatch_numeric(x.dtype(), op, [&]<typename T>() {
    using Pick = std::conditional_t<kMax, NanMax, NanMin>;
    T* best = values.data_ptr<T>();
    std::int64_t* best_index = indices.data_ptr<std::int64_t>();
    const T* base = x.data_ptr<T>();
    if (x.dim() > 0 && d == x.dim() - 1) {
      // Each row is the whole reduced dim of one result: find the extremum with a vectorised
      // fold, then the first position holding it.
      detail::for_each_row<2>(x.shape(), {&x.strides(), &plan.acc_strides},
                              [&](const auto& offsets, std::int64_t n, const auto& strides) {
        const T* px = base + offsets[0];
        const std::int64_t sx = strides[0];
        const T value = fold_row(px, n, sx, px[0], [](T v) { return v; }, Pick());
        std::int64_t i = 0;
        if (value != value) {
          while (px[i * sx] == px[i * sx]) ++i;
        } else {
          while (px[i * sx] != value) ++i;
        }
        best[offsets[1]] = value;
        best_index[offsets[1]] = i;
      });
      return;
    }
    // Results vary along the row: keep a running extremum per result. Positions along `dim` are
    // visited in increasing order and only a strictly better value (or a first NaN) replaces the
    // current one, so ties keep the first index. Starting at -inf (+inf) lets element 0 win.
    const T start = kMax ? (std::is_floating_point_v<T> ? -std::numeric_limits<T>::infinity()
                                                        : std::numeric_limits<T>::lowest())
                         : (std::is_floating_point_v<T> ? std::numeric_limits<T>::infinity()
                                                        : std::numeric_limits<T>::max());
    std::fill(best, best + values.numel(), start);
    // A third "tensor" whose offset is the coordinate along `dim`: stride 1 there, 0 elsewhere.
    Shape position_strides(x.dim(), 0);
    if (x.dim() > 0) position_strides[d] = 1;
    detail::for_each_row<3>(x.shape(), {&x.strides(), &plan.acc_strides, &position_strides},
                            [&](const auto& offsets, std::int64_t n, const auto& strides) {
      for (std::int64_t i = 0; i < n; ++i) {
        const T v = base[offsets[0] + i * strides[0]];
        const std::int64_t r = offsets[1] + i * strides[1];
        const T b = best[r];
        const bool take = b == b && ((kMax ? v > b : v < b) || v != v);  // a NaN best stays
        best[r] = take ? v : b;
        best_index[r] = take ? offsets[2] + i * strides[2] : best_index[r];
      }
    });
  });
  return {values, indices};
}

// Extremum over all elements (NaN wins), as a 0-d tensor.
template <typename Combine>
Tensor extremum_all(const Tensor& x, const char* op, Combine combine) {
  EMBER_CHECK(x.numel() > 0, ValueError,
              "{}: cannot reduce an empty tensor of shape {} without a dim; expected at least one "
              "element (or pass a dim)",
              op, shape_str(x.shape()));
  const ReducePlan plan = plan_dims(x, {}, false, op);
  return detail::dispatch_numeric(x.dtype(), op, [&]<typename T>() {
    // Seeding with a real element needs no per-dtype "lowest" value; max/min are idempotent.
    const T first = x.data_ptr<T>()[0];
    return reduce<T>(x, plan, first, [](T v) { return v; }, combine, [](T a) { return a; });
  });
}

}  // namespace

Tensor sum(const Tensor& x, const std::vector<std::int64_t>& dims, bool keepdim) {
  return sum_with_plan(x, plan_dims(x, dims, keepdim, "sum"), "sum");
}

Tensor mean(const Tensor& x, const std::vector<std::int64_t>& dims, bool keepdim) {
  const ReducePlan plan = plan_dims(x, dims, keepdim, "mean");
  return detail::dispatch_floating(x.dtype(), "mean", [&]<typename T>() {
    // Divide in double before rounding; an empty reduction gives 0/0 = NaN, as in PyTorch.
    const double count = static_cast<double>(plan.count);
    return reduce<T>(x, plan, 0.0, [](T v) { return static_cast<double>(v); },
                     std::plus<double>(), [count](double a) { return a / count; });
  });
}

std::pair<Tensor, Tensor> max(const Tensor& x, std::int64_t dim, bool keepdim) {
  return extremum_along<true>(x, dim, keepdim, "max");
}

std::pair<Tensor, Tensor> min(const Tensor& x, std::int64_t dim, bool keepdim) {
  return extremum_along<false>(x, dim, keepdim, "min");
}

Tensor max(const Tensor& x) { return extremum_all(x, "max", NanMax()); }
Tensor min(const Tensor& x) { return extremum_all(x, "min", NanMin()); }

Tensor argmax(const Tensor& x, std::int64_t dim, bool keepdim) {
  return extremum_along<true>(x, dim, keepdim, "argmax").second;
}

// ||x||_p = (sum |x|^p)^(1/p); p = inf: max |x|; p = -inf: min |x|; p = 0: count of non-zeros.
Tensor norm(const Tensor& x, double p, const std::vector<std::int64_t>& dims, bool keepdim) {
  const ReducePlan plan = plan_dims(x, dims, keepdim, "norm");
  EMBER_CHECK(!std::isnan(p), ValueError, "norm: p is NaN; expected a number or +-inf");
  return detail::dispatch_floating(x.dtype(), "norm", [&]<typename T>() {
    const auto identity = [](double a) { return a; };
    // PyTorch's torch.norm gives 0 for an empty reduction, whatever p.
    if (plan.count == 0) return zeros(plan.out_shape, x.dtype());
    if (std::isinf(p) && p > 0)
      return reduce<T>(x, plan, 0.0, [](T v) { return std::abs(static_cast<double>(v)); },
                       NanMax(), identity);
    if (std::isinf(p))
      return reduce<T>(x, plan, std::numeric_limits<double>::infinity(),
                       [](T v) { return std::abs(static_cast<double>(v)); }, NanMin(), identity);
    if (p == 0.0)
      return reduce<T>(x, plan, 0.0, [](T v) { return v != T(0) ? 1.0 : 0.0; },
                       std::plus<double>(), identity);
    if (p == 1.0)
      return reduce<T>(x, plan, 0.0, [](T v) { return std::abs(static_cast<double>(v)); },
                       std::plus<double>(), identity);
    if (p == 2.0)
      return reduce<T>(x, plan, 0.0, [](T v) { return static_cast<double>(v) * v; },
                       std::plus<double>(), [](double a) { return std::sqrt(a); });
    return reduce<T>(x, plan, 0.0,
                     [p](T v) { return std::pow(std::abs(static_cast<double>(v)), p); },
                     std::plus<double>(), [p](double a) { return std::pow(a, 1.0 / p); });
  });
}

// Sums leading extra dims and the dims where `shape` has size 1 (the inverse of expand).
Tensor sum_to(const Tensor& x, const Shape& shape) {
  const std::int64_t ndim = x.dim();
  const std::int64_t lead = ndim - static_cast<std::int64_t>(shape.size());
  bool expandable = lead >= 0;
  for (std::int64_t d = 0; expandable && d < static_cast<std::int64_t>(shape.size()); ++d)
    expandable = shape[d] == x.size(lead + d) || shape[d] == 1;
  EMBER_CHECK(expandable, ShapeError,
              "sum_to: cannot sum shape {} down to shape {}; expected a shape that broadcasts to {}",
              shape_str(x.shape()), shape_str(shape), shape_str(x.shape()));
  if (shape == x.shape()) return clone(x);  // nothing to sum; still a fresh tensor
  std::vector<bool> folded(ndim, false);
  Shape kept = x.shape();
  for (std::int64_t d = 0; d < ndim; ++d) {
    folded[d] = d < lead || (shape[d - lead] == 1 && x.size(d) != 1);
    if (folded[d]) kept[d] = 1;
  }
  return sum_with_plan(x, make_plan(x, folded, kept, shape), "sum_to");
}

}  // namespace ember::kernels
