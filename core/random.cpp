// The global random generator and the random creation functions.
#include "core/dispatch.h"
#include "core/kernels.h"
#include "core/tensor.h"

#include <cmath>
#include <numbers>
#include <random>
#include <sstream>

namespace ember {

struct Generator::Impl {
  std::mt19937_64 engine;
  bool has_spare_normal = false;  // Box-Muller makes normals in pairs; the second waits here
  double spare_normal = 0.0;
};

Generator::Generator(std::uint64_t seed) : impl_(std::make_shared<Impl>()), seed_(seed) { manual_seed(seed); }

void Generator::manual_seed(std::uint64_t seed) {
  seed_ = seed;
  impl_->engine.seed(seed);
  impl_->has_spare_normal = false;
}

std::uint64_t Generator::next_u64() { return impl_->engine(); }

double Generator::next_double() { return static_cast<double>(next_u64() >> 11) * 0x1.0p-53; }

float Generator::next_float() { return static_cast<float>(next_u64() >> 40) * 0x1.0p-24f; }

double Generator::next_normal() {
  if (impl_->has_spare_normal) {
    impl_->has_spare_normal = false;
    return impl_->spare_normal;
  }
  // Box-Muller on (0, 1]: 1 - u avoids log(0).
  const double u1 = 1.0 - next_double();
  const double u2 = next_double();
  const double radius = std::sqrt(-2.0 * std::log(u1));
  const double angle = 2.0 * std::numbers::pi * u2;
  impl_->spare_normal = radius * std::sin(angle);
  impl_->has_spare_normal = true;
  return radius * std::cos(angle);
}

std::string Generator::state() const {
  std::ostringstream out;
  out.precision(17);
  out << seed_ << ' ' << impl_->has_spare_normal << ' ' << impl_->spare_normal << ' ' << impl_->engine;
  return out.str();
}

void Generator::set_state(const std::string& state) {
  std::istringstream in(state);
  Impl restored;
  std::uint64_t seed = 0;
  in >> seed >> restored.has_spare_normal >> restored.spare_normal >> restored.engine;
  EMBER_CHECK(!in.fail(), ValueError, "Generator::set_state: malformed state string of {} characters",
              state.size());
  *impl_ = restored;
  seed_ = seed;
}

Generator& default_generator() {
  static Generator generator(0);
  return generator;
}

void manual_seed(std::uint64_t seed) { default_generator().manual_seed(seed); }

Tensor rand(const Shape& shape, DType dtype) {
  Tensor t = empty(shape, dtype);
  kernels::uniform_(t, 0.0, 1.0);
  return t;
}

Tensor randn(const Shape& shape, DType dtype) {
  Tensor t = empty(shape, dtype);
  kernels::normal_(t, 0.0, 1.0);
  return t;
}

Tensor randint(std::int64_t low, std::int64_t high, const Shape& shape) {
  EMBER_CHECK(low < high, ValueError, "randint: expects low < high, got low={} high={}", low, high);
  Tensor t = empty(shape, kInt64);
  std::int64_t* p = t.data_ptr<std::int64_t>();
  const auto range = static_cast<std::uint64_t>(high - low);
  Generator& gen = default_generator();
  for (std::int64_t i = 0; i < t.numel(); ++i)
    p[i] = low + static_cast<std::int64_t>(gen.next_u64() % range);
  return t;
}

Tensor randperm(std::int64_t n, Generator& gen) {
  EMBER_CHECK(n >= 0, ValueError, "randperm: n must be >= 0, got {}", n);
  Tensor t = arange(static_cast<double>(n), kInt64);
  std::int64_t* p = t.data_ptr<std::int64_t>();
  // Fisher-Yates, from the back.
  for (std::int64_t i = n - 1; i > 0; --i) {
    const auto j = static_cast<std::int64_t>(gen.next_u64() % static_cast<std::uint64_t>(i + 1));
    std::swap(p[i], p[j]);
  }
  return t;
}

}  // namespace ember
