// ember's own parallel loops: a small persistent thread pool sized by set_num_threads().
#pragma once

#include <cstdint>
#include <functional>

namespace ember {

// Calls fn(begin, end) on disjoint chunks covering [begin, end). Runs inline when the range is
// smaller than `grain`, when one thread is configured, or when called from inside a parallel loop.
void parallel_for(std::int64_t begin, std::int64_t end, std::int64_t grain,
                  const std::function<void(std::int64_t, std::int64_t)>& fn);

}  // namespace ember
