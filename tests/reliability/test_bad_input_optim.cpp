// The bad-input catalogue for optimizers and gradient clipping: bad options (NaN included), the
// wrong kind of gradient, out-of-range sparse rows, mismatched checkpoints and non-finite norms
// each give a typed ember exception naming the problem, and leave parameters, gradients and the
// whole optimizer state bitwise unchanged (every update is validated before the first write).
#include "tests/reliability/state_snapshot.h"

#include "autograd/ops.h"
#include "optim/adagrad.h"
#include "optim/adam.h"
#include "optim/clip_grad.h"
#include "optim/sgd.h"
#include "optim/sparse_adam.h"

#include <cmath>
#include <limits>
#include <memory>

using namespace ember;
using testing::require_refused;
using testing::snapshot;

namespace {

const double kNaN = std::numeric_limits<double>::quiet_NaN();

// Two parameters with dense gradients, [3, 2] and [2].
std::vector<Tensor> make_params() {
  manual_seed(0);
  std::vector<Tensor> params{randn({3, 2}).requires_grad_(), randn({2}).requires_grad_()};
  for (Tensor& p : params) p.set_grad(randn(p.shape()));
  return params;
}

// A row-sparse gradient for a [3, 2] parameter with the given rows.
SparseTensor sparse_rows(const std::vector<std::int64_t>& rows) {
  const auto n = static_cast<std::int64_t>(rows.size());
  return SparseTensor(tensor(rows, Shape{n}), randn({n, 2}), {3, 2});
}

// One good step first, so that the optimizer has state that a failed step could corrupt.
template <typename Opt>
void step_once(Opt& optimizer) {
  optimizer.step();
  REQUIRE(optimizer.state(0, 0) != nullptr);
}

}  // namespace

TEST_CASE("bad input: optimizers refuse invalid options, NaN included", "[reliability]") {
  const std::vector<Tensor> params = make_params();
  auto state = [&] { return snapshot(params); };
  using optim::betas_t;

  require_refused<ValueError>([&] { optim::SGD(params, optim::SGDOptions(-0.1)); }, {"Invalid learning rate: -0.1"},
                              state);
  require_refused<ValueError>([&] { optim::SGD(params, optim::SGDOptions(kNaN)); }, {"Invalid learning rate: nan"},
                              state);
  require_refused<ValueError>([&] { optim::SGD(params, optim::SGDOptions(0.1).nesterov(true)); }, {"Nesterov"}, state);
  require_refused<ValueError>([&] { optim::Adam(params, optim::AdamOptions(kNaN)); }, {"Invalid learning rate: nan"},
                              state);
  require_refused<ValueError>([&] { optim::Adam(params, optim::AdamOptions().betas(betas_t{1.0, 0.999})); },
                              {"beta parameter at index 0: 1.0"}, state);
  require_refused<ValueError>([&] { optim::Adam(params, optim::AdamOptions().eps(-1e-8)); }, {"epsilon value"},
                              state);
  require_refused<ValueError>([&] { optim::AdamW(params, optim::AdamWOptions().weight_decay(kNaN)); },
                              {"weight_decay value: nan"}, state);
  require_refused<ValueError>([&] { optim::Adagrad(params, optim::AdagradOptions().lr_decay(-1)); },
                              {"lr_decay value: -1.0"}, state);
  require_refused<ValueError>([&] { optim::Adagrad(params, optim::AdagradOptions().initial_accumulator_value(kNaN)); },
                              {"initial_accumulator_value"}, state);
  require_refused<ValueError>([&] { optim::SparseAdam(params, optim::SparseAdamOptions(0.0)); },
                              {"Invalid learning rate: 0.0", "lr > 0"}, state);
  require_refused<ValueError>([&] { optim::SparseAdam(params, optim::SparseAdamOptions().betas(betas_t{0.9, kNaN})); },
                              {"beta parameter at index 1: nan"}, state);

  // Bad parameter lists.
  require_refused<ValueError>([&] { optim::Adam(std::vector<Tensor>{}); }, {"empty parameter list"}, state);
  require_refused<ValueError>([&] { optim::Adam({params[0], params[0]}); }, {"duplicate parameters"}, state);
  require_refused<TypeError>([&] { optim::Adam({tensor(std::vector<std::int64_t>{1, 2}, {2})}); }, {"int64"}, state);
  require_refused<ValueError>([&] { optim::Adam({params[0] * 2.0}); }, {"non-leaf"}, state);

  optim::Adam adam(params);
  step_once(adam);
  require_refused<ValueError>([&] { adam.set_lr(0, -1.0); }, {"Invalid learning rate: -1"},
                              [&] { return snapshot(adam); });
  require_refused<IndexError>([&] { adam.set_lr(3, 0.1); }, {"group 3"}, [&] { return snapshot(adam); });
}

TEST_CASE("bad input: a gradient of the wrong kind is refused before any parameter moves", "[reliability]") {
  SECTION("Adam and AdamW refuse a row-sparse gradient and name SparseAdam") {
    std::vector<Tensor> params = make_params();
    optim::Adam adam(params);
    optim::AdamW adamw(params);
    step_once(adam);
    step_once(adamw);
    params[0].set_sparse_grad(sparse_rows({0, 2}));  // params[1] keeps a dense gradient: it must not move either
    require_refused<TypeError>([&] { adam.step(); }, {"Adam does not support sparse gradients", "SparseAdam"},
                               [&] { return snapshot(adam); });
    require_refused<TypeError>([&] { adamw.step(); }, {"AdamW does not support sparse gradients", "SparseAdam"},
                               [&] { return snapshot(adamw); });
  }
  SECTION("SparseAdam refuses a dense gradient and names Adam") {
    std::vector<Tensor> params = make_params();
    params[0].set_sparse_grad(sparse_rows({1}));
    params[1].set_grad(Tensor());
    optim::SparseAdam sparse_adam(params);
    step_once(sparse_adam);
    params[1].set_grad(ones({2}));
    require_refused<TypeError>([&] { sparse_adam.step(); }, {"does not support dense gradients", "Adam"},
                               [&] { return snapshot(sparse_adam); });
  }
  SECTION("SGD and Adagrad refuse weight_decay with a sparse gradient") {
    std::vector<Tensor> params = make_params();
    optim::SGD sgd(params, optim::SGDOptions(0.1).momentum(0.9).weight_decay(0.01));
    optim::Adagrad adagrad(params, optim::AdagradOptions().weight_decay(0.01));
    step_once(sgd);
    step_once(adagrad);
    params[0].set_sparse_grad(sparse_rows({2}));
    require_refused<ValueError>([&] { sgd.step(); }, {"weight_decay=0.01"}, [&] { return snapshot(sgd); });
    require_refused<ValueError>([&] { adagrad.step(); }, {"weight_decay=0.01"}, [&] { return snapshot(adagrad); });
  }
  SECTION("gradients of the wrong shape or dtype cannot be attached") {
    std::vector<Tensor> params = make_params();
    auto state = [&] { return snapshot(params); };
    require_refused<ShapeError>([&] { params[0].set_grad(ones({2, 3})); }, {"[2, 3]", "[3, 2]"}, state);
    require_refused<TypeError>([&] { params[0].set_grad(ones({3, 2}, kFloat64)); }, {"float64", "float32"}, state);
  }
}

TEST_CASE("bad input: sparse gradients with out-of-range rows are refused before any write", "[reliability]") {
  // The update loops index parameter memory with these rows: an unchecked row would write out of bounds.
  std::vector<Tensor> params = make_params();
  params[0].set_sparse_grad(sparse_rows({0}));
  params[1].set_grad(Tensor());
  optim::SparseAdam sparse_adam({params[0]});
  optim::SGD sgd({params[0]}, optim::SGDOptions(0.1).momentum(0.5));
  optim::Adagrad adagrad({params[0]});
  step_once(sparse_adam);
  step_once(sgd);
  step_once(adagrad);
  for (const auto& rows : {std::vector<std::int64_t>{1, 3}, std::vector<std::int64_t>{-1}}) {
    params[0].set_sparse_grad(sparse_rows(rows));
    const std::string bad = std::to_string(rows.back());
    require_refused<IndexError>([&] { sparse_adam.step(); }, {bad}, [&] { return snapshot(sparse_adam); });
    require_refused<IndexError>([&] { sgd.step(); }, {bad}, [&] { return snapshot(sgd); });
    require_refused<IndexError>([&] { adagrad.step(); }, {bad}, [&] { return snapshot(adagrad); });
  }
}

TEST_CASE("bad input: an optimizer refuses a checkpoint that does not fit and changes nothing", "[reliability]") {
  std::vector<Tensor> params = make_params();
  optim::Adam adam(params);
  step_once(adam);
  auto state = [&] { return snapshot(adam); };

  manual_seed(1);
  std::vector<Tensor> other_shapes{randn({2, 2}).requires_grad_(), randn({2}).requires_grad_()};
  for (Tensor& p : other_shapes) p.set_grad(ones(p.shape()));
  optim::Adam other(other_shapes);
  other.step();
  require_refused<ShapeError>([&] { adam.load_state_dict(other.state_dict()); }, {"[2, 2]", "[3, 2]"}, state);

  optim::SGD sgd(params, optim::SGDOptions(0.1).momentum(0.9));
  sgd.step();
  require_refused<ValueError>([&] { adam.load_state_dict(sgd.state_dict()); }, {"SGD"}, state);

  optim::Adam fewer({params[0]});
  fewer.step();
  require_refused<ValueError>([&] { adam.load_state_dict(fewer.state_dict()); }, {"doesn't match the size"}, state);
}

TEST_CASE("bad input: clip_grad_norm_ with error_if_nonfinite refuses NaN and inf norms untouched", "[reliability]") {
  for (double bad : {kNaN, std::numeric_limits<double>::infinity()}) {
    std::vector<Tensor> params = make_params();
    params[1].grad().data_ptr<float>()[1] = static_cast<float>(bad);
    auto state = [&] { return snapshot(params); };
    require_refused<ValueError>([&] { nn::utils::clip_grad_norm_(params, 1.0, 2.0, true); }, {"non-finite"}, state);
    require_refused<ValueError>([&] { nn::utils::clip_grad_norm_(params, -1.0); }, {"max_norm -1"}, state);
    require_refused<ValueError>([&] { nn::utils::clip_grad_norm_(params, 1.0, kNaN); }, {"norm_type nan"}, state);
    require_refused<ValueError>([&] { nn::utils::clip_grad_value_(params, -0.5); }, {"clip_value -0.5"}, state);

    // Without the flag, PyTorch scales every gradient by max_norm / total: NaN makes every
    // gradient NaN, inf makes the finite ones 0.
    const double total = nn::utils::clip_grad_norm_(params, 1.0);
    CHECK(!std::isfinite(total));
    for (double g : params[0].grad().to_vector<double>()) CHECK((std::isnan(bad) ? std::isnan(g) : g == 0.0));
  }
}
