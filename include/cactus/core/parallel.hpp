#pragma once
// A small persistent thread pool. parallel_for splits [0, n) into contiguous chunks, one per
// worker, and runs them with the calling thread taking part; below `min_per_thread` work items
// per thread it runs inline, because waking threads costs more than tiny ops.
#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdlib>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace cactus {

class thread_pool {
 public:
  explicit thread_pool(unsigned n) : size_(std::max(1u, n)) {
    for (unsigned i = 1; i < size_; ++i) workers_.emplace_back([this, i] { loop(i); });
  }
  ~thread_pool() {
    {
      std::lock_guard<std::mutex> lk(m_);
      stop_ = true;
      ++generation_;
    }
    cv_.notify_all();
    for (auto& t : workers_) t.join();
  }
  unsigned size() const { return size_; }

  // fn(begin, end) over chunks of [0, n).
  void parallel_for(std::size_t n, std::size_t min_per_thread, const std::function<void(std::size_t, std::size_t)>& fn) {
    std::size_t threads = std::min<std::size_t>(size_, min_per_thread ? n / min_per_thread : n);
    if (threads <= 1 || busy_.exchange(true)) {  // nested or small: run inline
      if (threads <= 1) { fn(0, n); return; }
      fn(0, n);
      return;
    }
    {
      std::lock_guard<std::mutex> lk(m_);
      job_ = &fn;
      n_ = n;
      chunks_ = threads;
      pending_ = static_cast<int>(threads) - 1;
      ++generation_;
    }
    cv_.notify_all();
    run_chunk(0);
    std::unique_lock<std::mutex> lk(m_);
    done_cv_.wait(lk, [this] { return pending_ == 0; });
    job_ = nullptr;
    busy_ = false;
  }

 private:
  void run_chunk(std::size_t c) {
    std::size_t per = (n_ + chunks_ - 1) / chunks_;
    std::size_t b = c * per, e = std::min(n_, b + per);
    if (b < e) (*job_)(b, e);
  }
  void loop(unsigned idx) {
    std::uint64_t seen = 0;
    for (;;) {
      std::unique_lock<std::mutex> lk(m_);
      cv_.wait(lk, [&] { return generation_ != seen; });
      seen = generation_;
      if (stop_) return;
      if (!job_ || idx >= chunks_) continue;
      lk.unlock();
      run_chunk(idx);
      lk.lock();
      if (--pending_ == 0) done_cv_.notify_one();
    }
  }

  unsigned size_;
  std::vector<std::thread> workers_;
  std::mutex m_;
  std::condition_variable cv_, done_cv_;
  std::uint64_t generation_ = 0;
  bool stop_ = false;
  std::atomic<bool> busy_{false};
  const std::function<void(std::size_t, std::size_t)>* job_ = nullptr;
  std::size_t n_ = 0, chunks_ = 0;
  int pending_ = 0;
};

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
