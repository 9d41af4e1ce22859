// nn::Module: registration, traversal, modes, state_dict and printing.
#include "nn/module.h"

#include "autograd/grad_mode.h"
#include "core/safetensors.h"
#include "core/sparse.h"

#include <fmt/format.h>

#include <ostream>
#include <set>

namespace ember::nn {

Module::Module(std::string name) : name_(std::move(name)) {}

namespace {
void check_new_name(const std::string& owner, const std::string& name, bool taken) {
  EMBER_CHECK(!name.empty() && name.find('.') == std::string::npos, ValueError,
              "{}: invalid name \"{}\"; expected a non-empty name without '.'", owner, name);
  EMBER_CHECK(!taken, ValueError, "{}: \"{}\" is already registered", owner, name);
}

template <typename List> bool has_name(const List& list, const std::string& name) {
  for (const auto& [n, v] : list)
    if (n == name) return true;
  return false;
}
}  // namespace

Tensor& Module::register_parameter(const std::string& name, Tensor t, bool requires_grad) {
  check_new_name(name_, name, has_name(parameters_, name) || has_name(buffers_, name) || has_name(children_, name));
  EMBER_CHECK(t.defined(), ValueError, "{}: parameter \"{}\" is undefined", name_, name);
  if (t.is_leaf()) t.requires_grad_(requires_grad);
  parameters_.emplace_back(name, std::move(t));
  return parameters_.back().second;
}

Tensor& Module::register_buffer(const std::string& name, Tensor t) {
  check_new_name(name_, name, has_name(parameters_, name) || has_name(buffers_, name) || has_name(children_, name));
  buffers_.emplace_back(name, std::move(t));
  return buffers_.back().second;
}

void Module::register_module_impl(const std::string& name, std::shared_ptr<Module> module) {
  check_new_name(name_, name, has_name(parameters_, name) || has_name(buffers_, name) || has_name(children_, name));
  EMBER_CHECK(module != nullptr, ValueError, "{}: submodule \"{}\" is null", name_, name);
  children_.emplace_back(name, std::move(module));
}

void Module::replace_parameter(const std::string& name, Tensor t) {
  for (auto& [n, p] : parameters_)
    if (n == name) {
      p = std::move(t);
      return;
    }
  throw ValueError(fmt::format("{}: no parameter named \"{}\"", name_, name));
}

void Module::collect(const std::string& prefix, bool recurse, bool params, NamedTensors& out) const {
  for (const auto& [n, t] : params ? parameters_ : buffers_) out.emplace_back(prefix + n, t);
  if (!recurse) return;
  for (const auto& [n, child] : children_) child->collect(prefix + n + ".", true, params, out);
}

NamedTensors Module::named_parameters(bool recurse) const {
  NamedTensors out;
  collect("", recurse, true, out);
  return out;
}

NamedTensors Module::named_buffers(bool recurse) const {
  NamedTensors out;
  collect("", recurse, false, out);
  return out;
}

std::vector<Tensor> Module::parameters(bool recurse) const {
  std::vector<Tensor> out;
  for (auto& [n, t] : named_parameters(recurse)) out.push_back(t);
  return out;
}

std::vector<std::shared_ptr<Module>> Module::children() const {
  std::vector<std::shared_ptr<Module>> out;
  for (const auto& [n, c] : children_) out.push_back(c);
  return out;
}

std::vector<std::pair<std::string, std::shared_ptr<Module>>> Module::named_children() const { return children_; }

std::vector<std::pair<std::string, const Module*>> Module::named_modules() const {
  std::vector<std::pair<std::string, const Module*>> out{{"", this}};
  for (const auto& [n, child] : children_)
    for (auto& [sub, m] : child->named_modules()) out.emplace_back(sub.empty() ? n : n + "." + sub, m);
  return out;
}

std::int64_t Module::num_parameters() const {
  std::int64_t total = 0;
  for (const Tensor& p : parameters()) total += p.numel();
  return total;
}

void Module::train(bool on) {
  training_ = on;
  for (auto& [n, child] : children_) child->train(on);
}

void Module::zero_grad(bool set_to_none) {
  for (Tensor& p : parameters()) {
    if (set_to_none) {
      p.set_grad(Tensor());
    } else if (p.has_sparse_grad()) {
      p.set_sparse_grad(SparseTensor::empty(p.shape(), p.dtype()));
    } else if (Tensor g = p.grad(); g.defined()) {
      g.zero_();
    }
  }
}

NamedTensors Module::state_dict() const {
  NamedTensors out = named_parameters();
  for (auto& entry : named_buffers()) out.push_back(entry);
  return out;
}

void Module::load_state_dict(const NamedTensors& state, bool strict) {
  for (const auto& [n, t] : state)
    EMBER_CHECK(t.defined(), ValueError, "{}: load_state_dict: tensor '{}' is undefined; expected a tensor", name_,
                n);
  NamedTensors own = state_dict();
  std::set<std::string> own_names, given_names;
  for (const auto& [n, t] : own) own_names.insert(n);
  for (const auto& [n, t] : state) given_names.insert(n);
  // Validate everything first: a failed load changes no parameter.
  std::vector<std::string> missing, unexpected, mismatched;
  for (const auto& n : own_names)
    if (!given_names.count(n)) missing.push_back(n);
  for (const auto& n : given_names)
    if (!own_names.count(n)) unexpected.push_back(n);
  for (const auto& [n, t] : own)
    for (const auto& [gn, gt] : state)
      if (gn == n && (gt.shape() != t.shape() || gt.dtype() != t.dtype()))
        mismatched.push_back(fmt::format("{}: checkpoint has {} {}, model has {} {}", n, shape_str(gt.shape()),
                                         dtype_name(gt.dtype()), shape_str(t.shape()), dtype_name(t.dtype())));
  std::string problems;
  if (strict && !missing.empty()) problems += fmt::format("\n  missing keys: {}", fmt::join(missing, ", "));
  if (strict && !unexpected.empty()) problems += fmt::format("\n  unexpected keys: {}", fmt::join(unexpected, ", "));
  if (!mismatched.empty()) problems += fmt::format("\n  size mismatch: {}", fmt::join(mismatched, "; "));
  EMBER_CHECK(problems.empty(), ValueError, "{}: error(s) in loading state_dict:{}", name_, problems);
  NoGradGuard no_grad;
  for (auto& [n, t] : own)
    for (const auto& [gn, gt] : state)
      if (gn == n) t.copy_(gt);
}

void Module::save(const std::string& path) const { save_safetensors(path, state_dict()); }

void Module::load(const std::string& path, bool strict) { load_state_dict(load_safetensors(path).tensors, strict); }

// ---- printing ---------------------------------------------------------------------------

namespace {
void print_module(std::string& out, const Module& m, int indent) {
  out += m.name() + "(";
  const std::string extra = m.extra_repr();
  const auto children = m.named_children();
  if (children.empty()) {
    out += extra + ")";
    return;
  }
  const std::string pad(indent + 2, ' ');
  if (!extra.empty()) out += "\n" + pad + extra;
  for (const auto& [n, child] : children) {
    out += "\n" + pad + "(" + n + "): ";
    print_module(out, *child, indent + 2);
  }
  out += "\n" + std::string(indent, ' ') + ")";
}
}  // namespace

std::string to_string(const Module& module) {
  std::string out;
  print_module(out, module, 0);
  return out;
}

std::ostream& operator<<(std::ostream& os, const Module& module) { return os << to_string(module); }

}  // namespace ember::nn
