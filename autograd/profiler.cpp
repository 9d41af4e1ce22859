// The op profiler: a global table filled while a Profiler object is alive.
#include "autograd/profiler.h"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <mutex>
#include <vector>

namespace ember::autograd {
namespace {
std::atomic<int> active_profilers{0};
std::mutex table_mutex;
std::map<std::string, OpStats> table;
}  // namespace

Profiler::Profiler() {
  if (active_profilers.fetch_add(1) == 0) {
    std::lock_guard<std::mutex> lock(table_mutex);
    table.clear();
  }
}

Profiler::~Profiler() { active_profilers.fetch_sub(1); }

const std::map<std::string, OpStats>& Profiler::stats() const { return table; }

std::string Profiler::report() const {
  std::lock_guard<std::mutex> lock(table_mutex);
  std::vector<std::pair<std::string, OpStats>> rows(table.begin(), table.end());
  std::sort(rows.begin(), rows.end(), [](const auto& a, const auto& b) { return a.second.backward_ms > b.second.backward_ms; });
  std::string out = fmt::format("{:<20} {:>8} {:>12} {:>10} {:>12}\n", "op", "count", "saved KiB", "bwd calls", "bwd ms");
  for (const auto& [name, s] : rows)
    out += fmt::format("{:<20} {:>8} {:>12.1f} {:>10} {:>12.3f}\n", name, s.count, s.saved_bytes / 1024.0,
                       s.backward_calls, s.backward_ms);
  return out;
}

bool profiler_active() { return active_profilers.load(std::memory_order_relaxed) > 0; }

void profiler_record_forward(const std::string& name, std::uint64_t saved_bytes) {
  if (!profiler_active()) return;
  std::lock_guard<std::mutex> lock(table_mutex);
  OpStats& s = table[name];
  s.count++;
  s.saved_bytes += saved_bytes;
}

void profiler_record_backward(const std::string& name, double milliseconds) {
  if (!profiler_active()) return;
  std::lock_guard<std::mutex> lock(table_mutex);
  OpStats& s = table[name];
  s.backward_calls++;
  s.backward_ms += milliseconds;
}

}  // namespace ember::autograd
