// "Nothing changed": raw-byte snapshots of a module (parameters, gradients, buffers, storage
// versions) and of an optimizer (its whole state_dict), and a check that a call is refused with
// a typed ember exception carrying a useful message while leaving a snapshot bitwise unchanged.
#pragma once

#include <catch2/catch.hpp>

#include "core/sparse.h"
#include "core/tensor.h"
#include "nn/module.h"
#include "optim/optimizer.h"

#include <fmt/format.h>

#include <functional>
#include <string>
#include <typeinfo>
#include <vector>

namespace ember::testing {

// One entry per tensor: name, dtype, shape, storage version and every byte of its data.
using Snapshot = std::vector<std::string>;

inline std::string tensor_bytes(const std::string& name, const Tensor& t) {
  if (!t.defined()) return name + ": undefined";
  const Tensor c = t.contiguous();
  std::string entry = fmt::format("{}: {} [{}] v{} ", name, dtype_name(t.dtype()), fmt::join(t.shape(), ", "), t.version());
  if (c.numel() > 0) entry.append(static_cast<const char*>(c.raw_data()), c.numel() * c.element_size());
  return entry;
}

inline void add_gradient(Snapshot& s, const std::string& name, const Tensor& p) {
  if (p.has_sparse_grad()) {
    const SparseTensor g = p.sparse_grad();
    s.push_back(tensor_bytes(name + ".grad.indices", g.indices));
    s.push_back(tensor_bytes(name + ".grad.values", g.values));
  } else {
    s.push_back(tensor_bytes(name + ".grad", p.grad()));
  }
}

inline Snapshot snapshot(const nn::Module& module) {
  Snapshot s;
  for (const auto& [name, p] : module.named_parameters()) {
    s.push_back(tensor_bytes(name, p));
    add_gradient(s, name, p);
  }
  for (const auto& [name, b] : module.named_buffers()) s.push_back(tensor_bytes(name, b));
  return s;
}

inline Snapshot snapshot(const std::vector<Tensor>& params) {
  Snapshot s;
  for (std::size_t i = 0; i < params.size(); ++i) {
    s.push_back(tensor_bytes(fmt::format("param{}", i), params[i]));
    add_gradient(s, fmt::format("param{}", i), params[i]);
  }
  return s;
}

// The parameters, their gradients and the optimizer's whole state (tensors, steps, options).
inline Snapshot snapshot(const optim::Optimizer& optimizer) {
  Snapshot s;
  for (const auto& group : optimizer.param_groups()) {
    const Snapshot params = snapshot(group.params);
    s.insert(s.end(), params.begin(), params.end());
  }
  const optim::OptimizerStateDict state = optimizer.state_dict();
  for (const auto& [name, t] : state.tensors) s.push_back(tensor_bytes("state " + name, t));
  s.push_back(state.json);
  return s;
}

// Requires `call` to throw exactly an E whose message contains every part of `message_parts`,
// and `state()` to be bitwise the same afterwards.
template <typename E>
void require_refused(const std::function<void()>& call, const std::vector<std::string>& message_parts,
                     const std::function<Snapshot()>& state) {
  const Snapshot before = state();
  bool threw = false;
  try {
    call();
  } catch (const E& e) {
    threw = true;
    INFO("message: " << e.what());
    for (const std::string& part : message_parts) CHECK_THAT(e.what(), Catch::Contains(part));
  } catch (const std::exception& e) {
    FAIL("expected " << typeid(E).name() << ", got " << typeid(e).name() << ": " << e.what());
  }
  if (!threw) FAIL("expected " << typeid(E).name() << "; the call succeeded");
  const Snapshot after = state();
  REQUIRE(after.size() == before.size());
  for (std::size_t i = 0; i < before.size(); ++i) {
    INFO("entry " << i << " (" << before[i].substr(0, before[i].find(' ')) << ") changed");
    CHECK(after[i] == before[i]);
  }
}

}  // namespace ember::testing
