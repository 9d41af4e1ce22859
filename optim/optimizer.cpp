// optim::Optimizer: parameter groups, zero_grad, learning rates, and checkpoints
// (state tensors in safetensors, options and step counts in JSON).
#include "optim/optimizer.h"

#include "autograd/grad_mode.h"
#include "core/kernels.h"

#include "core/json_limits.h"

#include <nlohmann/json.hpp>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <map>
#include <random>
#include <set>
#include <sstream>
#include <unistd.h>

namespace ember::optim {

using nlohmann::json;

std::string py_float(double value) {
  if (std::isnan(value)) return "nan";
  if (std::isinf(value)) return value > 0 ? "inf" : "-inf";
  std::string s = fmt::format("{}", value);
  if (s.find_first_of(".e") == std::string::npos) s += ".0";
  return s;
}

ParamGroup::ParamGroup(const ParamGroup& other)
    : params(other.params), options(other.options ? other.options->clone() : nullptr) {}

ParamGroup& ParamGroup::operator=(const ParamGroup& other) {
  if (this != &other) {
    params = other.params;
    options = other.options ? other.options->clone() : nullptr;
  }
  return *this;
}

Optimizer::Optimizer(std::string name, const OptimizerOptions& defaults)
    : name_(std::move(name)), defaults_(defaults.clone()) {}

void Optimizer::init(std::vector<ParamGroup> groups) {
  validate_options(*defaults_, "");
  std::size_t total = 0;
  for (const auto& group : groups) total += group.params.size();
  EMBER_CHECK(total > 0, ValueError, "{}: optimizer got an empty parameter list; expected at least one parameter",
              name_);
  for (auto& group : groups) add_param_group(std::move(group));
}

void Optimizer::add_param_group(ParamGroup group) {
  const std::size_t g = groups_.size();
  if (group.options) {
    validate_options(*group.options, fmt::format(" in parameter group {}", g));
  } else {
    group.options = defaults_->clone();  // validated by init()
  }
  std::set<const TensorImpl*> seen;
  for (std::size_t i = 0; i < group.params.size(); ++i) {
    const Tensor& p = group.params[i];
    EMBER_CHECK(p.defined(), ValueError, "{}: parameter {} of group {} is an undefined tensor", name_, i, g);
    EMBER_CHECK(is_floating(p.dtype()), TypeError,
                "{}: parameter {} of group {} has dtype {}; expected float32 or float64", name_, i, g,
                dtype_name(p.dtype()));
    EMBER_CHECK(p.is_leaf(), ValueError, "{}: can't optimize a non-leaf Tensor (parameter {} of group {})", name_, i, g);
    EMBER_CHECK(p.is_contiguous(), ValueError,
                "{}: parameter {} of group {} is not contiguous; expected a contiguous tensor (the updates "
                "are fused loops over its memory)",
                name_, i, g);
    EMBER_CHECK(seen.insert(p.impl()).second, ValueError,
                "{}: optimizer contains a parameter group with duplicate parameters (parameter {} of group {})",
                name_, i, g);
    for (const auto& other : groups_)
      for (const auto& q : other.params)
        EMBER_CHECK(!q.is_same(p), ValueError, "{}: some parameters appear in more than one parameter group", name_);
  }
  state_.emplace_back(group.params.size());
  groups_.push_back(std::move(group));
  on_group_added(g);
}

std::size_t Optimizer::num_parameters() const {
  std::size_t n = 0;
  for (const auto& group : groups_) n += group.params.size();
  return n;
}

void Optimizer::zero_grad(bool set_to_none) {
  for (auto& group : groups_) {
    for (auto& p : group.params) {
      if (set_to_none) {
        p.set_grad(Tensor());
      } else if (p.has_sparse_grad()) {
        p.set_sparse_grad(SparseTensor::empty(p.shape(), p.dtype()));
      } else if (Tensor g = p.grad(); g.defined()) {
        g.zero_();
      }
    }
  }
}

double Optimizer::lr(std::size_t group) const {
  EMBER_CHECK(group < groups_.size(), IndexError, "{}: parameter group {} is out of range [0, {})", name_, group,
              groups_.size());
  return groups_[group].options->get_lr();
}

void Optimizer::set_lr(std::size_t group, double lr) {
  EMBER_CHECK(group < groups_.size(), IndexError, "{}: parameter group {} is out of range [0, {})", name_, group,
              groups_.size());
  EMBER_CHECK(lr >= 0.0, ValueError, "{}: Invalid learning rate: {} for parameter group {}; expected lr >= 0", name_,
              py_float(lr), group);
  groups_[group].options->set_lr(lr);
}

const ParamState* Optimizer::state(std::size_t group, std::size_t index) const {
  EMBER_CHECK(group < groups_.size() && index < groups_[group].params.size(), IndexError,
              "{}: no parameter {} in group {}", name_, index, group);
  return state_[group][index].get();
}

// ---- checkpoints ------------------------------------------------------------------------------

namespace {

struct OptionsWriter : OptionsVisitor {
  json& out;
  explicit OptionsWriter(json& o) : out(o) {}
  void number(const char* name, double& value) override { out[name] = value; }
  void flag(const char* name, bool& value) override { out[name] = value; }
  void pair(const char* name, std::pair<double, double>& value) override {
    out[name] = json::array({value.first, value.second});
  }
};

struct OptionsReader : OptionsVisitor {
  const json& in;
  const std::string& op;
  OptionsReader(const json& i, const std::string& o) : in(i), op(o) {}
  const json& field(const char* name) {
    EMBER_CHECK(in.contains(name), ValueError, "{}: loaded parameter group has no value for '{}'", op, name);
    return in.at(name);
  }
  void number(const char* name, double& value) override { value = field(name).get<double>(); }
  void flag(const char* name, bool& value) override { value = field(name).get<bool>(); }
  void pair(const char* name, std::pair<double, double>& value) override {
    const json& j = field(name);
    EMBER_CHECK(j.is_array() && j.size() == 2, ValueError, "{}: loaded '{}' is {}; expected two numbers", op, name,
                j.dump());
    value = {j[0].get<double>(), j[1].get<double>()};
  }
};

struct StateWriter : StateVisitor {
  std::string prefix;
  json& entry;
  NamedTensorList& tensors;
  StateWriter(std::string p, json& e, NamedTensorList& t) : prefix(std::move(p)), entry(e), tensors(t) {}
  void step(std::int64_t& step) override { entry["step"] = step; }
  void tensor(const char* name, Tensor& value) override {
    if (value.defined()) tensors.emplace_back(prefix + name, value);
  }
  void sparse(const char* name, SparseTensor& value) override {
    if (!value.defined()) return;
    tensors.emplace_back(prefix + name + ".indices", value.indices);
    tensors.emplace_back(prefix + name + ".values", value.values);
  }
};

// Fills a fresh state from the loaded tensors; every tensor it takes is removed from `pool`,
// so leftovers can be reported. Tensors are copied and cast to the parameter's dtype.
struct StateReader : StateVisitor {
  std::string prefix;
  const json& entry;
  std::map<std::string, Tensor>& pool;
  const Tensor& param;
  const std::string& op;
  StateReader(std::string p, const json& e, std::map<std::string, Tensor>& pl, const Tensor& pa, const std::string& o)
      : prefix(std::move(p)), entry(e), pool(pl), param(pa), op(o) {}

  Tensor take(const std::string& name) {
    auto it = pool.find(name);
    if (it == pool.end()) return Tensor();
    Tensor t = it->second;
    pool.erase(it);
    return t;
  }
  Tensor own_copy(const Tensor& t) { return kernels::clone(kernels::to(t, param.dtype())); }

  void step(std::int64_t& step) override {
    EMBER_CHECK(entry.contains("step"), ValueError, "{}: loaded state '{}' has no step count", op, prefix);
    EMBER_CHECK(entry.at("step").is_number_integer(), ValueError, "{}: loaded state '{}' has step {}; expected an integer",
                op, prefix, entry.at("step").dump());
    step = entry.at("step").get<std::int64_t>();
    EMBER_CHECK(step >= 0, ValueError, "{}: loaded state '{}' has step {}; expected step >= 0", op, prefix, step);
  }
  void tensor(const char* name, Tensor& value) override {
    Tensor t = take(prefix + name);
    if (!t.defined()) return;
    EMBER_CHECK(t.shape() == param.shape(), ShapeError, "{}: loaded tensor '{}{}' has shape {}; expected {}", op,
                prefix, name, shape_str(t.shape()), shape_str(param.shape()));
    value = own_copy(t);
  }
  void sparse(const char* name, SparseTensor& value) override {
    Tensor indices = take(prefix + name + ".indices");
    Tensor values = take(prefix + name + ".values");
    if (!indices.defined() && !values.defined()) return;
    EMBER_CHECK(indices.defined() && values.defined(), ValueError,
                "{}: loaded sparse tensor '{}{}' needs both .indices and .values", op, prefix, name);
    EMBER_CHECK(indices.dtype() == kInt64 && indices.dim() == 1, TypeError,
                "{}: loaded '{}{}.indices' must be 1-D int64", op, prefix, name);
    const std::int64_t rows = param.size(0);
    for (std::int64_t r : indices.to_vector<std::int64_t>())
      EMBER_CHECK(r >= 0 && r < rows, IndexError, "{}: loaded '{}{}.indices' holds row {}; expected [0, {})", op,
                  prefix, name, r, rows);
    value = SparseTensor(kernels::clone(indices), own_copy(values), param.shape());
  }
};

std::string random_save_id() {
  std::random_device device;
  const auto now = std::chrono::system_clock::now().time_since_epoch().count();
  return fmt::format("{:016x}{:08x}", static_cast<std::uint64_t>(now), device());
}

// Write to a temporary file, flush it to disk, then rename: readers see the old or the new file.
void write_file_atomically(const std::string& path, const std::string& text) {
  const std::string tmp = path + ".tmp";
  std::FILE* file = std::fopen(tmp.c_str(), "wb");
  EMBER_CHECK(file != nullptr, IoError, "Optimizer.save: cannot open {} for writing", tmp);
  const bool written = std::fwrite(text.data(), 1, text.size(), file) == text.size() && std::fflush(file) == 0 &&
                       ::fsync(fileno(file)) == 0;
  std::fclose(file);
  EMBER_CHECK(written, IoError, "Optimizer.save: writing {} failed", tmp);
  EMBER_CHECK(std::rename(tmp.c_str(), path.c_str()) == 0, IoError, "Optimizer.save: cannot rename {} to {}", tmp,
              path);
}

}  // namespace

OptimizerStateDict Optimizer::state_dict() const {
  OptimizerStateDict out;
  json doc = {{"format_version", 1}, {"optimizer", name_}, {"param_groups", json::array()}, {"state", json::object()}};
  std::int64_t index = 0;
  for (std::size_t g = 0; g < groups_.size(); ++g) {
    json group;
    OptionsWriter writer(group);
    groups_[g].options->visit(writer);
    group["params"] = json::array();
    for (std::size_t i = 0; i < groups_[g].params.size(); ++i, ++index) {
      group["params"].push_back(index);
      if (!state_[g][i]) continue;
      json entry = json::object();
      StateWriter state_writer(fmt::format("state.{}.", index), entry, out.tensors);
      state_[g][i]->visit(state_writer);
      doc["state"][std::to_string(index)] = entry;
    }
    doc["param_groups"].push_back(group);
  }
  out.json = doc.dump(1);
  return out;
}

void Optimizer::load_state_dict(const OptimizerStateDict& state) {
  const json doc = parse_json<ValueError>(state.json, fmt::format("{}: the optimizer state is not valid JSON", name_));
  try {
    EMBER_CHECK(doc.value("optimizer", "") == name_, ValueError,
                "{}: cannot load the state of a '{}' optimizer; expected '{}'", name_, doc.value("optimizer", ""),
                name_);
    const json& groups = doc.at("param_groups");
    EMBER_CHECK(groups.size() == groups_.size(), ValueError,
                "{}: loaded state dict has a different number of parameter groups ({}; expected {})", name_,
                groups.size(), groups_.size());
    // Build everything aside first: a failed load changes nothing.
    std::vector<std::unique_ptr<OptimizerOptions>> options;
    for (std::size_t g = 0; g < groups_.size(); ++g) {
      EMBER_CHECK(groups[g].at("params").size() == groups_[g].params.size(), ValueError,
                  "{}: loaded state dict contains a parameter group that doesn't match the size of optimizer's "
                  "group (group {} has {} parameters; expected {})",
                  name_, g, groups[g].at("params").size(), groups_[g].params.size());
      auto o = groups_[g].options->clone();
      OptionsReader reader(groups[g], name_);
      o->visit(reader);
      validate_options(*o, fmt::format(" in loaded parameter group {}", g));
      options.push_back(std::move(o));
    }
    std::map<std::string, Tensor> pool(state.tensors.begin(), state.tensors.end());
    const json& states = doc.at("state");
    std::vector<std::vector<std::unique_ptr<ParamState>>> new_state;
    std::int64_t index = 0;
    for (std::size_t g = 0; g < groups_.size(); ++g) {
      new_state.emplace_back(groups_[g].params.size());
      for (std::size_t i = 0; i < groups_[g].params.size(); ++i, ++index) {
        const std::string key = std::to_string(index);
        if (!states.contains(key)) continue;
        const Tensor& p = groups_[g].params[i];
        auto s = make_state(p);
        StateReader reader(fmt::format("state.{}.", index), states.at(key), pool, p, name_);
        s->visit(reader);
        new_state[g][i] = std::move(s);
      }
    }
    EMBER_CHECK(pool.empty(), ValueError, "{}: loaded state has unexpected tensor '{}'", name_,
                pool.empty() ? "" : pool.begin()->first);
    for (std::size_t g = 0; g < groups_.size(); ++g) groups_[g].options = std::move(options[g]);
    state_ = std::move(new_state);
  } catch (const json::exception& e) {
    throw ValueError(fmt::format("{}: malformed optimizer state: {}", name_, e.what()));
  }
}

void Optimizer::save(const std::string& prefix) const {
  OptimizerStateDict state = state_dict();
  json doc = parse_json<ValueError>(state.json, fmt::format("{}: the optimizer state is not valid JSON", name_));
  const std::string id = random_save_id();
  doc["save_id"] = id;
  save_safetensors(prefix + ".safetensors", state.tensors, {{"ember_optimizer_save_id", id}});
  write_file_atomically(prefix + ".json", doc.dump(1));
}

void Optimizer::load(const std::string& prefix) {
  const std::string json_path = prefix + ".json";
  std::ifstream in(json_path);
  EMBER_CHECK(in.good(), IoError, "{}: cannot open {}", name_, json_path);
  std::stringstream text;
  text << in.rdbuf();
  const json doc = parse_json(text.str(), fmt::format("{}: {} is not valid JSON", name_, json_path));
  SafetensorsFile file = load_safetensors(prefix + ".safetensors");
  const auto id = file.metadata.find("ember_optimizer_save_id");
  EMBER_CHECK(id != file.metadata.end() && doc.value("save_id", "") == id->second, IoError,
              "{}: {} and {}.safetensors come from different saves (interrupted save?); expected matching save ids",
              name_, json_path, prefix);
  load_state_dict(OptimizerStateDict{std::move(file.tensors), text.str()});
}

namespace detail {

void check_sparse_rows(const SparseTensor& grad, const std::string& op, std::size_t param) {
  const std::int64_t rows = grad.shape[0];
  const Tensor indices = kernels::contiguous(grad.indices);
  const std::int64_t* index = indices.data_ptr<std::int64_t>();
  for (std::int64_t k = 0; k < grad.nnz(); ++k)
    EMBER_CHECK(index[k] >= 0 && index[k] < rows, IndexError,
                "{}: row {} in the sparse gradient of parameter {} is out of range [0, {})", op, index[k], param, rows);
}

void check_option(bool ok, const std::string& op, const char* what, double value, const std::string& where,
                  const char* expected) {
  EMBER_CHECK(ok, ValueError, "{}: Invalid {}: {}{}; expected {}", op, what, py_float(value), where, expected);
}

}  // namespace detail

}  // namespace ember::optim
