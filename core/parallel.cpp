// A persistent thread pool for ember's parallel loops, and the thread-count setting. It is the
// only pool: OpenBLAS runs single-threaded and large products are split over this pool
// (core/kernels_linalg.cpp).
#include "core/parallel.h"

#include "core/error.h"
#include "core/tensor.h"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

namespace ember {
namespace {

thread_local bool inside_parallel_region = false;

// Spins for up to `budget` waiting for ready() (a pause per check); false if it never became true.
// A pool wake-up through the kernel costs tens of microseconds on a virtual machine, longer than a
// whole small GEMM: a worker that spins briefly after its chunk catches the next loop of a step
// (an LSTM step, an optimizer update) without sleeping. Beyond the budget it blocks as usual, so
// an idle pool costs nothing.
template <typename Ready>
bool spin_until(Ready&& ready, std::chrono::microseconds budget = std::chrono::microseconds(100)) {
  const auto deadline = std::chrono::steady_clock::now() + budget;
  while (true) {
    for (int i = 0; i < 64; ++i) {
      if (ready()) return true;
#if defined(__x86_64__) || defined(__i386__)
      __builtin_ia32_pause();
#endif
    }
    if (std::chrono::steady_clock::now() > deadline) return false;
  }
}

class ThreadPool {
 public:
  explicit ThreadPool(int workers) {
    for (int i = 0; i < workers; ++i) threads_.emplace_back([this] { work(); });
  }
  ~ThreadPool() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stopping_ = true;
    }
    wake_.notify_all();
    for (auto& t : threads_) t.join();
  }
  int size() const { return static_cast<int>(threads_.size()); }

  // Runs task(i) for i in [0, count): i = 0 on the caller, the rest on the workers.
  void run(int count, const std::function<void(int)>& task) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      task_ = &task;
      next_ = 1;
      count_ = count;
      pending_.store(count - 1);
      error_ = nullptr;
      published_.store(++generation_, std::memory_order_release);
    }
    wake_.notify_all();  // cheap when every worker is spinning rather than waiting
    run_one(task, 0);
    spin_until([&] { return pending_.load(std::memory_order_acquire) == 0; });
    std::unique_lock<std::mutex> lock(mutex_);
    done_.wait(lock, [&] { return pending_.load() == 0; });
    task_ = nullptr;
    if (error_) std::rethrow_exception(error_);
  }

 private:
  void run_one(const std::function<void(int)>& task, int i) {
    inside_parallel_region = true;
    try {
      task(i);
    } catch (...) {
      std::lock_guard<std::mutex> lock(mutex_);
      if (!error_) error_ = std::current_exception();
    }
    inside_parallel_region = false;
  }

  void work() {
    std::uint64_t seen = 0;
    while (true) {
      spin_until([&] { return published_.load(std::memory_order_acquire) != seen || stopping_.load(); });
      std::unique_lock<std::mutex> lock(mutex_);
      wake_.wait(lock, [&] {
        if (stopping_ || (generation_ != seen && task_ && next_ < count_)) return true;
        seen = generation_;  // that loop's chunks are all taken: wait for the next one
        return false;
      });
      if (stopping_) return;
      const int i = next_++;
      if (next_ >= count_) seen = generation_;
      const auto* task = task_;
      lock.unlock();
      run_one(*task, i);
      if (pending_.fetch_sub(1, std::memory_order_acq_rel) == 1) {
        std::lock_guard<std::mutex> done_lock(mutex_);  // so the caller cannot miss the notify
        done_.notify_all();
      }
    }
  }

  std::vector<std::thread> threads_;
  std::mutex mutex_;
  std::condition_variable wake_, done_;
  const std::function<void(int)>* task_ = nullptr;
  int next_ = 0, count_ = 0;
  std::atomic<int> pending_{0};                 // chunks handed out and not finished
  std::uint64_t generation_ = 0;                // one per run(), guarded by mutex_
  std::atomic<std::uint64_t> published_{0};     // generation_, readable without the mutex
  std::atomic<bool> stopping_{false};
  std::exception_ptr error_;
};

int hardware_threads() { return std::max(1u, std::thread::hardware_concurrency()); }

int num_threads_setting = 0;  // 0: not set yet, use the hardware count
std::mutex pool_mutex;        // one parallel loop at a time uses the pool
std::unique_ptr<ThreadPool> pool;

}  // namespace

void set_num_threads(int n) {
  EMBER_CHECK(n >= 1, ValueError, "set_num_threads: expected a thread count >= 1, got {}", n);
  std::lock_guard<std::mutex> lock(pool_mutex);
  num_threads_setting = n;
  pool.reset();
}

int get_num_threads() { return num_threads_setting > 0 ? num_threads_setting : hardware_threads(); }

void parallel_for(std::int64_t begin, std::int64_t end, std::int64_t grain,
                  const std::function<void(std::int64_t, std::int64_t)>& fn) {
  if (begin >= end) return;
  const std::int64_t range = end - begin;
  const int threads = get_num_threads();
  if (threads <= 1 || range <= grain || inside_parallel_region) {
    fn(begin, end);
    return;
  }
  std::unique_lock<std::mutex> lock(pool_mutex, std::try_to_lock);
  if (!lock.owns_lock()) {  // another thread's loop holds the pool: run inline
    fn(begin, end);
    return;
  }
  if (!pool || pool->size() != threads - 1) pool = std::make_unique<ThreadPool>(threads - 1);
  const int chunks = static_cast<int>(std::min<std::int64_t>(threads, (range + grain - 1) / std::max<std::int64_t>(grain, 1)));
  const std::int64_t chunk = (range + chunks - 1) / chunks;
  pool->run(chunks, [&](int i) {
    const std::int64_t lo = begin + i * chunk;
    const std::int64_t hi = std::min(end, lo + chunk);
    if (lo < hi) fn(lo, hi);
  });
}

}  // namespace ember
