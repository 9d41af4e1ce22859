// The caching allocator: every tensor's storage comes from here. Freed blocks are kept in
// per-size-class free lists and handed out again, so a steady-state training loop maps no
// fresh pages (on these machines a freshly mapped 4 KiB page costs ~12 us to touch).
#pragma once

#include <cstddef>
#include <cstdint>

namespace ember {

struct AllocatorStats {
  std::size_t bytes_in_use = 0;        // blocks currently held by tensors (rounded to size class)
  std::size_t bytes_cached = 0;        // freed blocks kept for reuse
  std::uint64_t allocations = 0;       // allocate() calls with a non-zero size
  std::uint64_t cache_hits = 0;        // of those, served from the cache
  std::uint64_t system_allocations = 0;  // of those, that had to ask the system for memory
};

namespace allocator {

// A 64-byte aligned block of at least `nbytes`; nullptr for 0 bytes.
void* allocate(std::size_t nbytes);
// Returns a block to its size class's free list. `nbytes` is the size asked for at allocate().
void deallocate(void* ptr, std::size_t nbytes);
// The size class a request of `nbytes` is rounded up to (at most 25% larger).
std::size_t size_class(std::size_t nbytes);

AllocatorStats stats();
// Gives every cached block back to the system (bytes_cached becomes 0).
void empty_cache();

}  // namespace allocator
}  // namespace ember
