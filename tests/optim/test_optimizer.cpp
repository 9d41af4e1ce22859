// optim::Optimizer: construction checks, parameter groups, learning rates, zero_grad, and
// checkpoints (in memory and on disk) that resume training exactly.
#include "optim_testing.h"

#include "autograd/ops.h"

#include <filesystem>
#include <fstream>

using namespace ember;
using ember::testing::require_equal;
using ember::testing::snapshot;
using Catch::Contains;
using nlohmann::json;

namespace {

// A fresh directory for checkpoint files, removed when the test ends.
struct TempDir {
  std::filesystem::path path =
      std::filesystem::temp_directory_path() / ("ember_optim_test_" + std::to_string(::getpid()));
  TempDir() { std::filesystem::create_directories(path); }
  ~TempDir() { std::filesystem::remove_all(path); }
  std::string prefix(const std::string& name) const { return (path / name).string(); }
};

// A bitwise copy of everything a checkpoint holds, to compare before and after a failed load.
struct Snapshot {
  std::vector<std::pair<std::string, Tensor>> tensors;
  std::string json;
  explicit Snapshot(const optim::Optimizer& o) {
    auto sd = o.state_dict();
    for (auto& [name, t] : sd.tensors) tensors.emplace_back(name, snapshot(t));
    json = sd.json;
  }
  void require_same_as(const optim::Optimizer& o) const {
    auto sd = o.state_dict();
    REQUIRE(sd.json == json);
    REQUIRE(sd.tensors.size() == tensors.size());
    for (std::size_t i = 0; i < tensors.size(); ++i) {
      REQUIRE(sd.tensors[i].first == tensors[i].first);
      require_equal(sd.tensors[i].second, tensors[i].second);
    }
  }
};

}  // namespace

TEST_CASE("Optimizer rejects bad parameter lists at construction", "[optim]") {
  Tensor p = ones({2}).requires_grad_();
  Tensor q = ones({3}).requires_grad_();
  REQUIRE_THROWS_WITH(optim::SGD(std::vector<Tensor>{}, optim::SGDOptions(0.1)),
                      Contains("optimizer got an empty parameter list"));
  REQUIRE_THROWS_WITH(optim::SGD({optim::ParamGroup({p}), optim::ParamGroup({q, p})}, optim::SGDOptions(0.1)),
                      Contains("some parameters appear in more than one parameter group"));
  REQUIRE_THROWS_WITH(optim::SGD({p, q, p}, optim::SGDOptions(0.1)),
                      Contains("optimizer contains a parameter group with duplicate parameters"));
  REQUIRE_THROWS_WITH(optim::SGD({ember::add(p, p)}, optim::SGDOptions(0.1)), Contains("can't optimize a non-leaf Tensor"));
  Tensor strided = kernels::transpose(ones({2, 3}), 0, 1).requires_grad_();
  REQUIRE_THROWS_WITH(optim::SGD({strided}, optim::SGDOptions(0.1)), Contains("is not contiguous"));
  REQUIRE_THROWS_WITH(optim::SGD({tensor(std::vector<std::int64_t>{1}, {1})}, optim::SGDOptions(0.1)),
                      Contains("has dtype int64; expected float32 or float64"));
  REQUIRE_THROWS_AS(optim::SGD({optim::ParamGroup({p}, optim::AdamOptions())}, optim::SGDOptions(0.1)), TypeError);
  REQUIRE_THROWS_WITH(optim::SGD({optim::ParamGroup({p}), optim::ParamGroup({q}, optim::SGDOptions(-1))},
                                 optim::SGDOptions(0.1)),
                      Contains("Invalid learning rate: -1.0 in parameter group 1"));
}

TEST_CASE("add_param_group validates before adding anything", "[optim]") {
  Tensor p = ones({2}).requires_grad_();
  Tensor q = ones({3}).requires_grad_();
  optim::SGD sgd({p}, optim::SGDOptions(0.1));
  REQUIRE_THROWS_WITH(sgd.add_param_group(optim::ParamGroup({q, p})),
                      Contains("some parameters appear in more than one parameter group"));
  REQUIRE_THROWS_WITH(sgd.add_param_group(optim::ParamGroup({q}, optim::SGDOptions(0.1).momentum(-1))),
                      Contains("Invalid momentum value: -1.0 in parameter group 1"));
  REQUIRE(sgd.param_groups().size() == 1);
  sgd.add_param_group(optim::ParamGroup({q}, optim::SGDOptions(0.01)));
  REQUIRE(sgd.param_groups().size() == 2);
  REQUIRE(sgd.num_parameters() == 2);
}

TEST_CASE("Parameter groups use their own options, and lr is read and set per group", "[optim]") {
  Tensor a = zeros({1}, kFloat64).requires_grad_();
  Tensor b = zeros({1}, kFloat64).requires_grad_();
  optim::SGD sgd({optim::ParamGroup({a}), optim::ParamGroup({b}, optim::SGDOptions(0.01))}, optim::SGDOptions(0.1));
  REQUIRE(sgd.lr(0) == 0.1);
  REQUIRE(sgd.lr(1) == 0.01);
  a.set_grad(ones({1}, kFloat64));
  b.set_grad(ones({1}, kFloat64));
  sgd.step();
  REQUIRE(a.item<double>() == -0.1);
  REQUIRE(b.item<double>() == -0.01);
  sgd.set_lr(1, 0.5);
  REQUIRE(sgd.lr(1) == 0.5);
  REQUIRE_THROWS_WITH(sgd.set_lr(0, -0.1), Contains("Invalid learning rate: -0.1 for parameter group 0"));
  REQUIRE(sgd.lr(0) == 0.1);
  REQUIRE_THROWS_AS(sgd.set_lr(2, 0.1), IndexError);
  REQUIRE_THROWS_AS(sgd.lr(2), IndexError);
}

TEST_CASE("zero_grad drops gradients, or zeroes them with set_to_none=false", "[optim]") {
  Tensor dense = ones({2}).requires_grad_();
  Tensor table = ones({4, 2}).requires_grad_();
  optim::SGD sgd({dense, table}, optim::SGDOptions(0.1));
  auto set_grads = [&] {
    dense.set_grad(ones({2}));
    table.set_sparse_grad(SparseTensor(tensor(std::vector<std::int64_t>{1}, {1}), ones({1, 2}), {4, 2}));
  };
  set_grads();
  const Tensor dense_grad = dense.grad();
  sgd.zero_grad(false);
  REQUIRE(dense.grad().is_same(dense_grad));  // zeroed in place, same tensor
  require_equal(dense_grad, zeros({2}));
  REQUIRE(table.has_sparse_grad());
  REQUIRE(table.sparse_grad().nnz() == 0);
  set_grads();
  sgd.zero_grad();  // PyTorch 2.x default: set_to_none
  REQUIRE_FALSE(dense.grad().defined());
  REQUIRE_FALSE(table.has_sparse_grad());
}

// One golden case per optimizer kind: 5 steps, checkpoint, a fresh optimizer (built with a
// different lr, which the checkpoint overrides) loads it, 5 more steps: equal to PyTorch's
// 10-step trajectory and bitwise equal to an uninterrupted run.
TEST_CASE("state_dict and save/load resume training exactly", "[optim]") {
  const std::vector<std::string> names = {
      "SGD dense lr=0.05 momentum=0.5 weight_decay=0.1 nesterov=True maximize=True",
      "SGD sparse lr=0.1 momentum=0.9 nesterov=True",
      "Adam dense lr=0.02 betas=[0.8, 0.99] eps=1e-06 weight_decay=0.05 amsgrad=True",
      "AdamW dense lr=0.01 weight_decay=0.1 amsgrad=True",
      "Adagrad dense lr=0.1 lr_decay=0.1 weight_decay=0.1 initial_accumulator_value=0.5",
      "Adagrad sparse lr=0.1",
      "SparseAdam sparse lr=0.01",
      "Adam dense float32 lr=0.01 amsgrad=True",
  };
  const TempDir dir;
  for (const std::string& name : names) {
    for (bool on_disk : {false, true}) {
      INFO(name << (on_disk ? " (files)" : " (in memory)"));
      json c;
      for (const auto& kind : {"SGD", "Adam", "AdamW", "Adagrad", "SparseAdam"})
        for (const auto& x : ember::testing::golden_optimizer_cases(kind))
          if (x.at("name") == name) c = x;
      REQUIRE(c.is_object());
      const std::string kind = c.at("optimizer");
      Tensor p = ember::testing::tensor_from_json(c.at("param")).requires_grad_();
      auto first = ember::testing::make_optimizer(kind, c.at("options"), {p});
      ember::testing::replay(c, p, *first, 0, 5);

      Tensor resumed = snapshot(p).requires_grad_();
      json other_options = c.at("options");
      other_options["lr"] = 0.5;
      auto second = ember::testing::make_optimizer(kind, other_options, {resumed});
      if (on_disk) {
        const std::string prefix = dir.prefix("resume");
        first->save(prefix);
        second->load(prefix);
      } else {
        second->load_state_dict(first->state_dict());
      }
      REQUIRE(second->lr(0) == c.at("options").at("lr").get<double>());
      ember::testing::replay(c, resumed, *second, 5, 10);
      ember::testing::replay(c, p, *first, 5, 10);
      require_equal(resumed, p);
    }
  }
}

TEST_CASE("load_state_dict rejects mismatched checkpoints and changes nothing", "[optim]") {
  Tensor p = ones({2, 3}, kFloat64).requires_grad_();
  optim::Adam adam({p}, optim::AdamOptions(0.1));
  p.set_grad(ones({2, 3}, kFloat64));
  adam.step();
  const Snapshot before(adam);

  Tensor other = ones({2, 3}, kFloat64).requires_grad_();
  Tensor extra = ones({4}, kFloat64).requires_grad_();
  Tensor wrong_shape = ones({3, 2}, kFloat64).requires_grad_();
  optim::SGD sgd({other}, optim::SGDOptions(0.1));
  REQUIRE_THROWS_WITH(adam.load_state_dict(sgd.state_dict()), Contains("cannot load the state of a 'SGD' optimizer"));
  optim::Adam two_groups({optim::ParamGroup({other}), optim::ParamGroup({extra})});
  REQUIRE_THROWS_WITH(adam.load_state_dict(two_groups.state_dict()),
                      Contains("loaded state dict has a different number of parameter groups"));
  optim::Adam bigger_group({other, extra});
  REQUIRE_THROWS_WITH(adam.load_state_dict(bigger_group.state_dict()),
                      Contains("loaded state dict contains a parameter group that doesn't match the size"));
  optim::Adam transposed({wrong_shape});
  wrong_shape.set_grad(ones({3, 2}, kFloat64));
  transposed.step();
  REQUIRE_THROWS_WITH(adam.load_state_dict(transposed.state_dict()),
                      Contains("loaded tensor 'state.0.exp_avg' has shape [3, 2]; expected [2, 3]"));
  auto bad_lr = adam.state_dict();
  bad_lr.json = json::parse(bad_lr.json).dump();
  {
    json doc = json::parse(bad_lr.json);
    doc["param_groups"][0]["lr"] = -1.0;
    bad_lr.json = doc.dump();
  }
  REQUIRE_THROWS_WITH(adam.load_state_dict(bad_lr), Contains("Invalid learning rate: -1.0 in loaded parameter group 0"));
  REQUIRE_THROWS_WITH(adam.load_state_dict({{}, "{not json"}), Contains("not valid JSON"));
  auto missing_step = adam.state_dict();
  {
    json doc = json::parse(missing_step.json);
    doc["state"]["0"].erase("step");
    missing_step.json = doc.dump();
  }
  REQUIRE_THROWS_WITH(adam.load_state_dict(missing_step), Contains("has no step count"));
  auto unexpected = adam.state_dict();
  unexpected.tensors.emplace_back("state.7.exp_avg", ones({1}));
  REQUIRE_THROWS_WITH(adam.load_state_dict(unexpected), Contains("unexpected tensor 'state.7.exp_avg'"));
  before.require_same_as(adam);
}

TEST_CASE("load refuses files from two different saves and missing files", "[optim]") {
  Tensor p = ones({3}, kFloat64).requires_grad_();
  optim::SGD sgd({p}, optim::SGDOptions(0.1).momentum(0.9));
  p.set_grad(ones({3}, kFloat64));
  sgd.step();
  const TempDir dir;
  const std::string a = dir.prefix("save_a"), b = dir.prefix("save_b");
  sgd.save(a);
  sgd.save(b);
  // An interrupted save: the JSON of one save beside the tensors of another.
  std::filesystem::copy_file(b + ".json", a + ".json", std::filesystem::copy_options::overwrite_existing);
  const Snapshot before(sgd);
  REQUIRE_THROWS_WITH(sgd.load(a), Contains("come from different saves"));
  REQUIRE_THROWS_AS(sgd.load(a), IoError);
  REQUIRE_THROWS_AS(sgd.load(dir.prefix("does_not_exist")), IoError);
  before.require_same_as(sgd);
  REQUIRE_NOTHROW(sgd.load(b));
}
