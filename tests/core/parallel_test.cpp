// core/parallel.hpp: parallel_for covers every index once in at most one chunk per thread, and
// a call nested in another runs inline.
#include <atomic>
#include <vector>

#include <catch2/catch.hpp>

#include "cactus/core/parallel.hpp"

namespace {
struct coverage {
  std::vector<std::atomic<int>> hits;
  explicit coverage(std::size_t n) : hits(n) {}
  void add(std::size_t b, std::size_t e) {
    for (std::size_t i = b; i < e; ++i) hits[i].fetch_add(1);
  }
  bool once() const {
    for (const auto& h : hits)
      if (h.load() != 1) return false;
    return true;
  }
};
}  // namespace

TEST_CASE("parallel_for covers [0, n) once in one even chunk per thread") {
  for (unsigned threads : {1u, 2u, 3u, 4u}) {
    cactus::thread_pool pool(threads);
    for (std::size_t n : {0u, 1u, 2u, 7u, 64u, 1001u})
      for (std::size_t min_per_thread : {0u, 1u, 16u}) {
        coverage c(n);
        std::atomic<int> calls{0};
        pool.parallel_for(n, min_per_thread, [&](std::size_t b, std::size_t e) {
          c.add(b, e);
          calls.fetch_add(1);
        });
        INFO("threads " << threads << " n " << n << " min_per_thread " << min_per_thread);
        CHECK(c.once());
        CHECK(calls.load() <= static_cast<int>(threads));
      }
  }
}

TEST_CASE("parallel_for nested in parallel_for runs inline, and still covers its range once") {
  cactus::thread_pool pool(2);
  coverage outer(8), inner(8 * 16);
  pool.parallel_for(8, 1, [&](std::size_t b, std::size_t e) {
    outer.add(b, e);
    for (std::size_t i = b; i < e; ++i) pool.parallel_for(16, 1, [&](std::size_t ib, std::size_t ie) { inner.add(i * 16 + ib, i * 16 + ie); });
  });
  CHECK(outer.once());
  CHECK(inner.once());
}
