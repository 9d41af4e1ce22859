// The caching allocator. Requests are rounded up to a size class (powers of two with four steps
// between each, so at most 25% is wasted); freed blocks go to their class's free list and are
// handed out again instead of being unmapped and mapped anew.
#include "core/allocator.h"

#include "core/error.h"

#include <cstdlib>
#include <limits>
#include <mutex>
#if defined(__linux__)
#include <sys/mman.h>
#endif
#include <unordered_map>
#include <vector>

namespace ember::allocator {
namespace {

constexpr std::size_t kAlignment = 64;  // a cache line; also enough for AVX-512 loads

// Blocks from 8 MiB up (whose size classes are all multiples of 2 MiB, so nothing extra is
// reserved) are aligned to 2 MiB and offered to the kernel as transparent huge pages. An
// embedding table's rows are read in random order: with 4 KiB pages nearly every row is a TLB
// miss, and first touching a 256 MB table costs 65536 page faults instead of 128.
constexpr std::size_t kHugePage = std::size_t{2} << 20;
constexpr std::size_t kHugeFrom = std::size_t{8} << 20;

void* system_allocate(std::size_t size) {
  if (size < kHugeFrom) return std::aligned_alloc(kAlignment, size);
  void* ptr = std::aligned_alloc(kHugePage, size);
#if defined(__linux__) && defined(MADV_HUGEPAGE)
  if (ptr != nullptr) ::madvise(ptr, size, MADV_HUGEPAGE);  // advice only: failure changes nothing
#endif
  return ptr;
}

struct Cache {
  std::mutex mutex;
  std::unordered_map<std::size_t, std::vector<void*>> free_lists;  // size class -> blocks
  AllocatorStats stats;
};

Cache& cache() {
  // Leaked on purpose: tensors in static objects may be freed after main returns.
  static Cache* instance = new Cache();
  return *instance;
}

}  // namespace

std::size_t size_class(std::size_t nbytes) {
  if (nbytes <= kAlignment) return kAlignment;
  // Largest power of two <= nbytes, then the next multiple of a quarter of it.
  std::size_t power = std::size_t{1} << (63 - __builtin_clzll(nbytes));
  std::size_t quarter = std::max(power / 4, kAlignment);
  return (nbytes + quarter - 1) / quarter * quarter;
}

void* allocate(std::size_t nbytes) {
  if (nbytes == 0) return nullptr;
  // Beyond this, rounding up to a size class would wrap; no system can provide it anyway.
  EMBER_CHECK(nbytes <= static_cast<std::size_t>(std::numeric_limits<std::ptrdiff_t>::max()), Error,
              "allocator: out of memory allocating {} bytes (more than any address space holds)", nbytes);
  const std::size_t size = size_class(nbytes);
  Cache& c = cache();
  {
    std::lock_guard<std::mutex> lock(c.mutex);
    c.stats.allocations++;
    auto it = c.free_lists.find(size);
    if (it != c.free_lists.end() && !it->second.empty()) {
      void* ptr = it->second.back();
      it->second.pop_back();
      c.stats.cache_hits++;
      c.stats.bytes_cached -= size;
      c.stats.bytes_in_use += size;
      return ptr;
    }
    c.stats.system_allocations++;
    c.stats.bytes_in_use += size;
  }
  void* ptr = system_allocate(size);
  if (ptr == nullptr) {
    std::lock_guard<std::mutex> lock(c.mutex);
    c.stats.bytes_in_use -= size;
    throw Error(fmt::format("allocator: out of memory allocating {} bytes (size class {} bytes)", nbytes, size));
  }
  return ptr;
}

void deallocate(void* ptr, std::size_t nbytes) {
  if (ptr == nullptr) return;
  const std::size_t size = size_class(nbytes);
  Cache& c = cache();
  std::lock_guard<std::mutex> lock(c.mutex);
  c.free_lists[size].push_back(ptr);
  c.stats.bytes_in_use -= size;
  c.stats.bytes_cached += size;
}

AllocatorStats stats() {
  Cache& c = cache();
  std::lock_guard<std::mutex> lock(c.mutex);
  return c.stats;
}

void empty_cache() {
  Cache& c = cache();
  std::lock_guard<std::mutex> lock(c.mutex);
  for (auto& [size, blocks] : c.free_lists)
    for (void* ptr : blocks) std::free(ptr);
  c.free_lists.clear();
  c.stats.bytes_cached = 0;
}

}  // namespace ember::allocator
