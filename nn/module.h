// nn::Module: the base of every layer and model. Parameters, buffers and submodules are
// registered by name in registration order, which gives dotted names ("rnn.weight_ih_l0") and a
// state_dict that means the same thing as PyTorch's for the same model.
//
//   struct TextClassifier : nn::Module {
//     TextClassifier() : Module("TextClassifier") {
//       embedding = register_module("embedding", std::make_shared<nn::Embedding>(nn::EmbeddingOptions(1000, 64).padding_idx(0)));
//       ...
//     }
//     Tensor forward(const Tensor& tokens) { ... }
//     std::shared_ptr<nn::Embedding> embedding;
//   };
//
// Modules are plain classes held by std::shared_ptr. Copies of a Tensor are shallow, so the
// member `weight` and the registered entry are the same tensor.
#pragma once

#include "core/tensor.h"

#include <iosfwd>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace ember::nn {

// Name -> tensor, in a fixed order (registration order for modules).
using NamedTensors = std::vector<std::pair<std::string, Tensor>>;  // same type as ember::NamedTensorList

class Module {
 public:
  explicit Module(std::string name = "Module");
  virtual ~Module() = default;
  Module(const Module&) = delete;
  Module& operator=(const Module&) = delete;

  // The type name shown when printing, e.g. "Linear".
  const std::string& name() const { return name_; }

  // ---- registration (names may not contain '.' and must be unique within the module) ------
  // Registers `t` as a parameter and makes it require grad (unless requires_grad is false, e.g.
  // a frozen pretrained embedding). Returns the registered handle.
  Tensor& register_parameter(const std::string& name, Tensor t, bool requires_grad = true);
  Tensor& register_buffer(const std::string& name, Tensor t);
  template <typename M> std::shared_ptr<M> register_module(const std::string& name, std::shared_ptr<M> module) {
    register_module_impl(name, module);
    return module;
  }
  // Replaces the tensor registered as `name` (e.g. Embedding::from_pretrained swapping weight).
  void replace_parameter(const std::string& name, Tensor t);

  // ---- access -------------------------------------------------------------------------------
  std::vector<Tensor> parameters(bool recurse = true) const;
  NamedTensors named_parameters(bool recurse = true) const;  // "fc.weight", ...
  NamedTensors named_buffers(bool recurse = true) const;
  std::vector<std::shared_ptr<Module>> children() const;
  std::vector<std::pair<std::string, std::shared_ptr<Module>>> named_children() const;
  // This module and all below it, depth first ("" names this module).
  std::vector<std::pair<std::string, const Module*>> named_modules() const;
  std::int64_t num_parameters() const;  // total elements of all parameters

  // ---- modes --------------------------------------------------------------------------------
  virtual void train(bool on = true);  // recursive
  void eval() { train(false); }
  bool is_training() const { return training_; }

  // Clears gradients. set_to_none=true (PyTorch 2.x's default) drops them; false zeroes them
  // in place (sparse gradients become empty), keeping the buffers.
  void zero_grad(bool set_to_none = true);

  // ---- state dict -----------------------------------------------------------------------------
  // Parameters then buffers, recursively, with dotted names: exactly PyTorch's state_dict keys.
  NamedTensors state_dict() const;
  // Copies values into the registered tensors (under no-grad). Strict: missing keys, unexpected
  // keys and shape/dtype mismatches are all reported by name, and nothing is changed unless every
  // entry fits. Non-strict: only matching keys are loaded (shape mismatches still throw).
  void load_state_dict(const NamedTensors& state, bool strict = true);
  // safetensors files (nn/safetensors.h): PyTorch reads ember's, ember reads PyTorch's.
  void save(const std::string& path) const;
  void load(const std::string& path, bool strict = true);

  // One line describing this module's options, e.g. "in_features=5, out_features=4, bias=True".
  // Modules override it; the default is empty.
  virtual std::string extra_repr() const { return ""; }

 protected:
  void register_module_impl(const std::string& name, std::shared_ptr<Module> module);

 private:
  void collect(const std::string& prefix, bool recurse, bool params, NamedTensors& out) const;

  std::string name_;
  bool training_ = true;
  NamedTensors parameters_;
  NamedTensors buffers_;
  std::vector<std::pair<std::string, std::shared_ptr<Module>>> children_;
};

// Like print(model) in PyTorch:
//   TextClassifier(
//     (embedding): Embedding(1000, 64, padding_idx=0)
//     ...
//   )
std::string to_string(const Module& module);
std::ostream& operator<<(std::ostream& os, const Module& module);

}  // namespace ember::nn
