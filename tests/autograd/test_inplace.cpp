// In-place ops and the tape: the three rules (leaves refused, non-leaves rebased, views refused),
// float64 gradient checks of every in-place op, golden programs from PyTorch
// (scripts/golden/inplace.py), and random programs against their out-of-place rewrite.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "autograd/engine.h"
#include "autograd/grad_mode.h"
#include "autograd/ops.h"
#include "golden.h"
#include "testing.h"

#include <map>
#include <random>

using namespace ember;
using Catch::Contains;
using ember::testing::gradcheck;

namespace {

Tensor leaf(std::vector<double> values) {
  return tensor(values, {static_cast<std::int64_t>(values.size())}, kFloat64).requires_grad_();
}

}  // namespace

// ---- the examples that used to be silently wrong ---------------------------------------------

TEST_CASE("in-place: mul_ on a copy of a leaf is recorded", "[autograd][inplace]") {
  Tensor w = leaf({1, 2, 3});
  Tensor h = w + 0.0;
  h.mul_(2.0);
  CHECK(h.grad_fn_name() == "mul_");
  sum(h).backward();
  CHECK(w.grad().to_vector<double>() == std::vector<double>{2, 2, 2});
}

TEST_CASE("in-place: y = w * c, then y.mul_(3), gives 3c", "[autograd][inplace]") {
  Tensor w = leaf({1, 2, 3});
  Tensor c = tensor({4.0, 5.0, 6.0}, kFloat64);
  Tensor y = w * c;
  y.mul_(3.0);
  sum(y).backward();
  CHECK(w.grad().to_vector<double>() == std::vector<double>{12, 15, 18});
}

TEST_CASE("in-place: a leaf that requires grad is refused in grad mode, allowed under NoGradGuard",
          "[autograd][inplace]") {
  Tensor w = leaf({1, 2, 3});
  const auto before = w.version();
  CHECK_THROWS_WITH(w.mul_(2.0), Contains("mul_: a leaf Variable that requires grad is being used in an in-place"));
  CHECK_THROWS_WITH(w.add_(w), Contains("add_: a leaf Variable"));
  CHECK_THROWS_WITH(w.zero_(), Contains("zero_: a leaf Variable"));
  CHECK(w.version() == before);  // refused before anything was written
  CHECK(w.to_vector<double>() == std::vector<double>{1, 2, 3});
  {
    NoGradGuard no_grad;
    w.mul_(2.0);
  }
  CHECK(w.version() == before + 1);
  CHECK(w.is_leaf());
  CHECK(w.to_vector<double>() == std::vector<double>{2, 4, 6});
}

TEST_CASE("in-place: an operand that requires grad puts a constant into the graph", "[autograd][inplace]") {
  Tensor w = leaf({1, 2, 3});
  Tensor b = tensor({4.0, 5.0, 6.0}, kFloat64);
  b.mul_(w);
  CHECK(b.requires_grad());
  CHECK_FALSE(b.is_leaf());
  sum(b).backward();
  CHECK(w.grad().to_vector<double>() == std::vector<double>{4, 5, 6});

  Tensor x = zeros({3}, kFloat64);
  Tensor v = leaf({1, 2, 3});
  x.copy_(v);
  sum(x * x).backward();
  CHECK(v.grad().to_vector<double>() == std::vector<double>{2, 4, 6});
}

TEST_CASE("in-place: the rebased history shows on the tape", "[autograd][inplace]") {
  Tensor w = leaf({1, 2, 3});
  Tensor y = w * 2.0;
  y.add_(1.0);
  y.relu_();
  const std::string tape = autograd::print_tape(y);
  const auto relu = tape.find("relu_"), add = tape.find("add_"), mul = tape.find("mul ");
  REQUIRE(relu != std::string::npos);
  REQUIRE(add != std::string::npos);
  REQUIRE(mul != std::string::npos);
  CHECK(relu < add);  // execution order: the last write runs first
  CHECK(add < mul);
}

// ---- views ----------------------------------------------------------------------------------

TEST_CASE("in-place: a write through a view that would be recorded is refused, naming the view op",
          "[autograd][inplace]") {
  Tensor w = leaf({1, 2, 3, 4});
  Tensor b = w * 1.0;
  for (auto make : std::vector<std::function<Tensor()>>{
           [&] { return narrow(b, 0, 1, 2); }, [&] { return select(b, 0, 1); }, [&] { return slice(b, 0, 0, 2); },
           [&] { return view(b, {2, 2}); }, [&] { return transpose(view(b, {2, 2}), 0, 1); }}) {
    Tensor v = make();
    const auto version = b.version();
    CHECK_THROWS_WITH(v.mul_(10.0), Contains("in-place write into a view (made by") && Contains("out of place"));
    CHECK(b.version() == version);
  }
  // A view of a leaf: PyTorch's message.
  CHECK_THROWS_WITH(narrow(w, 0, 0, 2).add_(1.0), Contains("a view of a leaf Variable that requires grad"));
  // A view of a constant, written with an operand that requires grad.
  Tensor c = zeros({4}, kFloat64);
  CHECK_THROWS_WITH(narrow(c, 0, 1, 2).copy_(leaf({1, 2})), Contains("made by narrow"));
  // Nothing requires grad: a plain write.
  narrow(c, 0, 1, 2).fill_(7.0);
  CHECK(c.to_vector<double>() == std::vector<double>{0, 7, 7, 0});
}

TEST_CASE("in-place: a view taken before its base was rewritten is refused when used", "[autograd][inplace]") {
  Tensor w = leaf({1, 2, 3, 4});
  Tensor b = w * 1.0;
  Tensor v = narrow(b, 0, 0, 2);
  b.mul_(2.0);
  CHECK_THROWS_WITH(sum(v), Contains("made by narrow") && Contains("Take the view again"));
  CHECK_THROWS_WITH(v.backward(ones({2}, kFloat64)), Contains("made by narrow"));
  // Taken again after the write, it is fine.
  sum(narrow(b, 0, 0, 2)).backward();
  CHECK(w.grad().to_vector<double>() == std::vector<double>{2, 2, 0, 0});

  // The base had no history: it enters the graph, and its old view would miss the gradient.
  Tensor c = zeros({4}, kFloat64);
  Tensor cv = narrow(c, 0, 0, 2);
  Tensor u = leaf({1, 2, 3, 4});
  c.add_(u);
  CHECK_THROWS_WITH(sum(cv * 1.0), Contains("made by narrow"));
}

TEST_CASE("in-place: a view made under no_grad of a tensor that requires grad is refused in grad mode",
          "[autograd][inplace]") {
  Tensor w = leaf({1, 2, 3, 4});
  Tensor b = w * 1.0;
  Tensor v;
  {
    NoGradGuard no_grad;
    v = narrow(b, 0, 0, 2);
  }
  CHECK_THROWS_WITH(v.mul_(2.0), Contains("a view was created in no_grad mode"));
}

TEST_CASE("in-place: writes into an expanded tensor are refused; fill_ and zero_ are not", "[autograd][inplace]") {
  Tensor x = expand(tensor({1.0, 2.0}, {2, 1}, kFloat64), {2, 3});
  CHECK_THROWS_WITH(x.add_(ones({2, 3}, kFloat64)), Contains("more than one element of the written-to tensor"));
  CHECK_THROWS_WITH(x.mul_(2.0), Contains("clone()"));
  CHECK_THROWS_WITH(x.copy_(zeros({2, 3}, kFloat64)), Contains("copy_: unsupported operation"));
  x.fill_(3.0);
  CHECK(x.to_vector<double>() == std::vector<double>(6, 3.0));
}

TEST_CASE("in-place: the version counter still catches a saved tensor changed in place", "[autograd][inplace]") {
  Tensor w = leaf({1, 2, 3});
  Tensor y = w * 1.0;
  Tensor z = y * y;  // saves y
  y.add_(1.0);
  CHECK_THROWS_WITH(sum(z).backward(), Contains("modified by an inplace operation") && Contains("Hint"));
}

// ---- float64 gradient checks of every in-place op on non-leaves -------------------------------

TEST_CASE("in-place: gradcheck of every in-place op composed with out-of-place ops", "[autograd][inplace]") {
  manual_seed(11);
  const Tensor x = randn({3, 4}, kFloat64).requires_grad_();
  const Tensor o = (rand({3, 4}, kFloat64) + 0.5).requires_grad_();  // away from 0 for div_
  const Tensor row = randn({4}, kFloat64).requires_grad_();          // broadcast operand
  const Tensor mask = gt(randn({3, 4}, kFloat64), scalar_tensor(0.0, kFloat64));
  using Op = std::function<void(Tensor&, const std::vector<Tensor>&)>;
  const std::vector<std::pair<const char*, Op>> ops{
      {"add_", [](Tensor& y, const auto& in) { y.add_(in[1], 0.7); }},
      {"add_ broadcast", [](Tensor& y, const auto& in) { y.add_(in[2]); }},
      {"add_ scalar", [](Tensor& y, const auto&) { y.add_(1.5); }},
      {"sub_", [](Tensor& y, const auto& in) { y.sub_(in[1], 2.0); }},
      {"sub_ scalar", [](Tensor& y, const auto&) { y.sub_(0.5); }},
      {"mul_", [](Tensor& y, const auto& in) { y.mul_(in[1]); }},
      {"mul_ broadcast", [](Tensor& y, const auto& in) { y.mul_(in[2]); }},
      {"mul_ scalar", [](Tensor& y, const auto&) { y.mul_(-3.0); }},
      {"div_", [](Tensor& y, const auto& in) { y.div_(in[1]); }},
      {"div_ scalar", [](Tensor& y, const auto&) { y.div_(4.0); }},
      {"clamp_", [](Tensor& y, const auto&) { y.clamp_(-0.5, 0.6); }},
      {"clamp_ min only", [](Tensor& y, const auto&) { y.clamp_(0.1, std::nullopt); }},
      {"relu_", [](Tensor& y, const auto&) { y.relu_(); }},
      {"masked_fill_", [&mask](Tensor& y, const auto&) { y.masked_fill_(mask, 2.0); }},
      {"copy_", [](Tensor& y, const auto& in) { y.copy_(in[1] * 2.0); }},
      {"copy_ broadcast", [](Tensor& y, const auto& in) { y.copy_(in[2]); }},
      {"fill_", [](Tensor& y, const auto&) { y.fill_(0.25); }},
      {"zero_", [](Tensor& y, const auto&) { y.zero_(); }},
      {"a chain", [](Tensor& y, const auto& in) { y.mul_(in[1]).add_(in[2]).div_(in[1]).sub_(1.0); }},
  };
  for (const auto& [name, op] : ops) {
    INFO(name);
    // y = tanh(x) * 1.3 is a non-leaf without saved state on it; the write is followed by an
    // out-of-place op that uses the written value (and x again, so the old history matters).
    auto f = [&op](const std::vector<Tensor>& in) {
      Tensor y = tanh(in[0]) * 1.3;
      op(y, in);
      return y * in[0] + y * y;
    };
    CHECK(gradcheck(f, {x, o, row}));
  }
}

// ---- golden programs from PyTorch -------------------------------------------------------------

namespace {

struct Program {
  std::map<std::string, Tensor> env;
};

Tensor arg(Program& p, const nlohmann::json& a) { return p.env.at(a.get<std::string>()); }

void run_step(Program& p, const nlohmann::json& step) {
  const std::string result = step[0], op = step[1];
  auto t = [&](int i) { return arg(p, step[i]); };
  auto d = [&](int i) { return step[i].get<double>(); };
  if (op == "mul") p.env[result] = t(2) * t(3);
  else if (op == "add") p.env[result] = t(2) + t(3);
  else if (op == "sub") p.env[result] = t(2) - t(3);
  else if (op == "div") p.env[result] = t(2) / t(3);
  else if (op == "muls") p.env[result] = t(2) * d(3);
  else if (op == "adds") p.env[result] = t(2) + d(3);
  else if (op == "exp") p.env[result] = exp(t(2));
  else if (op == "tanh") p.env[result] = tanh(t(2));
  else if (op == "sigmoid") p.env[result] = sigmoid(t(2));
  else if (op == "relu") p.env[result] = relu(t(2));
  else if (op == "clone") p.env[result] = clone(t(2));
  else if (op == "narrow") p.env[result] = narrow(t(2), step[3].get<std::int64_t>(), step[4].get<std::int64_t>(), step[5].get<std::int64_t>());
  else if (op == "transpose") p.env[result] = ember::t(t(2));
  else {
    Tensor& self = p.env.at(result);
    if (op == "mul_") self.mul_(t(2));
    else if (op == "add_") self.add_(t(2));
    else if (op == "sub_") self.sub_(t(2));
    else if (op == "div_") self.div_(t(2));
    else if (op == "copy_") self.copy_(t(2));
    else if (op == "mul_s") self.mul_(d(2));
    else if (op == "add_s") self.add_(d(2));
    else if (op == "sub_s") self.sub_(d(2));
    else if (op == "div_s") self.div_(d(2));
    else if (op == "fill_") self.fill_(d(2));
    else if (op == "clamp_") self.clamp_(d(2), d(3));
    else if (op == "relu_") self.relu_();
    else if (op == "zero_") self.zero_();
    else if (op == "masked_fill_") self.masked_fill_(t(2), d(3));
    else FAIL("unknown op in inplace.json: " << op);
  }
}

}  // namespace

TEST_CASE("in-place: golden programs give PyTorch's gradients, or raise where PyTorch raises",
          "[autograd][inplace][golden]") {
  const nlohmann::json golden = ember::testing::load_golden("inplace");
  REQUIRE(golden["programs"].size() >= 20);
  for (const auto& prog : golden["programs"]) {
    const std::string name = prog["name"];
    INFO(name);
    Program p;
    for (const auto& [key, value] : prog["tensors"].items()) p.env[key] = ember::testing::tensor_from_json(value);
    for (const auto& key : prog["requires_grad"]) p.env[key.get<std::string>()].requires_grad_();
    std::map<std::string, Tensor> leaves;
    for (const auto& key : prog["requires_grad"]) leaves[key] = p.env[key];

    const nlohmann::json& expect = prog["expect"];
    const std::int64_t refuse_at = prog.value("ember_refuses_at", std::int64_t{-1});
    const bool error_in_forward = expect.contains("error_at") && expect["error_at"].is_number();
    const std::int64_t fail_at = refuse_at >= 0 ? refuse_at : error_in_forward ? expect["error_at"].get<std::int64_t>() : -1;
    bool raised = false;
    for (std::size_t i = 0; i < prog["steps"].size(); ++i) {
      const auto& step = prog["steps"][i];
      auto run = [&] {
        if (step.value("no_grad", false)) {
          NoGradGuard no_grad;
          run_step(p, step["step"]);
        } else {
          run_step(p, step["step"]);
        }
      };
      if (static_cast<std::int64_t>(i) == fail_at) {
        CHECK_THROWS_AS(run(), Error);
        if (refuse_at >= 0) CHECK_THROWS_WITH(run(), Contains("view"));
        raised = true;
        break;
      }
      run();
    }
    if (raised) continue;
    REQUIRE(fail_at == -1);
    Tensor loss = sum(p.env.at(prog["loss"].get<std::string>()) * ember::testing::tensor_from_json(prog["upstream"]));
    if (expect.contains("error_at")) {
      CHECK_THROWS_WITH(loss.backward(), Contains("modified by an inplace operation"));
      continue;
    }
    loss.backward();
    for (const auto& [key, grad] : expect["grads"].items()) {
      INFO("gradient of " << key);
      if (grad.is_null()) {
        CHECK_FALSE(leaves[key].grad().defined());
      } else {
        REQUIRE(leaves[key].grad().defined());
        ember::testing::require_golden(leaves[key].grad(), grad);
      }
    }
  }
}

// ---- property: random programs against their out-of-place rewrite ----------------------------

TEST_CASE("in-place: random programs give the gradients of their out-of-place rewrite", "[autograd][inplace]") {
  std::mt19937_64 rng(2024);
  for (int trial = 0; trial < 200; ++trial) {
    INFO("trial " << trial);
    manual_seed(static_cast<std::uint64_t>(trial));
    const Tensor a0 = randn({2, 3}, kFloat64), b0 = randn({2, 3}, kFloat64), k0 = rand({2, 3}, kFloat64) + 0.5;
    // Each step is one op code; the same list runs once with in-place ops, once rewritten. No step
    // saves y itself (that would make the in-place version raise, as PyTorch does: golden programs).
    std::vector<int> codes;
    const int length = 1 + static_cast<int>(rng() % 6);
    for (int s = 0; s < length; ++s) codes.push_back(static_cast<int>(rng() % 9));
    auto run = [&](bool in_place, Tensor& a, Tensor& b, Tensor& k) {
      a = clone(a0).requires_grad_();
      b = clone(b0).requires_grad_();
      k = clone(k0).requires_grad_();
      Tensor y = a * b;  // a non-leaf whose history involves both leaves
      for (int code : codes) {
        switch (code) {
          case 0: in_place ? void(y.add_(b, 0.5)) : void(y = y + b * 0.5); break;
          case 1: in_place ? void(y.mul_(k)) : void(y = y * k); break;
          case 2: in_place ? void(y.div_(k)) : void(y = y / k); break;
          case 3: in_place ? void(y.sub_(a)) : void(y = y - a); break;
          case 4: in_place ? void(y.mul_(1.7)) : void(y = y * 1.7); break;
          case 5: in_place ? void(y.clamp_(-0.8, 0.9)) : void(y = clamp(y, -0.8, 0.9)); break;
          case 6: y = y * 0.5 + b; break;  // out of place in both
          case 7: in_place ? void(y.add_(0.3)) : void(y = y + 0.3); break;
          case 8: in_place ? void(y.copy_(a * 2.0 - y * 0.5)) : void(y = a * 2.0 - y * 0.5); break;
        }
      }
      sum(y * y).backward();
    };
    Tensor a1, b1, k1, a2, b2, k2;
    run(true, a1, b1, k1);
    run(false, a2, b2, k2);
    for (auto [g1, g2] : {std::pair{a1.grad(), a2.grad()}, {b1.grad(), b2.grad()}, {k1.grad(), k2.grad()}}) {
      REQUIRE(g1.defined() == g2.defined());
      if (g1.defined()) ember::testing::require_close(g1, g2, 1e-12, 1e-12);
    }
  }
}
