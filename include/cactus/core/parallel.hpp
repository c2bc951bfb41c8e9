#pragma once
// A small persistent thread pool. parallel_for splits [0, n) into contiguous chunks, one per
// worker, and runs them with the calling thread taking part; below `min_per_thread` work items
// per thread it runs inline, because even a fast hand-off costs more than tiny ops.
//
// Hand-off: a job is published as one atomic word, generation << 16 | chunk count. Workers spin
// on it for a short while after their last job (consecutive ops of one inference arrive
// microseconds apart), then sleep on a condition variable; sleepers are notified only if there
// are any. A worker takes part only if its index is below the chunk count read from that same
// word, and only those workers count in `pending`, which the caller spins on: so the job
// pointer and size are never rewritten while a participant may still read them.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace cactus {

namespace detail {
inline void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  asm volatile("yield");
#endif
}
}  // namespace detail

class thread_pool {
 public:
  explicit thread_pool(unsigned n) : size_(std::max(1u, n)) {
    for (unsigned i = 1; i < size_; ++i) workers_.emplace_back([this, i] { loop(i); });
  }
  ~thread_pool() {
    {
      std::lock_guard<std::mutex> lk(m_);
      stop_.store(true);
      state_.fetch_add(std::uint64_t{1} << 16);
    }
    cv_.notify_all();
    for (auto& t : workers_) t.join();
  }
  thread_pool(const thread_pool&) = delete;
  thread_pool& operator=(const thread_pool&) = delete;
  unsigned size() const { return size_; }

  // fn(begin, end) over chunks of [0, n).
  void parallel_for(std::size_t n, std::size_t min_per_thread, const std::function<void(std::size_t, std::size_t)>& fn) {
    const std::size_t threads = std::min<std::size_t>(size_, min_per_thread ? n / min_per_thread : n);
    if (threads <= 1 || busy_.exchange(true)) {  // small, or nested inside another parallel_for: inline
      fn(0, n);
      return;
    }
    job_ = &fn;
    n_ = n;
    chunks_ = threads;
    pending_.store(static_cast<int>(threads) - 1);
    {
      std::lock_guard<std::mutex> lk(m_);  // so a worker about to sleep cannot miss the change
      const std::uint64_t gen = (state_.load() >> 16) + 1;
      state_.store(gen << 16 | threads, std::memory_order_release);
    }
    if (sleeping_.load() > 0) cv_.notify_all();
    run_chunk(0);
    while (pending_.load(std::memory_order_acquire) != 0) detail::cpu_relax();
    job_ = nullptr;
    busy_.store(false);
  }

 private:
  void run_chunk(std::size_t c) {
    const std::size_t per = (n_ + chunks_ - 1) / chunks_;  // participants read these after an acquire of state_
    const std::size_t b = c * per, e = std::min(n_, b + per);
    if (b < e) (*job_)(b, e);
  }

  void loop(unsigned idx) {
    std::uint64_t seen = 0;
    for (;;) {
      // spin ~50 us for the next job, then sleep
      const auto until = std::chrono::steady_clock::now() + std::chrono::microseconds(50);
      std::uint64_t w = state_.load(std::memory_order_acquire);
      for (int spins = 0; (w >> 16) == seen; ++spins) {
        detail::cpu_relax();
        if ((spins & 255) == 255 && std::chrono::steady_clock::now() > until) break;
        w = state_.load(std::memory_order_acquire);
      }
      if ((w >> 16) == seen) {
        std::unique_lock<std::mutex> lk(m_);
        sleeping_.fetch_add(1);
        cv_.wait(lk, [&] { return (state_.load() >> 16) != seen; });
        sleeping_.fetch_sub(1);
        w = state_.load(std::memory_order_acquire);
      }
      seen = w >> 16;
      if (stop_.load()) return;
      if (idx < (w & 0xffff)) {
        run_chunk(idx);
        pending_.fetch_sub(1, std::memory_order_release);
      }
    }
  }

  unsigned size_;
  std::vector<std::thread> workers_;
  std::mutex m_;
  std::condition_variable cv_;
  std::atomic<std::uint64_t> state_{0};  // generation << 16 | chunks
  std::atomic<int> pending_{0}, sleeping_{0};
  std::atomic<bool> stop_{false}, busy_{false};
  const std::function<void(std::size_t, std::size_t)>* job_ = nullptr;
  std::size_t n_ = 0, chunks_ = 0;
};

// Multiply-adds below which a kernel runs on one thread: a hand-off costs about as much.
inline constexpr std::size_t serial_work = std::size_t{1} << 17;
// Elements per thread below which elementwise passes stay on one thread.
inline constexpr std::size_t elementwise_grain = std::size_t{1} << 13;

// Threads used by kernels: CACTUS_NUM_THREADS, else the hardware concurrency.
inline unsigned default_thread_count() {
  if (const char* s = std::getenv("CACTUS_NUM_THREADS")) {
    int v = std::atoi(s);
    if (v > 0) return static_cast<unsigned>(v);
  }
  return std::max(1u, std::thread::hardware_concurrency());
}

inline thread_pool& global_pool() {
  static thread_pool pool(default_thread_count());
  return pool;
}

}  // namespace cactus
