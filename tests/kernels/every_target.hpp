#pragma once
// Shared by the kernel tests: run a check once per Highway target that is compiled in and
// supported by this CPU (or emulated CPU), and seeded normal test data.
#include <catch2/catch.hpp>
#include <random>
#include <vector>

#include <cactus/cactus.hpp>

namespace cactus::testing {

inline std::vector<float> randn(std::size_t n, unsigned seed) {
  std::mt19937 g(seed);
  std::normal_distribution<float> d;
  std::vector<float> v(n);
  for (auto& x : v) x = d(g);
  return v;
}

template <class F>
void for_each_target(F&& f) {
  for (std::int64_t t : hwy::SupportedAndGeneratedTargets()) {
    hwy::SetSupportedTargetsForTest(t);
    INFO("target " << hwy::TargetName(t));
    f();
  }
  hwy::SetSupportedTargetsForTest(0);
}

}  // namespace cactus::testing
