// optim::SGD: fused update loops for dense gradients, and for row-sparse gradients with and
// without a (row-sparse) momentum buffer.
#include "optim/sgd.h"

#include "autograd/grad_mode.h"
#include "core/dispatch.h"
#include "core/kernels.h"

namespace ember::optim {

void SGDOptions::visit(OptionsVisitor& v) {
  v.number("lr", lr_);
  v.number("momentum", momentum_);
  v.number("dampening", dampening_);
  v.number("weight_decay", weight_decay_);
  v.flag("nesterov", nesterov_);
  v.flag("maximize", maximize_);
}

void SGDParamState::visit(StateVisitor& v) {
  v.tensor("momentum_buffer", momentum_buffer);
  v.sparse("momentum_buffer", sparse_momentum_buffer);
}

SGD::SGD(std::vector<Tensor> params, const SGDOptions& defaults) : SGD(std::vector<ParamGroup>{ParamGroup(std::move(params))}, defaults) {}

SGD::SGD(std::vector<ParamGroup> groups, const SGDOptions& defaults) : Optimizer("SGD", defaults) {
  init(std::move(groups));
}

void SGD::validate_options(const OptimizerOptions& options, const std::string& where) const {
  const auto* o = dynamic_cast<const SGDOptions*>(&options);
  EMBER_CHECK(o != nullptr, TypeError, "SGD: the options{} are not SGDOptions", where);
  detail::check_option(o->lr() >= 0.0, "SGD", "learning rate", o->lr(), where, "lr >= 0");
  detail::check_option(o->momentum() >= 0.0, "SGD", "momentum value", o->momentum(), where, "momentum >= 0");
  detail::check_option(o->weight_decay() >= 0.0, "SGD", "weight_decay value", o->weight_decay(), where,
                       "weight_decay >= 0");
  EMBER_CHECK(!o->nesterov() || (o->momentum() > 0.0 && o->dampening() == 0.0), ValueError,
              "SGD: Nesterov momentum requires a momentum and zero dampening (momentum={}, dampening={}{}); "
              "expected momentum > 0 and dampening == 0",
              py_float(o->momentum()), py_float(o->dampening()), where);
}

std::unique_ptr<ParamState> SGD::make_state(const Tensor& /*param*/) const { return std::make_unique<SGDParamState>(); }

namespace {

// Dense gradient. `buf` is null without momentum; `first` means buf is being created.
//   d = sign*g + wd*p;  buf = first ? d : m*buf + (1-dampening)*d;  d = nesterov ? d + m*buf : buf;  p -= lr*d
template <typename T>
void sgd_dense(T* p, const T* g, T* buf, bool first, std::int64_t n, const SGDOptions& o) {
  const T lr = T(o.lr()), m = T(o.momentum()), keep = T(1.0 - o.dampening()), wd = T(o.weight_decay());
  const T sign = o.maximize() ? T(-1) : T(1);
  for (std::int64_t i = 0; i < n; ++i) {
    T d = sign * g[i];
    if (wd != T(0)) d += wd * p[i];
    if (buf != nullptr) {
      buf[i] = first ? d : m * buf[i] + keep * d;
      d = o.nesterov() ? d + m * buf[i] : buf[i];
    }
    p[i] -= lr * d;
  }
}

// Plain SGD, sparse gradient: each entry moves its row (duplicates thereby summed).
template <typename T>
void sgd_sparse_plain(T* p, const SparseTensor& grad, std::int64_t width, const SGDOptions& o) {
  const Tensor indices = kernels::contiguous(grad.indices), values = kernels::contiguous(grad.values);
  const std::int64_t* row = indices.data_ptr<std::int64_t>();
  const T* v = values.data_ptr<T>();
  const T step = T(o.maximize() ? -o.lr() : o.lr());
  for (std::int64_t k = 0; k < grad.nnz(); ++k) {
    T* dst = p + row[k] * width;
    const T* src = v + k * width;
    for (std::int64_t j = 0; j < width; ++j) dst[j] -= step * src[j];
  }
}

// Momentum with a sparse gradient and a sparse buffer (both coalesced: sorted unique rows).
// Walks the union of their rows: buf' = m*buf + (1-dampening)*g (or g on the first step, when
// buf is empty), then p[row] -= lr * (nesterov ? g + m*buf' : buf'). Returns the new buffer
// (our buffers are always contiguous: created here, or copied by load_state_dict).
template <typename T>
SparseTensor sgd_sparse_momentum(T* p, const SparseTensor& grad, const SparseTensor& buf, bool first,
                                 std::int64_t width, const SGDOptions& o) {
  const std::int64_t ng = grad.nnz(), nb = first ? 0 : buf.nnz();
  const Tensor grad_indices = kernels::contiguous(grad.indices), grad_values = kernels::contiguous(grad.values);
  const std::int64_t* gi = grad_indices.data_ptr<std::int64_t>();
  const T* gv = grad_values.data_ptr<T>();
  const std::int64_t* bi = nb ? buf.indices.data_ptr<std::int64_t>() : nullptr;
  const T* bv = nb ? buf.values.data_ptr<T>() : nullptr;
  std::int64_t rows = 0;  // size of the union
  for (std::int64_t a = 0, b = 0; a < ng || b < nb; ++rows) {
    if (b >= nb || (a < ng && gi[a] < bi[b])) ++a;
    else if (a >= ng || bi[b] < gi[a]) ++b;
    else ++a, ++b;
  }
  // Once every gradient row is already in the buffer (the steady state), update it in place:
  // output row u is buffer row u, read before it is written.
  const bool in_place = nb > 0 && rows == nb;
  Shape values_shape = grad.values.shape();
  values_shape[0] = rows;
  Tensor out_indices = in_place ? buf.indices : empty({rows}, kInt64);
  Tensor out_values = in_place ? buf.values : empty(values_shape, grad.values.dtype());
  std::int64_t* oi = out_indices.data_ptr<std::int64_t>();
  T* ov = out_values.data_ptr<T>();
  const T lr = T(o.lr()), m = T(o.momentum()), keep = T(1.0 - o.dampening());
  const T sign = o.maximize() ? T(-1) : T(1);
  for (std::int64_t a = 0, b = 0, u = 0; u < rows; ++u) {
    const bool from_grad = b >= nb || (a < ng && gi[a] <= bi[b]);
    const bool from_buf = a >= ng || (b < nb && bi[b] <= gi[a]);
    oi[u] = from_grad ? gi[a] : bi[b];
    T* out = ov + u * width;
    T* dst = p + oi[u] * width;
    for (std::int64_t j = 0; j < width; ++j) {
      const T d = from_grad ? sign * gv[a * width + j] : T(0);
      if (first) out[j] = d;
      else out[j] = from_buf ? m * bv[b * width + j] + keep * d : keep * d;
      dst[j] -= lr * (o.nesterov() ? d + m * out[j] : out[j]);
    }
    if (from_grad) ++a;
    if (from_buf) ++b;
  }
  return SparseTensor(out_indices, out_values, grad.shape, true);
}

}  // namespace

void SGD::step() {
  NoGradGuard no_grad;
  // Validate every parameter first: a failed step changes nothing.
  std::size_t index = 0;
  for (std::size_t g = 0; g < param_groups().size(); ++g) {
    const auto& o = options_as<SGDOptions>(g);
    for (const Tensor& p : param_groups()[g].params) {
      if (p.has_sparse_grad()) {
        EMBER_CHECK(o.weight_decay() == 0.0, ValueError,
                    "SGD: add(sparse, dense) is not supported. Use add(dense, sparse) instead. (weight_decay={} "
                    "with the row-sparse gradient of parameter {}; expected weight_decay=0 for sparse gradients)",
                    py_float(o.weight_decay()), index);
        detail::check_sparse_rows(p.sparse_grad(), "SGD", index);
      }
      ++index;
    }
  }
  for (std::size_t g = 0; g < param_groups().size(); ++g) {
    const auto& o = options_as<SGDOptions>(g);
    const auto& params = param_groups()[g].params;
    for (std::size_t i = 0; i < params.size(); ++i) {
      const Tensor& p = params[i];
      const bool sparse = p.has_sparse_grad();
      if (!sparse && !p.grad().defined()) continue;
      const std::int64_t width = p.dim() == 0 || p.size(0) == 0 ? 1 : p.numel() / p.size(0);
      ember::detail::dispatch_floating(p.dtype(), "SGD", [&]<typename T>() {
        T* pp = p.data_ptr<T>();
        if (o.momentum() == 0.0) {
          if (sparse) sgd_sparse_plain<T>(pp, p.sparse_grad(), width, o);
          else sgd_dense<T>(pp, kernels::contiguous(p.grad()).data_ptr<T>(), nullptr, false, p.numel(), o);
          return;
        }
        auto& state = state_as<SGDParamState>(g, i);
        const bool first = !state.momentum_buffer.defined() && !state.sparse_momentum_buffer.defined();
        if (sparse && !state.momentum_buffer.defined()) {
          state.sparse_momentum_buffer = sgd_sparse_momentum<T>(pp, p.sparse_grad().coalesce(),
                                                                state.sparse_momentum_buffer, first, width, o);
          return;
        }
        // Dense path; a sparse gradient meeting a dense buffer, or a dense gradient meeting a
        // sparse buffer, is densified (rare: it needs mixed gradients).
        const Tensor grad = sparse ? p.sparse_grad().to_dense() : kernels::contiguous(p.grad());
        if (state.sparse_momentum_buffer.defined()) {
          state.momentum_buffer = state.sparse_momentum_buffer.to_dense();
          state.sparse_momentum_buffer = SparseTensor();
        }
        if (first) state.momentum_buffer = empty(p.shape(), p.dtype());
        sgd_dense<T>(pp, grad.data_ptr<T>(), state.momentum_buffer.data_ptr<T>(), first, p.numel(), o);
      });
      p.bump_version();
    }
  }
}

}  // namespace ember::optim
