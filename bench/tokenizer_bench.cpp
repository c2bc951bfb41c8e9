// Encode speed of cactus's tokenizer on a text file: loads DIR/tokenizer.json, encodes the
// whole file as one string (as HF's Tokenizer.encode does, one thread), best of N runs.
// bench/tokenizer_bench.py runs it beside HF tokenizers and prints the ratio.
//   tokenizer_bench DIR TEXT_FILE [RUNS]
#include <chrono>
#include <cstdio>
#include <iostream>

#include "cactus/core/files.hpp"
#include "cactus/tokenizer/tokenizer.hpp"

int main(int argc, char** argv) {
  if (argc < 3) { std::cerr << "usage: tokenizer_bench DIR TEXT_FILE [RUNS]\n"; return 2; }
  try {
    auto t0 = std::chrono::steady_clock::now();
    auto tok = cactus::tokenizer::tokenizer::open(argv[1]);
    const double load = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    const std::string text = cactus::read_file_text(argv[2]);
    const int runs = argc > 3 ? std::atoi(argv[3]) : 3;
    double best = 1e30;
    std::size_t n = 0;
    for (int r = 0; r < runs; ++r) {
      auto a = std::chrono::steady_clock::now();
      n = tok.encode(text).size();
      best = std::min(best, std::chrono::duration<double>(std::chrono::steady_clock::now() - a).count());
    }
    std::printf("{\"tokens\": %zu, \"bytes\": %zu, \"seconds\": %.6f, \"load_seconds\": %.3f}\n", n, text.size(), best, load);
  } catch (const std::exception& e) {
    std::cerr << "tokenizer_bench: " << e.what() << "\n";
    return 1;
  }
}
