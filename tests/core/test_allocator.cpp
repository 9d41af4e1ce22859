// core/allocator.cpp: size classes, reuse of freed blocks, alignment (64 bytes; 2 MiB for the
// blocks offered as transparent huge pages), and empty_cache.
#include "core/allocator.h"
#include "core/tensor.h"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdint>

using namespace ember;

namespace {

std::uintptr_t address(const void* ptr) { return reinterpret_cast<std::uintptr_t>(ptr); }

}  // namespace

TEST_CASE("allocator: size classes waste at most 25% and are never smaller than asked", "[core]") {
  CHECK(allocator::size_class(1) == 64);
  CHECK(allocator::size_class(64) == 64);
  CHECK(allocator::size_class(65) == 128);  // steps are never below a cache line
  CHECK(allocator::size_class(1000) == 1024);
  CHECK(allocator::size_class(1025) == 1280);
  for (std::size_t n = 1; n < (std::size_t{1} << 30); n = n * 3 + 7) {
    INFO("n = " << n);
    const std::size_t c = allocator::size_class(n);
    CHECK(c >= n);
    CHECK(c % 64 == 0);
    CHECK(c <= n + std::max<std::size_t>(n / 4, 64));
    CHECK(allocator::size_class(c) == c);  // a class is its own class: freed blocks match requests
  }
  // From 8 MiB up every class is a multiple of 2 MiB, so huge-page alignment reserves nothing extra.
  for (std::size_t n = std::size_t{8} << 20; n < (std::size_t{4} << 30); n = n * 5 / 4 + 12345)
    CHECK(allocator::size_class(n) % (std::size_t{2} << 20) == 0);
}

TEST_CASE("allocator: a freed block is handed out again for the same size class", "[core]") {
  const AllocatorStats before = allocator::stats();
  void* a = allocator::allocate(1000);
  REQUIRE(a != nullptr);
  CHECK(address(a) % 64 == 0);
  allocator::deallocate(a, 1000);
  void* b = allocator::allocate(1010);  // same class (1024)
  CHECK(b == a);
  const AllocatorStats after = allocator::stats();
  CHECK(after.allocations - before.allocations == 2);
  CHECK(after.cache_hits - before.cache_hits >= 1);
  allocator::deallocate(b, 1010);
  CHECK(allocator::allocate(0) == nullptr);
}

TEST_CASE("allocator: large blocks are 2 MiB aligned; empty_cache returns every cached block", "[core]") {
  const std::size_t large = std::size_t{9} << 20;  // class 10 MiB
  void* block = allocator::allocate(large);
  REQUIRE(block != nullptr);
  CHECK(address(block) % (std::size_t{2} << 20) == 0);
  {
    // A tensor of that size lives in such a block, and is fully usable to its last element.
    Tensor t = full({static_cast<std::int64_t>(large / 4)}, 1.5);
    CHECK(address(t.data_ptr<float>()) % (std::size_t{2} << 20) == 0);
    CHECK(t.data_ptr<float>()[large / 4 - 1] == 1.5f);
  }
  allocator::deallocate(block, large);
  CHECK(allocator::stats().bytes_cached >= allocator::size_class(large));
  allocator::empty_cache();
  CHECK(allocator::stats().bytes_cached == 0);
}
