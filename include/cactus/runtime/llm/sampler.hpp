#pragma once
// Next-token choice from logits, as transformers' generate makes it: the repetition penalty on
// every id seen so far (prompt and generated: a positive logit divided by it, a negative one
// multiplied), then greedy argmax when temperature is 0; otherwise logits / temperature, top-k,
// top-p (the smallest set of most likely tokens whose probability reaches p) and min-p (tokens
// under min_p times the most likely one's probability dropped), and a draw from what is left
// with a seeded generator, so the same seed gives the same tokens.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <numeric>
#include <random>
#include <span>
#include <vector>

#include "cactus/core/error.hpp"

namespace cactus::runtime::llm {

struct sampling {
  float temperature = 0.0f;  // 0: greedy
  int top_k = 0;             // 0: off
  float top_p = 1.0f;        // 1: off
  float min_p = 0.0f;        // 0: off
  float repetition_penalty = 1.0f;
  std::uint64_t seed = 0;

  bool greedy() const { return temperature <= 0.0f; }
  void validate() const {
    check(temperature >= 0 && std::isfinite(temperature), "--temperature must be 0 (greedy) or positive, got ", temperature);
    check(top_k >= 0, "--top-k must be 0 (off) or positive, got ", top_k);
    check(top_p > 0 && top_p <= 1, "--top-p must be in (0, 1], got ", top_p);
    check(min_p >= 0 && min_p <= 1, "--min-p must be in [0, 1], got ", min_p);
    check(repetition_penalty > 0 && std::isfinite(repetition_penalty), "--repetition-penalty must be positive, got ", repetition_penalty);
  }
};

class sampler {
 public:
  explicit sampler(sampling s) : s_(s), rng_(s.seed) { s_.validate(); }
  const sampling& settings() const { return s_; }

  // The next id from logits [V]; `seen` are the ids so far (for the repetition penalty).
  std::int64_t next(std::span<const float> logits, std::span<const std::int64_t> seen) {
    const std::size_t V = logits.size();
    check(V > 0, "sampling: empty logits");
    const float* l = logits.data();
    if (s_.repetition_penalty != 1.0f) {
      work_.assign(l, l + V);
      for (std::int64_t id : seen) {
        if (id < 0 || static_cast<std::size_t>(id) >= V) continue;
        float& x = work_[static_cast<std::size_t>(id)];
        x = x < 0 ? x * s_.repetition_penalty : x / s_.repetition_penalty;
      }
      l = work_.data();
    }
    if (s_.greedy()) return static_cast<std::int64_t>(std::max_element(l, l + V) - l);
    // candidates, most likely first: the top k (or all), sorted
    const std::size_t k = s_.top_k > 0 ? std::min<std::size_t>(static_cast<std::size_t>(s_.top_k), V) : V;
    idx_.resize(V);
    std::iota(idx_.begin(), idx_.end(), 0);
    auto by_logit = [l](std::uint32_t a, std::uint32_t b) { return l[a] > l[b] || (l[a] == l[b] && a < b); };
    if (k < V) std::nth_element(idx_.begin(), idx_.begin() + static_cast<std::ptrdiff_t>(k - 1), idx_.end(), by_logit);
    idx_.resize(k);
    std::sort(idx_.begin(), idx_.end(), by_logit);
    // probabilities over the candidates at the temperature
    prob_.resize(k);
    const float mx = l[idx_[0]];
    double sum = 0;
    for (std::size_t i = 0; i < k; ++i) sum += prob_[i] = std::exp((l[idx_[i]] - mx) / s_.temperature);
    std::size_t keep = k;
    if (s_.top_p < 1.0f) {
      // HF drops the tokens whose ascending cumulative probability is <= 1 - p: keep the most
      // likely ones while the mass before them is < p
      double acc = 0;
      std::size_t n = 0;
      while (n < keep && acc < s_.top_p * sum) acc += prob_[n++];
      keep = std::max<std::size_t>(n, 1);
    }
    if (s_.min_p > 0.0f) {
      const double floor = s_.min_p * prob_[0];
      std::size_t n = 1;
      while (n < keep && prob_[n] >= floor) ++n;
      keep = n;
    }
    double total = 0;
    for (std::size_t i = 0; i < keep; ++i) total += prob_[i];
    const double u = std::uniform_real_distribution<double>(0.0, total)(rng_);
    double acc = 0;
    for (std::size_t i = 0; i < keep; ++i) {
      acc += prob_[i];
      if (u < acc) return idx_[i];
    }
    return idx_[keep - 1];
  }

 private:
  sampling s_;
  std::mt19937_64 rng_;
  std::vector<float> work_;
  std::vector<std::uint32_t> idx_;
  std::vector<double> prob_;
};

}  // namespace cactus::runtime::llm
