"""The PyTorch side of the benchmark harness (twin of bench/harness.h): warm-up, timed repetitions,
medians, minor page faults per step, the shared Lcg data stream, and one "RESULT {json}" line per
measurement. set_threads() also reaches OpenBLAS, which torch.set_num_threads does not in Debian's build."""
import ctypes
import json
import resource
import sys
import time

import torch

MASK = (1 << 64) - 1


def set_threads(n):
    torch.set_num_threads(n)
    # Debian's torch calls OpenBLAS for matrix products; its thread count is separate.
    for name in ("libopenblas.so.0", "libblas.so.3"):
        try:
            ctypes.CDLL(name).openblas_set_num_threads(n)
            return
        except (OSError, AttributeError):
            continue
    print(f"warning: could not set the OpenBLAS thread count to {n}", file=sys.stderr)


def minor_faults():
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt


def peak_rss_mib():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def current_rss_mib():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * 4096 / (1024.0 * 1024.0)


def median(values):
    return sorted(values)[len(values) // 2]


def measure(step, warmup, repeats, setup=lambda: None):
    """Wall and process CPU time per step (medians), as bench::measure; setup() runs untimed before each step."""
    for _ in range(warmup):
        setup()
        step()
    wall, cpu, faults = [], [], 0
    for _ in range(repeats):
        setup()
        faults_before = minor_faults()
        start, cpu_start = time.perf_counter(), time.process_time()
        step()
        cpu.append((time.process_time() - cpu_start) * 1e3)
        wall.append((time.perf_counter() - start) * 1e3)
        faults += minor_faults() - faults_before
    return {"median_ms": median(wall), "min_ms": min(wall), "cpu_median_ms": median(cpu),
            "faults_per_step": faults / repeats, "repeats": repeats}


def report(bench, workload, threads, timing, **extra):
    line = {"side": "pytorch", "bench": bench, "workload": workload, "threads": threads, **timing, **extra}
    print("RESULT " + json.dumps(line), flush=True)


class Args:
    """--threads N, --repeats K (scales repetition counts), --only a,b (workload names)."""

    def __init__(self, argv=None):
        argv = sys.argv[1:] if argv is None else argv
        self.threads, self.repeat_scale, self.only = 1, 1.0, []
        for flag, value in zip(argv[::2], argv[1::2]):
            if flag == "--threads":
                self.threads = int(value)
            elif flag == "--repeats":
                self.repeat_scale = float(value)
            elif flag == "--only":
                self.only = value.split(",")
            else:
                sys.exit(f"unknown option {flag}; expected --threads N, --repeats K or --only a,b")

    def wants(self, workload):
        return not self.only or workload in self.only

    def repeats(self, base):
        return max(3, int(base * self.repeat_scale))


class Lcg:
    """The same stream as bench::Lcg in harness.h."""

    def __init__(self, seed):
        self.state = (seed * 2862933555777941757 + 3037000493) & MASK

    def next(self):
        self.state = (self.state * 6364136223846793005 + 1442695040888963407) & MASK
        return self.state >> 33

    def below(self, n):
        return self.next() % n


def lcg_indices(shape, low, high, seed):
    lcg = Lcg(seed)
    count = 1
    for s in shape:
        count *= s
    return torch.tensor([low + lcg.below(high - low) for _ in range(count)], dtype=torch.int64).view(*shape)
