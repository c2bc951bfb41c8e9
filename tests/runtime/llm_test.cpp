// runtime/llm: the sampler against the distributions transformers' logits processors define, and
// generation_config's defaults and EOS set as transformers reads them.
#include <catch2/catch.hpp>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>

#include <cactus/core/peak_memory.hpp>
#include <cactus/runtime/llm/causal_lm.hpp>

using namespace cactus::runtime::llm;

namespace {
std::map<std::int64_t, double> frequencies(sampling s, const std::vector<float>& logits, int draws, std::vector<std::int64_t> seen = {}) {
  sampler p(s);
  std::map<std::int64_t, double> f;
  for (int i = 0; i < draws; ++i) f[p.next(logits, seen)] += 1.0 / draws;
  return f;
}
}  // namespace

TEST_CASE("greedy is the argmax, after the repetition penalty") {
  sampling s;
  sampler p(s);
  const std::vector<float> l{0.5f, 2.0f, -1.0f, 1.9f};
  CHECK(p.next(l, {}) == 1);
  s.repetition_penalty = 1.2f;  // 2.0 / 1.2 < 1.9: the seen id loses
  CHECK(sampler(s).next(l, std::vector<std::int64_t>{1}) == 3);
  const std::vector<float> neg{-0.1f, -0.5f};
  CHECK(sampler(s).next(neg, std::vector<std::int64_t>{0}) == 0);  // -0.1 * 1.2 = -0.12 still > -0.5
}

TEST_CASE("sampling at temperature T draws softmax(l / T); top-k, top-p and min-p cut as transformers does") {
  const std::vector<float> l{1.0f, 2.0f, 0.0f, 3.0f};
  sampling s;
  s.temperature = 0.7f;
  s.seed = 3;
  auto f = frequencies(s, l, 40000);
  double z = 0;
  for (float x : l) z += std::exp(x / 0.7);
  for (std::int64_t i = 0; i < 4; ++i) CHECK(std::fabs(f[i] - std::exp(l[i] / 0.7) / z) < 0.01);
  s.temperature = 1.0f;
  s.top_k = 2;  // ids 3 and 1 only, renormalized
  f = frequencies(s, l, 20000);
  CHECK(f[0] == 0);
  CHECK(f[2] == 0);
  CHECK(std::fabs(f[3] - std::exp(1.0) / (std::exp(1.0) + 1)) < 0.015);
  s.top_k = 0;
  s.top_p = 0.6f;  // probabilities .644 .237 .087 .032: the first alone reaches 0.6
  f = frequencies(s, l, 2000);
  CHECK(f[3] == Approx(1.0));
  s.top_p = 0.7f;  // 0.644 < 0.7: the second is kept too
  f = frequencies(s, l, 2000);
  CHECK(f[3] + f[1] == Approx(1.0));
  CHECK(f[1] > 0);
  s.top_p = 1.0f;
  s.min_p = 0.2f;  // exp(-1) = 0.37 of the top kept, exp(-2) = 0.135 dropped
  f = frequencies(s, l, 2000);
  CHECK(f[0] == 0);
  CHECK(f[2] == 0);
  CHECK(f[1] > 0);
}

TEST_CASE("the same seed draws the same tokens") {
  std::vector<float> l(1000);
  for (std::size_t i = 0; i < l.size(); ++i) l[i] = std::sin(float(i)) * 3;
  sampling s;
  s.temperature = 1.0f;
  s.seed = 42;
  sampler a(s), b(s);
  s.seed = 43;
  sampler c(s);
  int differ = 0;
  for (int i = 0; i < 64; ++i) {
    const auto x = a.next(l, {});
    CHECK(x == b.next(l, {}));
    differ += x != c.next(l, {});
  }
  CHECK(differ > 0);
}

TEST_CASE("bad sampling values are errors naming the flag") {
  sampling s;
  s.top_p = 0;
  CHECK_THROWS_WITH(sampler(s), Catch::Contains("--top-p"));
  s = {};
  s.temperature = -1;
  CHECK_THROWS_WITH(sampler(s), Catch::Contains("--temperature"));
  s = {};
  s.repetition_penalty = 0;
  CHECK_THROWS_WITH(sampler(s), Catch::Contains("--repetition-penalty"));
}

TEST_CASE("generation_config: EOS ids and sampling defaults as transformers reads them") {
  namespace fs = std::filesystem;
  const fs::path d = fs::temp_directory_path() / ("cactus_llm_test_" + std::to_string(::getpid()));
  fs::create_directories(d);
  auto write = [&](const char* name, const char* text) { std::ofstream(d / name) << text; };
  write("config.json", R"({"eos_token_id": 7})");
  auto g = generation_config::read(d);
  CHECK(g.eos == std::set<std::int64_t>{7});
  CHECK(g.defaults.greedy());
  write("generation_config.json", R"({"eos_token_id": [3, 9], "do_sample": true, "temperature": 0.6, "top_k": 20, "top_p": 0.95})");
  g = generation_config::read(d);
  CHECK(g.eos == std::set<std::int64_t>{3, 9});
  CHECK(g.defaults.temperature == Approx(0.6f));
  CHECK(g.defaults.top_k == 20);
  CHECK(g.defaults.top_p == Approx(0.95f));
  write("generation_config.json", R"({"temperature": 0.6})");  // no do_sample: greedy, EOS from config.json
  g = generation_config::read(d);
  CHECK(g.defaults.greedy());
  CHECK(g.eos == std::set<std::int64_t>{7});
  write("generation_config.json", R"({"do_sample": true, "top_k": "many"})");
  CHECK_THROWS_WITH(generation_config::read(d), Catch::Contains("top_k"));
  fs::remove_all(d);
}

TEST_CASE("peak_rss_mb: this process's high-water mark, which grows when memory is touched") {
  const double before = cactus::peak_rss_mb();
  CHECK(before > 1.0);
  std::vector<char> big(std::size_t(256) << 20, 1);  // 256 MiB, every page touched
  const double after = cactus::peak_rss_mb();
  CHECK(after >= before + 200.0);
  CHECK(big[12345] == 1);
}
