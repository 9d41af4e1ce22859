// nn::Sequential: modules applied one after the other, registered as "0", "1", ... like PyTorch,
// so state_dict keys read "0.weight", "2.bias".
//   auto mlp = std::make_shared<nn::Sequential>(std::make_shared<nn::Linear>(4, 8),
//                                               std::make_shared<nn::ReLU>(),
//                                               std::make_shared<nn::Linear>(8, 2));
//   Tensor y = mlp->forward(x);
#pragma once

#include "nn/module.h"

#include <concepts>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace ember::nn {

// A module whose forward maps one tensor to one tensor (Linear, ReLU, Dropout, Sequential, ...).
template <typename M>
concept TensorToTensorModule = std::derived_from<M, Module> && requires(M& m, const Tensor& x) {
  { m.forward(x) } -> std::convertible_to<Tensor>;
};

class Sequential : public Module {
 public:
  Sequential() : Module("Sequential") {}
  template <TensorToTensorModule... Ms>
  explicit Sequential(std::shared_ptr<Ms>... modules) : Sequential() {
    (push_back(std::move(modules)), ...);
  }

  // Appends `module` under the next index ("0", "1", ...).
  template <TensorToTensorModule M> void push_back(std::shared_ptr<M> module) {
    push_back(std::to_string(steps_.size()), std::move(module));
  }
  // Appends `module` under an explicit name, like PyTorch's Sequential(OrderedDict(...)).
  template <TensorToTensorModule M> void push_back(const std::string& name, std::shared_ptr<M> module) {
    register_module(name, module);
    // The module is owned by the registration above, so the step may hold a plain pointer.
    steps_.push_back([raw = module.get()](const Tensor& x) { return Tensor(raw->forward(x)); });
  }

  // Applies every module in order; an empty Sequential returns x.
  Tensor forward(const Tensor& x) const;

  std::size_t size() const { return steps_.size(); }
  bool empty() const { return steps_.empty(); }
  // The i-th module (throws IndexError when out of range).
  std::shared_ptr<Module> operator[](std::size_t index) const;

 private:
  std::vector<std::function<Tensor(const Tensor&)>> steps_;
};

}  // namespace ember::nn
