// A Qwen3-shaped decoder on ggml, the engine of llama.cpp: the peer of bench/llm_bench.py when
// llama.cpp itself cannot be had (its repository is too large for these machines). It builds
// the same computation llama.cpp's qwen3 graph does (token lookup, per layer: RMS norm, q/k/v
// projections, q/k RMS norms, NeoX rope, an f16 KV cache written in place, flash attention,
// output projection, residual, RMS norm, SwiGLU MLP, residual; final norm; the tied embedding
// as the output projection of the last position only), with random weights quantized by ggml
// (Q4_0, Q4_K or Q8_0 layer matrices; the tied embedding at Q6_K for the 4-bit types, as
// llama-quantize gives a tied output, and Q8_0 for Q8_0), the layer matrices in the CPU
// backend's repacked buffers (as llama.cpp loads them), on N threads. It prints prefill tokens/s
// (the prompt in one batch) and decode tokens/s (one token per graph, greedy).
//
// Not part of the cactus build: it needs a ggml built from its public source outside this
// repository. Build and run (see bench/RESULTS.md):
//   git clone https://github.com/ggml-org/ggml /tmp/ggml-src   (or a fetched snapshot)
//   cmake -S /tmp/ggml-src -B /tmp/ggml-src/build -DCMAKE_BUILD_TYPE=Release -DGGML_NATIVE=ON -G Ninja
//   ninja -C /tmp/ggml-src/build
//   g++ -O2 -std=c++17 bench/peers/ggml_decoder.cpp -I/tmp/ggml-src/include -L/tmp/ggml-src/build/src \
//       -lggml -lggml-base -lggml-cpu -Wl,-rpath,/tmp/ggml-src/build/src -o /tmp/ggml_decoder
//   /tmp/ggml_decoder q4_0 THREADS [LAYERS] [PROMPT] [NEW]
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "ggml-alloc.h"
#include "ggml-backend.h"
#include "ggml-cpu.h"
#include "ggml.h"

namespace {

constexpr int kHidden = 1024, kFfn = 3072, kHeads = 16, kKvHeads = 8, kHeadDim = 128, kVocab = 151936;
constexpr float kEps = 1e-6f, kTheta = 1e6f;

struct layer {
  ggml_tensor *attn_norm, *q_norm, *k_norm, *ffn_norm;    // f32
  ggml_tensor *wq, *wk, *wv, *wo, *gate, *up, *down;      // quantized, repacked
  ggml_tensor *k_cache, *v_cache;                          // f16 [kKvHeads * kHeadDim, n_ctx]
};

struct model {
  ggml_tensor *tok_embd, *out_norm;
  std::vector<layer> layers;
};

double seconds_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

// Random N(0, std) values, quantized by ggml into t's type and copied into its buffer (a
// repacked buffer repacks them as it takes them).
void fill(ggml_tensor* t, float std, std::mt19937& rng) {
  const int64_t n = ggml_nelements(t), rows = ggml_nrows(t), cols = t->ne[0];
  std::normal_distribution<float> dist(0.0f, std);
  std::vector<float> f(static_cast<size_t>(n));
  for (auto& x : f) x = dist(rng);
  if (t->type == GGML_TYPE_F32) {
    ggml_backend_tensor_set(t, f.data(), 0, ggml_nbytes(t));
    return;
  }
  std::vector<uint8_t> q(ggml_row_size(t->type, cols) * static_cast<size_t>(rows));
  ggml_quantize_chunk(t->type, f.data(), q.data(), 0, rows, cols, nullptr);
  ggml_backend_tensor_set(t, q.data(), 0, q.size());
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s q4_0|q4_k|q8_0 THREADS [LAYERS=28] [PROMPT=512] [NEW=128]\n", argv[0]);
    return 2;
  }
  const std::string kind = argv[1];
  const int threads = std::atoi(argv[2]);
  const int n_layers = argc > 3 ? std::atoi(argv[3]) : 28;
  const int n_prompt = argc > 4 ? std::atoi(argv[4]) : 512;
  const int n_new = argc > 5 ? std::atoi(argv[5]) : 128;
  const int n_ctx = n_prompt + n_new;
  ggml_type wtype, etype;
  if (kind == "q4_0") wtype = GGML_TYPE_Q4_0, etype = GGML_TYPE_Q6_K;
  else if (kind == "q4_k") wtype = GGML_TYPE_Q4_K, etype = GGML_TYPE_Q6_K;
  else if (kind == "q8_0") wtype = GGML_TYPE_Q8_0, etype = GGML_TYPE_Q8_0;
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

  // weights: layer matrices in one context (repacked buffer), the rest in another (CPU buffer)
  const size_t meta = ggml_tensor_overhead() * static_cast<size_t>(16 * n_layers + 16);
  ggml_context* cm = ggml_init({meta, nullptr, true});
  ggml_context* cw = ggml_init({meta, nullptr, true});
  model m;
  m.tok_embd = ggml_new_tensor_2d(cw, etype, kHidden, kVocab);
  m.out_norm = ggml_new_tensor_1d(cw, GGML_TYPE_F32, kHidden);
  m.layers.resize(static_cast<size_t>(n_layers));
  for (auto& L : m.layers) {
    L.attn_norm = ggml_new_tensor_1d(cw, GGML_TYPE_F32, kHidden);
    L.ffn_norm = ggml_new_tensor_1d(cw, GGML_TYPE_F32, kHidden);
    L.q_norm = ggml_new_tensor_1d(cw, GGML_TYPE_F32, kHeadDim);
    L.k_norm = ggml_new_tensor_1d(cw, GGML_TYPE_F32, kHeadDim);
    L.k_cache = ggml_new_tensor_2d(cw, GGML_TYPE_F16, kKvHeads * kHeadDim, n_ctx);
    L.v_cache = ggml_new_tensor_2d(cw, GGML_TYPE_F16, kKvHeads * kHeadDim, n_ctx);
    L.wq = ggml_new_tensor_2d(cm, wtype, kHidden, kHeads * kHeadDim);
    L.wk = ggml_new_tensor_2d(cm, wtype, kHidden, kKvHeads * kHeadDim);
    L.wv = ggml_new_tensor_2d(cm, wtype, kHidden, kKvHeads * kHeadDim);
    L.wo = ggml_new_tensor_2d(cm, wtype, kHeads * kHeadDim, kHidden);
    L.gate = ggml_new_tensor_2d(cm, wtype, kHidden, kFfn);
    L.up = ggml_new_tensor_2d(cm, wtype, kHidden, kFfn);
    L.down = ggml_new_tensor_2d(cm, wtype, kFfn, kHidden);
  }
  if (repack) {  // does the repacked buffer have a layout for this type on this CPU? (else, as llama.cpp, plain buffers)
    ggml_context* probe = ggml_init({ggml_tensor_overhead() * 2, nullptr, true});
    ggml_tensor* t = ggml_new_tensor_2d(probe, wtype, kHidden, 64);
    ggml_backend_buffer_t b = ggml_backend_alloc_ctx_tensors_from_buft(probe, repack);
    if (!b || t->extra == nullptr) repack = nullptr;
    if (b) ggml_backend_buffer_free(b);
    ggml_free(probe);
  }
  ggml_backend_buffer_t bm = ggml_backend_alloc_ctx_tensors_from_buft(cm, repack ? repack : ggml_backend_cpu_buffer_type());
  ggml_backend_buffer_t bw = ggml_backend_alloc_ctx_tensors_from_buft(cw, ggml_backend_cpu_buffer_type());
  std::printf("ggml decoder: %d layers, %s layer matrices, %s tied embedding, %d threads, repacked buffers: %s\n", n_layers, ggml_type_name(wtype),
              ggml_type_name(etype), threads, repack ? "yes" : "no (none for this type on this CPU)");
  std::mt19937 rng(0);
  const auto t_fill = std::chrono::steady_clock::now();
  fill(m.tok_embd, 0.02f, rng);
  for (ggml_tensor* t = ggml_get_first_tensor(cw); t; t = ggml_get_next_tensor(cw, t))
    if (t->type == GGML_TYPE_F32) {
      std::vector<float> ones(static_cast<size_t>(ggml_nelements(t)), 1.0f);
      ggml_backend_tensor_set(t, ones.data(), 0, ggml_nbytes(t));
    }
  for (ggml_tensor* t = ggml_get_first_tensor(cm); t; t = ggml_get_next_tensor(cm, t)) fill(t, 0.02f, rng);
  std::printf("weights: %.1f MB layer matrices + %.1f MB embedding, made in %.1f s\n", ggml_backend_buffer_get_size(bm) / 1e6,
              ggml_nbytes(m.tok_embd) / 1e6, seconds_since(t_fill));

  ggml_gallocr_t galloc = ggml_gallocr_new(ggml_backend_cpu_buffer_type());
  std::vector<uint8_t> graph_meta(ggml_tensor_overhead() * 8192 + ggml_graph_overhead_custom(8192, false));

  // One forward pass: n tokens at positions p0 .. p0 + n - 1; returns the last position's argmax.
  auto forward = [&](const std::vector<int32_t>& ids, int p0) {
    const int n = static_cast<int>(ids.size()), n_kv = p0 + n;
    ggml_context* c = ggml_init({graph_meta.size(), graph_meta.data(), true});
    ggml_cgraph* gf = ggml_new_graph_custom(c, 8192, false);
    ggml_tensor* inp_ids = ggml_new_tensor_1d(c, GGML_TYPE_I32, n);
    ggml_tensor* inp_pos = ggml_new_tensor_1d(c, GGML_TYPE_I32, n);
    ggml_tensor* mask = ggml_new_tensor_2d(c, GGML_TYPE_F16, n_kv, n);
    ggml_set_input(inp_ids), ggml_set_input(inp_pos), ggml_set_input(mask);
    ggml_tensor* cur = ggml_get_rows(c, m.tok_embd, inp_ids);
    for (auto& L : m.layers) {
      ggml_tensor* x = ggml_mul(c, ggml_rms_norm(c, cur, kEps), L.attn_norm);
      ggml_tensor* q = ggml_reshape_3d(c, ggml_mul_mat(c, L.wq, x), kHeadDim, kHeads, n);
      ggml_tensor* k = ggml_reshape_3d(c, ggml_mul_mat(c, L.wk, x), kHeadDim, kKvHeads, n);
      ggml_tensor* v = ggml_mul_mat(c, L.wv, x);
      q = ggml_mul(c, ggml_rms_norm(c, q, kEps), L.q_norm);
      k = ggml_mul(c, ggml_rms_norm(c, k, kEps), L.k_norm);
      q = ggml_rope_ext(c, q, inp_pos, nullptr, kHeadDim, GGML_ROPE_TYPE_NEOX, 40960, kTheta, 1.0f, 0.0f, 1.0f, 0.0f, 0.0f);
      k = ggml_rope_ext(c, k, inp_pos, nullptr, kHeadDim, GGML_ROPE_TYPE_NEOX, 40960, kTheta, 1.0f, 0.0f, 1.0f, 0.0f, 0.0f);
      // append to the caches in place, then attend over positions 0 .. n_kv - 1
      const size_t row = L.k_cache->nb[1];
      ggml_build_forward_expand(gf, ggml_cpy(c, ggml_reshape_2d(c, k, kKvHeads * kHeadDim, n), ggml_view_2d(c, L.k_cache, kKvHeads * kHeadDim, n, row, p0 * row)));
      ggml_build_forward_expand(gf, ggml_cpy(c, v, ggml_view_2d(c, L.v_cache, kKvHeads * kHeadDim, n, row, p0 * row)));
      ggml_tensor* K = ggml_permute(c, ggml_view_3d(c, L.k_cache, kHeadDim, kKvHeads, n_kv, kHeadDim * 2, row, 0), 0, 2, 1, 3);
      ggml_tensor* V = ggml_permute(c, ggml_view_3d(c, L.v_cache, kHeadDim, kKvHeads, n_kv, kHeadDim * 2, row, 0), 0, 2, 1, 3);
      ggml_tensor* a = ggml_flash_attn_ext(c, ggml_permute(c, q, 0, 2, 1, 3), K, V, mask, 1.0f / std::sqrt(float(kHeadDim)), 0.0f, 0.0f);
      a = ggml_reshape_2d(c, a, kHeads * kHeadDim, n);
      cur = ggml_add(c, cur, ggml_mul_mat(c, L.wo, a));
      x = ggml_mul(c, ggml_rms_norm(c, cur, kEps), L.ffn_norm);
      ggml_tensor* h = ggml_swiglu_split(c, ggml_mul_mat(c, L.gate, x), ggml_mul_mat(c, L.up, x));
      cur = ggml_add(c, cur, ggml_mul_mat(c, L.down, h));
    }
    cur = ggml_view_2d(c, cur, kHidden, 1, cur->nb[1], static_cast<size_t>(n - 1) * cur->nb[1]);  // the last position only
    cur = ggml_mul(c, ggml_rms_norm(c, cur, kEps), m.out_norm);
    ggml_tensor* logits = ggml_mul_mat(c, m.tok_embd, cur);
    ggml_set_output(logits);
    ggml_build_forward_expand(gf, logits);
    ggml_gallocr_alloc_graph(galloc, gf);
    std::vector<int32_t> pos(static_cast<size_t>(n));
    for (int i = 0; i < n; ++i) pos[static_cast<size_t>(i)] = p0 + i;
    std::vector<ggml_fp16_t> mk(static_cast<size_t>(n_kv) * n);
    for (int i = 0; i < n; ++i)
      for (int j = 0; j < n_kv; ++j) mk[static_cast<size_t>(i) * n_kv + j] = ggml_fp32_to_fp16(j <= p0 + i ? 0.0f : -INFINITY);
    ggml_backend_tensor_set(inp_ids, ids.data(), 0, ggml_nbytes(inp_ids));
    ggml_backend_tensor_set(inp_pos, pos.data(), 0, ggml_nbytes(inp_pos));
    ggml_backend_tensor_set(mask, mk.data(), 0, ggml_nbytes(mask));
    if (ggml_backend_graph_compute(cpu, gf) != GGML_STATUS_SUCCESS) {
      std::fprintf(stderr, "graph compute failed\n");
      std::exit(1);
    }
    std::vector<float> out(kVocab);
    ggml_backend_tensor_get(logits, out.data(), 0, ggml_nbytes(logits));
    ggml_free(c);
    int32_t best = 0;
    for (int32_t i = 1; i < kVocab; ++i)
      if (out[static_cast<size_t>(i)] > out[static_cast<size_t>(best)]) best = i;
    return best;
  };

  std::vector<int32_t> prompt(static_cast<size_t>(n_prompt));
  for (int i = 0; i < n_prompt; ++i) prompt[static_cast<size_t>(i)] = static_cast<int32_t>((1 + i) * 7919 % kVocab);
  forward({prompt[0], prompt[1]}, 0);  // warm-up: pages in the weights, sizes the allocator
  const auto t0 = std::chrono::steady_clock::now();
  int32_t tok = forward(prompt, 0);
  const double prefill_s = seconds_since(t0);
  const auto t1 = std::chrono::steady_clock::now();
  for (int i = 1; i < n_new; ++i) tok = forward({tok}, n_prompt + i - 1);
  const double decode_s = seconds_since(t1);
  std::printf("prefill %d tokens: %.1f tok/s; decode %d tokens after them: %.2f tok/s\n", n_prompt, n_prompt / prefill_s, n_new - 1,
              (n_new - 1) / decode_s);
  ggml_gallocr_free(galloc);
  ggml_backend_buffer_free(bm);
  ggml_backend_buffer_free(bw);
  ggml_free(cm);
  ggml_free(cw);
  ggml_backend_free(cpu);
  return 0;
}
