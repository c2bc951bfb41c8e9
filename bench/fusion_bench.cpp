// Each fusion's kernel against the unfused op sequence it replaces, same executor, same inputs,
// at LLM-like (and ResNet-like) shapes. The unfused graphs are written as C++ model graphs
// (cactus/model_dsl/model.hpp) in the spelling TorchScript produces for the HF code (see
// tests/patterns/fusion_test.py) and fused by the fusion pass itself. Prints time per run and
// unfused / fused.
// usage: fusion_bench [threads]
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <random>
#include <string>

#include "cactus/cactus.hpp"

using namespace cactus;
using namespace cactus::model_dsl;

// Unfused and fused runs alternate, ~40 ms each, for 9 rounds: the ratio is the median of the
// rounds' ratios (a slow stretch of the machine hits both sides), the times are the medians.
struct timing {
  double a_ms, b_ms, ratio, lo, hi;
};
template <class A, class B>
static timing time_pair(A&& a, B&& b) {
  auto run_for = [](auto& f, int iters) {
    const auto t0 = std::chrono::steady_clock::now();
    for (int i = 0; i < iters; ++i) f();
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count() / iters;
  };
  for (int i = 0; i < 3; ++i) a(), b();
  const double one = std::max(1e-3, run_for(a, 1));
  const int iters = std::max(1, static_cast<int>(40.0 / one));
  std::vector<double> ta, tb, r;
  for (int round = 0; round < 9; ++round) {
    ta.push_back(run_for(a, iters));
    tb.push_back(run_for(b, iters));
    r.push_back(ta.back() / tb.back());
  }
  auto median = [](std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
  };
  return {median(ta), median(tb), median(r), *std::min_element(r.begin(), r.end()), *std::max_element(r.begin(), r.end())};
}

static tensor random_tensor(shape_t s, float scale, std::uint64_t seed, float offset = 0) {
  tensor t = tensor::empty(dtype::f32, std::move(s));
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> n(0.0f, 1.0f);
  for (std::int64_t i = 0; i < t.numel(); ++i) t.ptr<float>()[i] = offset + scale * n(rng);
  return t;
}

// ---- the unfused graphs ----------------------------------------------------------------------
using x = input<"x">;

// HF Llama RMSNorm
using rms_norm_unfused =
    model<op<"mul", weight<"norm.weight">, op<"mul", x, op<"rsqrt", op<"add", op<"mean", op<"pow", x, lit<2>>, ints<-1>, lit<true>, none>, lit<1e-6>, lit<1>>>>>>;

// LayerNorm written by hand
using centered = op<"sub", x, op<"mean", x, ints<-1>, lit<true>, none>, lit<1>>;
using layer_norm_unfused =
    model<op<"add",
             op<"mul", weight<"ln.weight">,
                op<"div", centered, op<"sqrt", op<"add", op<"mean", op<"pow", centered, lit<2>>, ints<-1>, lit<true>, none>, lit<1e-5>, lit<1>>>>>,
             weight<"ln.bias">, lit<1>>>;

// GPT-2's gelu_new
using gelu_unfused = model<op<"mul", op<"mul", x, lit<0.5>>,
                              op<"add", op<"tanh", op<"mul", op<"add", x, op<"mul", op<"pow", x, lit<3>>, lit<0.044715>>, lit<1>>, lit<0.7978845608028654>>>,
                                 lit<1>, lit<1>>>>;

// HF Llama apply_rotary_pos_emb on q [1, H, L, 128], cos/sin [1, 1, L, 128] (rotate_half)
using q_in = input<"q">;
using cos_in = input<"cos">;
using sin_in = input<"sin">;
using rotate_half = op<"cat", op<"neg", op<"slice", q_in, lit<-1>, lit<64>, lit<9223372036854775807LL>, lit<1>>>, op<"slice", q_in, lit<-1>, lit<0>, lit<64>, lit<1>>,
                       lit<-1>>;
using rope_unfused = model<inputs<q_in, cos_in, sin_in>, op<"add", op<"mul", q_in, cos_in>, op<"mul", rotate_half, sin_in>, lit<1>>>;

// HF Llama eager attention with repeat_kv: q [1, 32, L, 128], k/v [1, 8, S, 128], additive mask
// [1, 1, L, S]
using k_in = input<"k">;
using v_in = input<"v">;
using mask_in = input<"mask">;
template <class KV, long long S>
using repeat_kv = op<"reshape", op<"expand", op<"unsqueeze", KV, lit<2>>, ints<1, 8, 4, S, 128>, lit<false>>, ints<1, 32, S, 128>>;
template <long long S>
using attention_unfused = model<
    inputs<q_in, k_in, v_in, mask_in>,
    op<"matmul",
       op<"softmax", op<"add", op<"mul", op<"matmul", q_in, op<"permute", repeat_kv<k_in, S>, ints<0, 1, 3, 2>>>, lit<0.08838834764831845>>, mask_in, lit<1>>,
          lit<-1>, none>,
       repeat_kv<v_in, S>>>;

// HF LlamaMLP
using gated_mlp_unfused =
    model<op<"linear",
             op<"mul", op<"silu", op<"linear", x, weight<"gate.weight">, none>>, op<"linear", x, weight<"up.weight">, none>>,
             weight<"down.weight">, none>>;

// ResNet's conv -> BatchNorm2d -> ReLU; MobileNetV2's depthwise and pointwise convs -> BN -> ReLU6
template <class Conv>
using bn = op<"batch_norm", Conv, weight<"bn.weight">, weight<"bn.bias">, weight<"bn.running_mean">, weight<"bn.running_var">, lit<false>, lit<0.1>,
              lit<1e-5>, lit<true>>;
using conv3x3 = op<"conv", x, weight<"conv.weight">, none, ints<1, 1>, ints<1, 1>, ints<1, 1>, lit<1>>;
template <long long C>
using depthwise3x3 = op<"conv", x, weight<"conv.weight">, none, ints<1, 1>, ints<1, 1>, ints<1, 1>, lit<C>>;
using pointwise = op<"conv", x, weight<"conv.weight">, none, ints<1, 1>, ints<0, 0>, ints<1, 1>, lit<1>>;
using conv_module_unfused = model<op<"relu", bn<conv3x3>>>;
template <long long C>
using depthwise_module_unfused = model<op<"clamp", bn<depthwise3x3<C>>, lit<0>, lit<6>>>;
using pointwise_module_unfused = model<op<"clamp", bn<pointwise>, lit<0>, lit<6>>>;

// The LSTM cell written by hand from its gates [B, 4H] and state c [B, H]
using gates_in = input<"gates">;
using c_in = input<"c">;
template <int I>
using gate = piece<I, 4, op<"split", gates_in, lit<1>, lit<0>, lit<4>>>;
using c_next = op<"add", op<"mul", op<"sigmoid", gate<1>>, c_in>, op<"mul", op<"sigmoid", gate<0>>, op<"tanh", gate<2>>>, lit<1>>;
using lstm_cell_unfused = model<inputs<gates_in, c_in>, op<"mul", op<"sigmoid", gate<3>>, op<"tanh", c_next>>, c_next>;

// ---- the bench -------------------------------------------------------------------------------
struct weights_map {
  std::map<std::string, tensor> t;
  weight_source source() const {
    return [this](const std::string& n) { return t.at(n); };
  }
};

static void compare(const char* fusion, const std::string& shape, ir::graph unfused, const std::vector<tensor>& inputs, bool& ok) {
  ir::graph fused = unfused;
  const int fired = passes::fuse(fused)[fusion];
  passes::dead_code_elimination(fused);
  if (fired != 1) {
    std::fprintf(stderr, "%s did not fuse at %s (fired %d times)\n", fusion, shape.c_str(), fired);
    ok = false;
    return;
  }
  // (the executors put in the casts to f32 in front of weights the ops do not read as stored)
  runtime::executor a(unfused), b(fused);
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    a.set_input(i, inputs[i]);
    b.set_input(i, inputs[i]);
  }
  // same results first
  const tensor ra = a.execute()[0], rb = b.execute()[0];
  double err = 0, mx = 0;
  for (std::int64_t i = 0; i < ra.numel(); ++i) {
    err = std::max(err, std::abs(static_cast<double>(ra.ptr<float>()[i]) - rb.ptr<float>()[i]));
    mx = std::max(mx, std::abs(static_cast<double>(ra.ptr<float>()[i])));
  }
  const timing t = time_pair([&] { a.execute(); }, [&] { b.execute(); });
  std::printf("%-12s %-40s %11.4f %11.4f %7.2fx  [%.2f, %.2f]   (max rel diff %.1e)\n", fusion, shape.c_str(), t.a_ms, t.b_ms, t.ratio, t.lo, t.hi,
              err / std::max(mx, 1e-30));
}

int main(int argc, char** argv) {
  const int threads = argc > 1 ? std::atoi(argv[1]) : 1;
  setenv("CACTUS_NUM_THREADS", std::to_string(threads).c_str(), 1);
  std::printf("threads=%d  kernels=%s\n%-12s %-40s %11s %11s %8s  %s\n", threads, kernels::active_target(), "fusion", "shape", "unfused ms",
              "fused ms", "ratio", "[min, max] over 9 rounds");
  bool ok = true;
  for (auto [rows, d] : std::vector<std::pair<std::int64_t, std::int64_t>>{{1, 4096}, {64, 4096}, {512, 1024}}) {
    weights_map w;
    w.t["norm.weight"] = random_tensor({d}, 0.1f, 1, 1.0f);
    w.t["ln.weight"] = random_tensor({d}, 0.1f, 2, 1.0f);
    w.t["ln.bias"] = random_tensor({d}, 0.1f, 3);
    const tensor xin = random_tensor({rows, d}, 1.0f, 4);
    const std::string shape = std::to_string(rows) + "x" + std::to_string(d);
    compare("rms_norm", shape, rms_norm_unfused::build(w.source(), {{rows, d}}), {xin}, ok);
    compare("layer_norm", shape, layer_norm_unfused::build(w.source(), {{rows, d}}), {xin}, ok);
    compare("gelu", shape, gelu_unfused::build({}, {{rows, d}}), {xin}, ok);
  }
  for (std::int64_t L : {1, 128}) {
    const tensor q = random_tensor({1, 32, L, 128}, 1.0f, 5), c = random_tensor({1, 1, L, 128}, 0.5f, 6), s = random_tensor({1, 1, L, 128}, 0.5f, 7);
    compare("rope", "q 1x32x" + std::to_string(L) + "x128", rope_unfused::build({}, {q.shape, c.shape, s.shape}), {q, c, s}, ok);
  }
  auto attention = [&](auto tag, std::int64_t L) {
    constexpr long long S = decltype(tag)::value;
    const tensor q = random_tensor({1, 32, L, 128}, 1.0f, 8), k = random_tensor({1, 8, S, 128}, 1.0f, 9), v = random_tensor({1, 8, S, 128}, 1.0f, 10);
    tensor mask = tensor::empty(dtype::f32, {1, 1, L, S});
    for (std::int64_t i = 0; i < L; ++i)
      for (std::int64_t j = 0; j < S; ++j) mask.ptr<float>()[i * S + j] = j <= i + (S - L) ? 0.0f : -1e9f;
    compare("attention", "q 1x32x" + std::to_string(L) + "x128 kv 8x" + std::to_string(S) + " causal",
            attention_unfused<S>::build({}, {q.shape, k.shape, v.shape, mask.shape}), {q, k, v, mask}, ok);
  };
  attention(std::integral_constant<long long, 512>{}, 1);
  attention(std::integral_constant<long long, 512>{}, 512);
  // a 1B-class layer (1024 -> 2816) at decode and prefill, and a small model's (256 -> 704) prefill
  for (auto [M, D, F] : std::vector<std::array<std::int64_t, 3>>{{1, 1024, 2816}, {64, 1024, 2816}, {256, 256, 704}}) {
    for (const bool cq4 : {false, true}) {
      weights_map w;
      auto weight = [&](const char* name, shape_t s, std::uint64_t seed) {
        tensor t = random_tensor(s, 0.02f, seed);
        w.t[name] = cq4 ? quant::pack(t, dtype::cq4) : t;
      };
      weight("gate.weight", {F, D}, 11);
      weight("up.weight", {F, D}, 12);
      weight("down.weight", {D, F}, 13);
      const tensor xin = random_tensor({M, D}, 1.0f, 14);
      compare("gated_mlp", std::string(cq4 ? "cq4 " : "f32 ") + std::to_string(M) + "x" + std::to_string(D) + " -> " + std::to_string(F),
              gated_mlp_unfused::build(w.source(), {{M, D}}), {xin}, ok);
    }
  }
  for (auto [B, H] : std::vector<std::pair<std::int64_t, std::int64_t>>{{1, 512}, {64, 1024}}) {
    const tensor gt = random_tensor({B, 4 * H}, 1.0f, 21), ct = random_tensor({B, H}, 1.0f, 22);
    compare("lstm_cell", "batch " + std::to_string(B) + " hidden " + std::to_string(H), lstm_cell_unfused::build({}, {gt.shape, ct.shape}), {gt, ct}, ok);
  }
  auto conv_weights = [](shape_t ws) {
    const std::int64_t C = ws[0];
    weights_map w;
    w.t["conv.weight"] = random_tensor(ws, 0.05f, 15);
    w.t["bn.weight"] = random_tensor({C}, 0.1f, 16, 1.0f);
    w.t["bn.bias"] = random_tensor({C}, 0.1f, 17);
    w.t["bn.running_mean"] = random_tensor({C}, 0.1f, 18);
    w.t["bn.running_var"] = random_tensor({C}, 0.1f, 19, 1.0f);
    return w;
  };
  auto hw = [](std::int64_t C, std::int64_t HW) { return std::to_string(C) + "ch " + std::to_string(HW) + "x" + std::to_string(HW); };
  for (auto [C, HW] : std::vector<std::pair<std::int64_t, std::int64_t>>{{64, 56}, {256, 14}}) {
    const weights_map w = conv_weights({C, C, 3, 3});
    const tensor xin = random_tensor({1, C, HW, HW}, 1.0f, 20);
    compare("conv_module", "3x3 " + hw(C, HW) + " +bn+relu", conv_module_unfused::build(w.source(), {xin.shape}), {xin}, ok);
  }
  {  // MobileNetV2's inverted residual at 56x56: expand 24 -> 144 (1x1), depthwise 3x3 on 144
    const weights_map pw = conv_weights({144, 24, 1, 1}), dw = conv_weights({144, 1, 3, 3});
    const tensor x24 = random_tensor({1, 24, 56, 56}, 1.0f, 20), x144 = random_tensor({1, 144, 56, 56}, 1.0f, 20);
    compare("conv_module", "1x1 24->" + hw(144, 56) + " +bn+relu6", pointwise_module_unfused::build(pw.source(), {x24.shape}), {x24}, ok);
    compare("conv_module", "depthwise 3x3 " + hw(144, 56) + " +bn+relu6", depthwise_module_unfused<144>::build(dw.source(), {x144.shape}), {x144}, ok);
  }
  return ok ? 0 : 1;
}
