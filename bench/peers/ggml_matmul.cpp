// One quantized matrix product on ggml, the engine of llama.cpp: the peer of quant_bench's
// prefill rows (`quant_bench --prefill --ggml PATH` runs it beside our kernels). The weights are
// N x K random N(0, 0.02) values quantized by ggml (Q4_0, Q4_K or Q8_0) and held in the CPU
// backend's repacked buffers where ggml has a layout for the type on this CPU (as llama.cpp
// loads them; its AVX-512 paths); the activations are M x K f32, quantized by ggml inside the
// product as in llama.cpp's prefill. Enough copies of the weights to exceed the working set are
// cycled through, so they are streamed from memory, not left in cache. It prints one line:
//   ggml <type> N K M threads <ms per product> repacked <yes|no>
//
// Not part of the cactus build: it needs a ggml built from its public source outside this
// repository (see bench/peers/ggml_decoder.cpp for the build commands), then
//   g++ -O2 -std=c++17 bench/peers/ggml_matmul.cpp -I/tmp/ggml-src/include -L/tmp/ggml-src/build/src \
//       -lggml -lggml-base -lggml-cpu -Wl,-rpath,/tmp/ggml-src/build/src -o /tmp/ggml_matmul
//   /tmp/ggml_matmul q4_0|q4_k|q8_0 N K M THREADS [WORKING_SET_MIB=512]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "ggml-alloc.h"
#include "ggml-backend.h"
#include "ggml-cpu.h"
#include "ggml.h"

int main(int argc, char** argv) {
  if (argc < 6) {
    std::fprintf(stderr, "usage: %s q4_0|q4_k|q8_0 N K M THREADS [WORKING_SET_MIB=512]\n", argv[0]);
    return 2;
  }
  const std::string kind = argv[1];
  const int64_t N = std::atoll(argv[2]), K = std::atoll(argv[3]), M = std::atoll(argv[4]);
  const int threads = std::atoi(argv[5]);
  const size_t working_set = (argc > 6 ? std::stoull(argv[6]) : 512) << 20;
  ggml_type wtype;
  if (kind == "q4_0") wtype = GGML_TYPE_Q4_0;
  else if (kind == "q4_k") wtype = GGML_TYPE_Q4_K;
  else if (kind == "q8_0") wtype = GGML_TYPE_Q8_0;
  else {
    std::fprintf(stderr, "unknown weight type %s\n", kind.c_str());
    return 2;
  }
  ggml_backend_t cpu = ggml_backend_cpu_init();
  ggml_backend_cpu_set_n_threads(cpu, threads);
  ggml_backend_dev_t dev = ggml_backend_get_device(cpu);
  ggml_backend_reg_t reg = ggml_backend_dev_backend_reg(dev);
  auto get_extra = reinterpret_cast<ggml_backend_dev_get_extra_bufts_t>(ggml_backend_reg_get_proc_address(reg, "ggml_backend_dev_get_extra_bufts"));
  ggml_backend_buffer_type_t repack = nullptr;
  if (get_extra)
    for (ggml_backend_buffer_type_t* b = get_extra(dev); b && *b; ++b)
      if (std::string(ggml_backend_buft_name(*b)) == "CPU_REPACK") repack = *b;
  if (repack) {  // a layout for this type on this CPU? (else, as llama.cpp, plain buffers)
    ggml_context* probe = ggml_init({ggml_tensor_overhead() * 2, nullptr, true});
    ggml_tensor* t = ggml_new_tensor_2d(probe, wtype, K, 64);
    ggml_backend_buffer_t b = ggml_backend_alloc_ctx_tensors_from_buft(probe, repack);
    if (!b || t->extra == nullptr) repack = nullptr;
    if (b) ggml_backend_buffer_free(b);
    ggml_free(probe);
  }
  const size_t bytes = ggml_row_size(wtype, K) * static_cast<size_t>(N);
  const size_t copies = std::max<size_t>(1, std::min<size_t>(64, working_set / bytes));
  ggml_context* cw = ggml_init({ggml_tensor_overhead() * (copies + 1), nullptr, true});
  std::vector<ggml_tensor*> ws;
  for (size_t c = 0; c < copies; ++c) ws.push_back(ggml_new_tensor_2d(cw, wtype, K, N));
  ggml_backend_buffer_t bw = ggml_backend_alloc_ctx_tensors_from_buft(cw, repack ? repack : ggml_backend_cpu_buffer_type());
  {
    std::mt19937 rng(0);
    std::normal_distribution<float> dist(0.0f, 0.02f);
    std::vector<float> f(static_cast<size_t>(N * K));
    for (auto& v : f) v = dist(rng);
    std::vector<uint8_t> q(bytes);
    ggml_quantize_chunk(wtype, f.data(), q.data(), 0, N, K, nullptr);
    for (ggml_tensor* t : ws) ggml_backend_tensor_set(t, q.data(), 0, q.size());
  }
  // one graph per weight copy, the activations shared
  ggml_context* ca = ggml_init({ggml_tensor_overhead() * 2, nullptr, true});
  ggml_tensor* x = ggml_new_tensor_2d(ca, GGML_TYPE_F32, K, M);
  ggml_backend_buffer_t bx = ggml_backend_alloc_ctx_tensors(ca, cpu);
  {
    std::mt19937 rng(1);
    std::normal_distribution<float> dist;
    std::vector<float> xv(static_cast<size_t>(M * K));
    for (auto& v : xv) v = dist(rng);
    ggml_backend_tensor_set(x, xv.data(), 0, ggml_nbytes(x));
  }
  std::vector<std::vector<uint8_t>> metas;
  std::vector<ggml_cgraph*> graphs;
  std::vector<ggml_gallocr_t> allocs;
  for (ggml_tensor* w : ws) {
    metas.emplace_back(ggml_tensor_overhead() * 8 + ggml_graph_overhead());
    ggml_context* c = ggml_init({metas.back().size(), metas.back().data(), true});
    ggml_cgraph* gf = ggml_new_graph(c);
    ggml_tensor* y = ggml_mul_mat(c, w, x);
    ggml_set_output(y);
    ggml_build_forward_expand(gf, y);
    ggml_gallocr_t ga = ggml_gallocr_new(ggml_backend_cpu_buffer_type());
    ggml_gallocr_alloc_graph(ga, gf);
    graphs.push_back(gf);
    allocs.push_back(ga);
  }
  auto run = [&](size_t i) {
    if (ggml_backend_graph_compute(cpu, graphs[i % graphs.size()]) != GGML_STATUS_SUCCESS) {
      std::fprintf(stderr, "graph compute failed\n");
      std::exit(1);
    }
  };
  for (size_t i = 0; i < 2; ++i) run(i);
  size_t iters = 0;
  const auto t0 = std::chrono::steady_clock::now();
  double ms = 0;
  do {
    run(iters++);
    ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  } while (ms < 300 || iters < 5);
  std::printf("ggml %s %lld %lld %lld %d %.4f repacked %s\n", kind.c_str(), static_cast<long long>(N), static_cast<long long>(K),
              static_cast<long long>(M), threads, ms / iters, repack ? "yes" : "no");
  for (auto ga : allocs) ggml_gallocr_free(ga);
  ggml_backend_buffer_free(bx);
  ggml_backend_buffer_free(bw);
  ggml_free(ca);
  ggml_free(cw);
  ggml_backend_free(cpu);
  return 0;
}
