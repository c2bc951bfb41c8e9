// Side-by-side latency of each zoo model: cactus vs LibTorch (frozen TorchScript, and
// optimize_for_mobile = the XNNPACK PyTorch Mobile path), same process, same inputs, same
// thread count. Model directories are those the zoo tests write (model.ts, bundle/, in0_*.npy).
// usage: zoo_bench ZOO_DIR [threads]
// Then every quantized model transpiled three ways (<model>_q<bits> by default,
// <model>_q<bits>_packed_conv with --packed-conv, <model>_q<bits>_f32_conv with --f32-conv):
// the bundles' times and their ratios to --f32-conv.
#include <torch/csrc/jit/passes/freeze_module.h>
#include <torch/csrc/jit/passes/xnnpack_rewrite.h>
#include <ATen/Parallel.h>
#include <torch/script.h>

#include <chrono>
#include <cstdio>

#include "cactus/cactus.hpp"
#include "cactus/frontends/torchscript/torch_tensor.hpp"

namespace fs = std::filesystem;

template <class F>
static double time_ms(F&& f) {
  for (int i = 0; i < 3; ++i) f();
  int iters = 0;
  auto t0 = std::chrono::steady_clock::now();
  double el = 0;
  do {
    f();
    ++iters;
    el = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  } while (el < 400 || iters < 5);
  return el / iters;
}

// A zoo model directory's first input set (in0_0.npy, in0_1.npy, ...).
static std::vector<cactus::tensor> zoo_inputs(const fs::path& d) {
  std::vector<cactus::tensor> ins;
  for (int j = 0; fs::exists(d / ("in0_" + std::to_string(j) + ".npy")); ++j) ins.push_back(cactus::npy_load(d / ("in0_" + std::to_string(j) + ".npy")));
  return ins;
}

int main(int argc, char** argv) {
  if (argc < 2) { std::fprintf(stderr, "usage: zoo_bench ZOO_DIR [threads]\n"); return 2; }
  const int threads = argc > 2 ? std::atoi(argv[2]) : 1;
  setenv("CACTUS_NUM_THREADS", std::to_string(threads).c_str(), 1);
  at::set_num_threads(threads);
  torch::NoGradGuard ng;
  std::printf("threads=%d  cactus kernels: %s\n", threads, cactus::kernels::active_target());
  std::printf("%-22s %12s %14s %14s %10s\n", "model", "cactus ms", "torch jit ms", "torch mobile", "ratio*");
  std::vector<fs::path> dirs;
  for (auto& e : fs::directory_iterator(argv[1]))
    if (e.path().filename().string().ends_with("_fp32") && fs::exists(e.path() / "model.ts")) dirs.push_back(e.path());
  std::sort(dirs.begin(), dirs.end());
  for (auto& d : dirs) {
    const std::vector<cactus::tensor> ins = zoo_inputs(d);
    auto b = cactus::bundle::load_bundle(d / "bundle");
    for (std::size_t i = 0; i < ins.size(); ++i) b.exec->set_input(i, ins[i]);
    double ours = time_ms([&] { b.exec->execute(); });
    auto m = torch::jit::load((d / "model.ts").string());
    m.eval();
    auto frozen = torch::jit::freeze_module(m);
    std::vector<c10::IValue> tin;
    for (auto& t : ins) tin.emplace_back(cactus::frontends::torchscript::to_torch(t));
    double jit = time_ms([&] { frozen.forward(tin); });
    double mobile = -1;
    try {
      auto mob = torch::jit::optimizeForMobile(m);
      mobile = time_ms([&] { mob.forward(tin); });
    } catch (const std::exception&) {
    }
    const double best = mobile > 0 ? std::min(jit, mobile) : jit;
    std::printf("%-22s %12.4f %14.4f %14.4f %9.2fx\n", d.filename().string().c_str(), ours, jit, mobile, best / ours);
  }
  std::printf("* ratio = faster LibTorch variant time / cactus time (> 1: cactus is faster)\n");
  // quantized models three ways: as transpiled by default (conv kernels packed where
  // conv_op::packed_faster says so), with --packed-conv (every kernel packed) and with
  // --f32-conv (every kernel dequantized at load): directories <model>_q<bits>,
  // <model>_q<bits>_packed_conv and <model>_q<bits>_f32_conv, same inputs
  std::vector<fs::path> quantized;
  for (auto& e : fs::directory_iterator(argv[1]))
    if (e.path().filename().string().ends_with("_f32_conv") && fs::exists(e.path() / "bundle")) quantized.push_back(e.path());
  std::sort(quantized.begin(), quantized.end());
  if (quantized.empty()) return 0;
  std::printf("\n%-18s %12s %12s %12s %10s %10s\n", "model", "default ms", "packed ms", "f32 conv ms", "default**", "packed**");
  for (auto& d : quantized) {
    const std::string name = d.filename().string(), base = name.substr(0, name.size() - std::string("_f32_conv").size());
    const fs::path dflt = d.parent_path() / base, all = d.parent_path() / (base + "_packed_conv");
    if (!fs::exists(dflt / "bundle") || !fs::exists(all / "bundle")) continue;
    const std::vector<cactus::tensor> ins = zoo_inputs(d);
    double ms[3];
    int i = 0;
    for (const fs::path& dir : {dflt, all, d}) {
      auto b = cactus::bundle::load_bundle(dir / "bundle");
      for (std::size_t k = 0; k < ins.size(); ++k) b.exec->set_input(k, ins[k]);
      ms[i++] = time_ms([&] { b.exec->execute(); });
    }
    std::printf("%-18s %12.4f %12.4f %12.4f %9.2fx %9.2fx\n", base.c_str(), ms[0], ms[1], ms[2], ms[2] / ms[0], ms[2] / ms[1]);
  }
  std::printf("** ratio = --f32-conv time / that bundle's time (> 1: faster than dequantizing every conv kernel)\n");
}
