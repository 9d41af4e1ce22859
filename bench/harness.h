// The small benchmark harness of bench/*.cpp: warm-up, timed repetitions, medians, minor page
// faults per step (getrusage), OpenBLAS and memcpy reference speeds for the lower bounds, and one
// "RESULT {json}" line per measurement, which bench/compare reads. Nothing is cached across steps.
#pragma once

#include "core/kernels.h"
#include "core/tensor.h"

#include <sys/resource.h>
#include <time.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <string>
#include <vector>

namespace bench {

inline long minor_faults() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_minflt;
}

// Peak resident set size of this process so far, in MiB.
inline double peak_rss_mib() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_maxrss / 1024.0;  // ru_maxrss is in KiB on Linux
}

// Resident set size right now, in MiB (from /proc/self/statm: pages).
inline double current_rss_mib() {
  std::ifstream statm("/proc/self/statm");
  long pages = 0, resident = 0;
  statm >> pages >> resident;
  return resident * 4096.0 / (1024.0 * 1024.0);
}

inline double now_ms() {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// CPU time of the whole process (all threads), in ms. On a loaded machine a step's wall time
// includes the time other processes held the core; its CPU time does not.
inline double cpu_ms() {
  timespec t{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

struct Timing {
  double median_ms = 0, min_ms = 0;  // wall time per step
  double cpu_median_ms = 0;          // process CPU time per step
  double faults_per_step = 0;        // minor page faults per timed step
  int repeats = 0;
};

inline double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  return values[values.size() / 2];
}

// Calls setup(); step() `warmup` times untimed, then `repeats` times with only step() timed.
template <typename Setup, typename F>
Timing measure(Setup&& setup, F&& step, int warmup, int repeats) {
  for (int i = 0; i < warmup; ++i) {
    setup();
    step();
  }
  std::vector<double> wall, cpu;
  long faults = 0;
  for (int i = 0; i < repeats; ++i) {
    setup();
    const long faults_before = minor_faults();
    const double start = now_ms(), cpu_start = cpu_ms();
    step();
    cpu.push_back(cpu_ms() - cpu_start);
    wall.push_back(now_ms() - start);
    faults += minor_faults() - faults_before;
  }
  return {median(wall), *std::min_element(wall.begin(), wall.end()), median(cpu),
          static_cast<double>(faults) / repeats, repeats};
}

// Calls step() `warmup` times untimed, then `repeats` times, each timed on its own.
template <typename F>
Timing measure(F&& step, int warmup, int repeats) {
  return measure([] {}, step, warmup, repeats);
}

// One matrix product of a workload: C[n, m] = op(A)[n, k] op(B)[k, m], `count` times per step.
struct Gemm {
  std::int64_t n, k, m;
  bool transpose_a, transpose_b;
  std::int64_t count;
  double flops() const { return 2.0 * n * k * m * count; }
};

inline double gemm_flops(const std::vector<Gemm>& gemms) {
  double total = 0;
  for (const Gemm& g : gemms) total += g.flops();
  return total;
}

// The FLOP lower bound of a workload: what OpenBLAS sgemm alone needs for its products, each timed
// at its own shape and transposes (median of `repeats`) with the current thread count. Both the
// wall time and the CPU time (see cpu_ms) are summed.
struct Bound {
  double wall_ms = 0, cpu_ms = 0;
};
inline Bound gemm_lower_bound(const std::vector<Gemm>& gemms, int repeats = 21) {
  Bound total;
  for (const Gemm& g : gemms) {
    if (g.count == 0) continue;
    using ember::Tensor;
    Tensor a = ember::randn(g.transpose_a ? ember::Shape{g.k, g.n} : ember::Shape{g.n, g.k});
    Tensor b = ember::randn(g.transpose_b ? ember::Shape{g.m, g.k} : ember::Shape{g.k, g.m});
    Tensor c = ember::zeros({g.n, g.m});
    // Enough calls per sample that a sample lasts well over the clock's resolution.
    const int calls = static_cast<int>(std::clamp(2e6 / std::max(1.0, g.flops() / g.count), 1.0, 200.0));
    const Timing t = measure(
        [&] {
          for (int i = 0; i < calls; ++i) ember::kernels::gemm(a, g.transpose_a, b, g.transpose_b, c);
        },
        3, repeats);
    total.wall_ms += t.median_ms / calls * g.count;
    total.cpu_ms += t.cpu_median_ms / calls * g.count;
  }
  return total;
}

// Copy bandwidth in GB/s for a job that moves `bytes` (read plus written): memcpy of bytes / 2 from
// one buffer to another, the best of `repeats` (the least disturbed run on a shared machine), with
// the buffers warm, as a workload's reused buffers are. Bytes moved / this = the memory lower bound
// of gathers and optimizer steps.
inline double copy_bandwidth_gbs(double bytes, int repeats = 21) {
  const std::size_t half = static_cast<std::size_t>(bytes / 2);
  std::vector<char> src(half, 1), dst(half, 0);
  const Timing t = measure([&] { std::memcpy(dst.data(), src.data(), half); }, 3, repeats);
  return 2.0 * half / (t.min_ms * 1e6);
}

// The memory lower bound of moving `bytes`, in ms, as the JSON members of a result.
inline std::string memory_bound_json(double bytes) {
  const double ms = bytes / (copy_bandwidth_gbs(bytes) * 1e6);
  char text[160];
  std::snprintf(text, sizeof text, "\"bound_ms\": %.6f, \"bound_cpu_ms\": %.6f, \"bound\": \"memory\", \"mbytes\": %.3f",
                ms, ms, bytes / 1e6);
  return text;
}

// One result line. `extra` is more JSON members, e.g. R"("lower_bound_ms": 1.5)", or empty.
inline void report(const char* bench, const std::string& workload, int threads, const Timing& t,
                   const std::string& extra = "") {
  std::printf(
      "RESULT {\"side\": \"ember\", \"bench\": \"%s\", \"workload\": \"%s\", \"threads\": %d, \"median_ms\": %.6f, "
      "\"min_ms\": %.6f, \"cpu_median_ms\": %.6f, \"faults_per_step\": %.2f, \"repeats\": %d%s%s}\n",
      bench, workload.c_str(), threads, t.median_ms, t.min_ms, t.cpu_median_ms, t.faults_per_step, t.repeats,
      extra.empty() ? "" : ", ", extra.c_str());
  std::fflush(stdout);
}

// The command line every bench shares: --threads N, --repeats K (scales the repetition counts),
// --only a,b (workload names); any other --name value pair is kept in `values`.
struct Args {
  int threads = 1;
  double repeat_scale = 1.0;
  std::vector<std::string> only;
  std::map<std::string, std::string> values;

  Args(int argc, char** argv) {
    for (int i = 1; i + 1 < argc; i += 2) {
      const std::string flag = argv[i], value = argv[i + 1];
      if (flag == "--threads") threads = std::stoi(value);
      else if (flag == "--repeats") repeat_scale = std::stod(value);
      else if (flag == "--only") {
        std::size_t start = 0;
        while (start <= value.size()) {
          const std::size_t comma = std::min(value.find(',', start), value.size());
          only.push_back(value.substr(start, comma - start));
          start = comma + 1;
        }
      } else if (flag.rfind("--", 0) == 0) {
        values[flag.substr(2)] = value;
      } else {
        std::fprintf(stderr, "unexpected argument %s; expected --name value pairs\n", flag.c_str());
        std::exit(2);
      }
    }
  }
  bool wants(const std::string& workload) const {
    return only.empty() || std::find(only.begin(), only.end(), workload) != only.end();
  }
  int repeats(int base) const { return std::max(3, static_cast<int>(base * repeat_scale)); }
};

// A deterministic stream shared with the PyTorch twins (bench/harness.py): same data both sides.
struct Lcg {
  std::uint64_t state;
  explicit Lcg(std::uint64_t seed) : state(seed * 2862933555777941757ull + 3037000493ull) {}
  std::uint64_t next() {
    state = state * 6364136223846793005ull + 1442695040888963407ull;
    return state >> 33;
  }
  std::int64_t below(std::int64_t n) { return static_cast<std::int64_t>(next() % static_cast<std::uint64_t>(n)); }
};

// int64 tensor of `shape` with values in [low, high), from Lcg(seed).
inline ember::Tensor lcg_indices(const ember::Shape& shape, std::int64_t low, std::int64_t high, std::uint64_t seed) {
  Lcg lcg(seed);
  std::vector<std::int64_t> values(static_cast<std::size_t>(ember::numel(shape)));
  for (auto& v : values) v = low + lcg.below(high - low);
  return ember::tensor(values, shape);
}

}  // namespace bench
