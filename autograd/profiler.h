// A profiler scope for people studying where time and memory go, per op name:
//   { autograd::Profiler prof; train_step(); fmt::print("{}", prof.report()); }
// counts recorded ops, bytes they saved for backward, and time spent in their backward.
#pragma once

#include <cstdint>
#include <map>
#include <string>

namespace ember::autograd {

struct OpStats {
  std::uint64_t count = 0;            // times recorded on the tape
  std::uint64_t saved_bytes = 0;      // bytes saved for backward, summed over records
  std::uint64_t backward_calls = 0;
  double backward_ms = 0.0;
};

class Profiler {
 public:
  Profiler();   // starts collecting (one active profiler at a time; nested ones share data)
  ~Profiler();  // stops
  Profiler(const Profiler&) = delete;
  Profiler& operator=(const Profiler&) = delete;

  const std::map<std::string, OpStats>& stats() const;
  // A table: op, count, saved KiB, backward calls, backward ms, sorted by backward time.
  std::string report() const;
};

// Called by record() and the engine; cheap no-ops when no profiler is active.
void profiler_record_forward(const std::string& name, std::uint64_t saved_bytes);
void profiler_record_backward(const std::string& name, double milliseconds);
bool profiler_active();

}  // namespace ember::autograd
