// CQ and q8 packing: reconstruction error per bit width against Lloyd-Max theory and against a
// round-to-nearest 4-bit baseline, layout and padding, and packed weight files (zero-copy
// mapping, truncation and corruption).
#include <catch2/catch.hpp>
#include <cmath>
#include <filesystem>
#include <iostream>
#include <random>
#include <unistd.h>

#include <cactus/cactus.hpp>  // the public header, so the tests also run against single_include/

using namespace cactus;

namespace {
tensor gaussian(std::int64_t rows, std::int64_t k, unsigned seed) {
  tensor t = tensor::empty(dtype::f32, {rows, k});
  std::mt19937 g(seed);
  std::normal_distribution<float> d;
  for (std::int64_t i = 0; i < t.numel(); ++i) t.ptr<float>()[i] = d(g);
  return t;
}
double relative_mse(const tensor& a, const tensor& b) {
  double num = 0, den = 0;
  for (std::int64_t i = 0; i < a.numel(); ++i) {
    const double d = double(a.ptr<float>()[i]) - b.ptr<float>()[i];
    num += d * d;
    den += double(a.ptr<float>()[i]) * a.ptr<float>()[i];
  }
  return num / den;
}
// The baseline: round-to-nearest, groups of 32, symmetric absmax scale, levels -7..7.
double rtn4_group32_mse(const tensor& w) {
  double num = 0, den = 0;
  const float* p = w.ptr<float>();
  for (std::int64_t g = 0; g < w.numel(); g += 32) {
    float amax = 0;
    for (int i = 0; i < 32; ++i) amax = std::max(amax, std::fabs(p[g + i]));
    const float s = amax / 7;
    for (int i = 0; i < 32; ++i) {
      const double r = s > 0 ? std::nearbyint(p[g + i] / s) * s : 0.0;
      num += (p[g + i] - r) * (p[g + i] - r);
      den += double(p[g + i]) * p[g + i];
    }
  }
  return num / den;
}
// y = linear(x, w) for an input x [batch, K] (w [N, K], any format)
ir::graph linear_graph(const tensor& w) {
  ir::graph g;
  ir::value xv;
  xv.shape = {1, w.shape[1]};
  const int x = g.add_value(std::move(xv));
  g.inputs.push_back(x);
  const int lin = g.add_node("linear", {x, g.add_tensor_constant(w, "w"), g.add_constant(ir::meta::none())}, {ir::kind::tensor});
  g.outputs = {g.nodes[static_cast<std::size_t>(lin)].outputs[0]};
  return g;
}
std::filesystem::path tmpdir() {
  auto d = std::filesystem::temp_directory_path() / ("cactus_quant_test_" + std::to_string(::getpid()));
  std::filesystem::create_directories(d);
  return d;
}
}  // namespace

TEST_CASE("CQ reconstruction error per bit width is Lloyd-Max's, and CQ4 beats 4-bit round-to-nearest") {
  const tensor w = gaussian(512, 1024, 7);
  std::cout << "relative reconstruction MSE on N(0,1) weights [512 x 1024]:\n";
  double cq4 = 0;
  for (int bits = 4; bits >= 1; --bits) {
    const dtype fmt = std::array{dtype::cq1, dtype::cq2, dtype::cq3, dtype::cq4}[static_cast<std::size_t>(bits - 1)];
    const double mse = relative_mse(w, quant::unpack(quant::pack(w, fmt)));
    const double theory = quant::cq_codebook(bits).expected_mse;
    std::cout << "  cq" << bits << ": " << mse << " (Lloyd-Max theory " << theory << ", ratio " << mse / theory << ")\n";
    INFO("cq" << bits << " mse " << mse << " theory " << theory);
    // the least-squares gain per group lands slightly below theory; fp16 scales cost ~1e-7
    REQUIRE(mse <= theory * 1.02);
    REQUIRE(mse >= theory * 0.9);
    if (bits == 4) cq4 = mse;
  }
  const double rtn = rtn4_group32_mse(w);
  const double q8 = relative_mse(w, quant::unpack(quant::pack(w, dtype::q8)));
  std::cout << "  rtn4 (groups of 32, absmax, levels -7..7, 4.5 bits/weight): " << rtn << "\n"
            << "  cq4 (4.125 bits/weight) / rtn4 = " << cq4 / rtn << "\n"
            << "  q8 (groups of 128): " << q8 << "\n";
  REQUIRE(cq4 < rtn);
  REQUIRE(q8 < 1e-4);
}

TEST_CASE("packing: layout sizes, row padding to 128 and exact q8 round trip") {
  for (auto [rows, k] : std::vector<std::pair<std::int64_t, std::int64_t>>{{1, 1}, {3, 100}, {5, 128}, {2, 300}}) {
    const tensor w = gaussian(rows, k, 3);
    for (dtype fmt : {dtype::q8, dtype::cq4, dtype::cq3, dtype::cq2, dtype::cq1}) {
      const tensor p = quant::pack(w, fmt);
      const packed_layout l = packed_layout_of(fmt, w.shape);
      INFO(name_of(fmt) << " " << rows << "x" << k);
      REQUIRE(l.kp % 128 == 0);
      REQUIRE(l.kp >= k);
      REQUIRE(l.kp < k + 128);
      REQUIRE(p.bytes() == l.scales_offset + static_cast<std::size_t>(rows * l.groups) * 2);
      REQUIRE(l.scales_offset % 64 == 0);
      REQUIRE(static_cast<std::size_t>(rows * l.groups) * l.code_bytes == static_cast<std::size_t>(rows * l.kp) * static_cast<std::size_t>(l.bits) / 8);
      const tensor back = quant::unpack(p);
      REQUIRE(back.shape == w.shape);
      const double mse = relative_mse(w, back);
      REQUIRE(mse < (fmt == dtype::q8 ? 1e-3 : quant::cq_codebook(l.bits).expected_mse * 3));
    }
  }
  // values on the q8 grid come back exactly (step = absmax / 127 = 1 is exact in f16)
  tensor w = tensor::empty(dtype::f32, {2, 130});
  for (std::int64_t i = 0; i < w.numel(); ++i) w.ptr<float>()[i] = (i % 130) % 128 == 0 ? 127.0f : static_cast<float>((i * 37) % 255 - 127);
  const tensor back = quant::unpack(quant::pack(w, dtype::q8));
  for (std::int64_t i = 0; i < w.numel(); ++i) REQUIRE(back.ptr<float>()[i] == w.ptr<float>()[i]);
  // conv kernels are rows of C*kh*kw
  const tensor conv = gaussian(4, 27, 9);
  tensor c4 = conv;
  c4.shape = {4, 3, 3, 3};
  REQUIRE(packed_layout_of(dtype::cq4, c4.shape).k == 27);
  REQUIRE(relative_mse(conv, quant::unpack(quant::pack(c4, dtype::cq4))) < 0.03);
}

TEST_CASE("packing rejects what it cannot represent, naming the tensor") {
  tensor w = gaussian(2, 128, 1);
  w.ptr<float>()[5] = std::nanf("");
  REQUIRE_THROWS_WITH(quant::pack(w, dtype::cq4, "layer.weight"), Catch::Contains("layer.weight") && Catch::Contains("non-finite"));
  tensor big = gaussian(1, 128, 1);
  for (std::int64_t i = 0; i < 128; ++i) big.ptr<float>()[i] = 1e4f;
  REQUIRE_THROWS_WITH(quant::pack(big, dtype::cq4, "huge"), Catch::Contains("huge") && Catch::Contains("--keep"));
  REQUIRE_THROWS_WITH(quant::pack(tensor::empty(dtype::f16, {2, 2}), dtype::cq4, "h"), Catch::Contains("f32"));
}

TEST_CASE("packed weight files map without a copy; truncated, flipped and foreign-codebook files are rejected") {
  const tensor p = quant::pack(gaussian(3, 200, 5), dtype::cq3);
  const auto path = tmpdir() / "p.weights";
  quant::write_weight_file(path, p);
  const tensor m = quant::map_weight_file(path);
  REQUIRE(m.type == dtype::cq3);
  REQUIRE(m.shape == p.shape);
  REQUIRE(reinterpret_cast<std::uintptr_t>(m.data) % 64 == 0);
  REQUIRE(std::memcmp(m.data, p.data, p.bytes()) == 0);
  auto bytes = quant::encode_weight_file(p);
  REQUIRE(bytes.size() == quant::weight_data_offset + p.bytes());
  for (std::size_t cut : {std::size_t{10}, std::size_t{127}, std::size_t{200}, bytes.size() - 1}) {
    write_file_atomic(path, bytes.data(), cut);
    REQUIRE_THROWS_WITH(quant::map_weight_file(path), Catch::Contains("p.weights") && Catch::Contains("truncated"));
  }
  for (std::size_t at : {0, 4, 9, 16, 48, 53, 61, 68, 72, 77, 85, 90, 105, 109, 113}) {
    auto bad = bytes;
    bad[at] ^= 0x24;
    write_file_atomic(path, bad.data(), bad.size());
    INFO("flipped byte " << at);
    REQUIRE_THROWS_WITH(quant::map_weight_file(path), Catch::Contains("p.weights"));
  }
  // a consistent header (checksum recomputed) with another codebook is still refused
  auto other = bytes;
  other[88] = 0;
  const std::uint64_t sum = fnv1a64(other.data(), quant::weight_checked_bytes);
  for (int i = 0; i < 8; ++i) other[112 + static_cast<std::size_t>(i)] = static_cast<unsigned char>(sum >> (8 * i));
  write_file_atomic(path, other.data(), other.size());
  REQUIRE_THROWS_WITH(quant::map_weight_file(path), Catch::Contains("codebook"));
  std::filesystem::remove_all(tmpdir());
}

TEST_CASE("a convolution with packed weights matches the convolution of the unpacked weights") {
  // x [N, C, H, W], w [O, C / G, kh, kw]: geometry, then ops::detail::conv_packed against a
  // double-precision direct convolution with unpack(w) (what the weights stand for). On the int8
  // microkernel (>= 64 channels and >= 256 products, where the CPU has VNNI or SDOT) the
  // activations are quantized to int8 per group of 128, so the tolerance is on the relative norm
  // of the error; elsewhere the kernel is dequantized for the call and the f32 convolution runs.
  struct shape {
    std::int64_t N, C, H, W, O, kh, kw, s, p, d, G;
  };
  for (const shape sh : {shape{1, 16, 9, 11, 24, 3, 3, 1, 1, 1, 1}, shape{2, 5, 8, 8, 7, 3, 3, 2, 1, 1, 1}, shape{1, 12, 10, 7, 8, 3, 1, 1, 2, 2, 4},
                         shape{1, 200, 4, 4, 3, 1, 1, 1, 0, 1, 1}, shape{1, 6, 1, 30, 10, 1, 5, 1, 2, 1, 2},
                         // on the int8 microkernel where the CPU has it (>= 64 channels, >= 256 products): a 1x1
                         // read in place (its last block of 3 pixels copied), a 3x3 over several tasks, strided,
                         // and grouped
                         shape{2, 256, 5, 7, 64, 1, 1, 1, 0, 1, 1}, shape{1, 32, 23, 21, 70, 3, 3, 1, 1, 1, 1},
                         shape{1, 40, 12, 10, 64, 3, 3, 2, 1, 1, 1}, shape{1, 64, 6, 6, 128, 3, 3, 1, 1, 1, 2}}) {
    ops::detail::conv_geom g{};
    g.N = sh.N, g.C = sh.C, g.H = sh.H, g.W = sh.W, g.O = sh.O, g.kh = sh.kh, g.kw = sh.kw, g.sh = g.sw = sh.s, g.ph = g.pw = sh.p, g.dh = g.dw = sh.d;
    g.G = sh.G;
    if (sh.kh == 3 && sh.kw == 1) g.ph = 2, g.pw = 0;  // asymmetric kernel, padding on one axis
    g.OH = (g.H + 2 * g.ph - g.dh * (g.kh - 1) - 1) / g.sh + 1;
    g.OW = (g.W + 2 * g.pw - g.dw * (g.kw - 1) - 1) / g.sw + 1;
    const std::int64_t Cg = g.C / g.G, Og = g.O / g.G, K = Cg * g.kh * g.kw, P = g.OH * g.OW;
    const tensor wf = gaussian(g.O, K, 31), x = gaussian(g.N * g.C, g.H * g.W, 32), bias = gaussian(1, g.O, 33);
    for (dtype fmt : {dtype::q8, dtype::cq4, dtype::cq2}) {
      tensor w4 = wf;
      w4.shape = {g.O, Cg, g.kh, g.kw};
      const tensor p = quant::pack(w4, fmt), u = quant::unpack(p);
      for (const bool with_epilogue : {false, true}) {
        std::vector<float> scale(g.O), shift(g.O);
        for (std::int64_t o = 0; o < g.O; ++o) scale[o] = 0.5f + 0.1f * o, shift[o] = 0.2f * o - 1.0f;
        const ops::detail::conv_epilogue ep{scale.data(), shift.data(), true, kernels::unary_kind::relu, 0.0f, 0.0f};
        std::vector<float> y(g.N * g.O * P);
        ops::detail::conv_packed(g, x.ptr<float>(), fmt, p.data, with_epilogue ? nullptr : bias.ptr<float>(), y.data(), with_epilogue ? &ep : nullptr);
        double num = 0, den = 0;
        for (std::int64_t n = 0; n < g.N; ++n)
          for (std::int64_t o = 0; o < g.O; ++o)
            for (std::int64_t oh = 0; oh < g.OH; ++oh)
              for (std::int64_t ow = 0; ow < g.OW; ++ow) {
                const std::int64_t grp = o / Og;
                double acc = 0;
                for (std::int64_t c = 0; c < Cg; ++c)
                  for (std::int64_t i = 0; i < g.kh; ++i)
                    for (std::int64_t j = 0; j < g.kw; ++j) {
                      const std::int64_t ih = oh * g.sh - g.ph + i * g.dh, iw = ow * g.sw - g.pw + j * g.dw;
                      if (ih < 0 || ih >= g.H || iw < 0 || iw >= g.W) continue;
                      acc += double(u.ptr<float>()[(o * Cg + c) * g.kh * g.kw + i * g.kw + j]) *
                             x.ptr<float>()[((n * g.C + grp * Cg + c) * g.H + ih) * g.W + iw];
                    }
                const double want = with_epilogue ? std::max(0.0, acc * scale[o] + shift[o]) : acc + bias.ptr<float>()[o];
                const double d = y[((n * g.O + o) * g.OH + oh) * g.OW + ow] - want;
                num += d * d;
                den += want * want;
              }
        const bool int8_acts = ops::detail::packed_conv_pays(Og, K) && kernels::quant_int8_activations(fmt, static_cast<std::size_t>(g.OH * g.OW));
        INFO(name_of(fmt) << " N" << g.N << " C" << g.C << " " << g.H << "x" << g.W << " O" << g.O << " k" << g.kh << "x" << g.kw << " stride "
                          << g.sh << " pad " << g.ph << "/" << g.pw << " dil " << g.dh << " groups " << g.G << (with_epilogue ? " +bn+relu" : ""));
        CHECK(std::sqrt(num / den) < (int8_acts ? 1e-2 : 1e-4));
      }
    }
  }
}

TEST_CASE("the planner records each packed product's kernel path once per plan, and the kernels take it") {
  // y = linear(x, W) with W packed: the executor's plan records kernels::choose_quant_plan (the
  // path and the int8 instructions) for
  // the batch it plans (re-planned when the batch changes), and each path, forced through
  // kernels::quant_matmul, computes x . unpack(W)^T on this target
  const std::int64_t N = 64, K = 300;
  const tensor xs = gaussian(16, K, 41);
  for (dtype fmt : {dtype::q8, dtype::cq4}) {
    const tensor p = quant::pack(gaussian(N, K, 42), fmt), u = quant::unpack(p);
    auto reference = [&](std::int64_t M) {
      std::vector<double> y(static_cast<std::size_t>(M * N));
      for (std::int64_t m = 0; m < M; ++m)
        for (std::int64_t n = 0; n < N; ++n)
          for (std::int64_t k = 0; k < K; ++k) y[m * N + n] += double(xs.ptr<float>()[m * K + k]) * u.ptr<float>()[n * K + k];
      return y;
    };
    auto rel_error = [](const float* got, const std::vector<double>& want) {
      double num = 0, den = 0;
      for (std::size_t i = 0; i < want.size(); ++i) num += (got[i] - want[i]) * (got[i] - want[i]), den += want[i] * want[i];
      return std::sqrt(num / den);
    };
    const ir::graph g = linear_graph(p);
    runtime::executor ex(g);
    for (const std::int64_t M : {1, 3, 16, 1}) {
      tensor xm = tensor::empty(dtype::f32, {M, K});
      std::copy(xs.ptr<float>(), xs.ptr<float>() + M * K, xm.ptr<float>());
      ex.set_input(0, xm);
      const tensor y = ex.execute()[0];
      const auto plan = kernels::choose_quant_plan(fmt, static_cast<std::size_t>(M));
      INFO(name_of(fmt) << " batch " << M << " on " << kernels::active_target() << ": planned " << ex.kernel_choice(0));
      CHECK(ex.kernel_choice(0) == kernels::name_of(plan));
      CHECK(rel_error(y.ptr<float>(), reference(M)) < 1e-2);
    }
    for (const auto path : {kernels::quant_path::gemm8, kernels::quant_path::int8_rows, kernels::quant_path::int16_rows})
      for (const std::int64_t M : {1, 7}) {
        std::vector<float> y(static_cast<std::size_t>(M * N));
        kernels::quant_matmul(path, fmt, p.data, N, K, static_cast<std::size_t>(M), xs.ptr<float>(), y.data(), N, nullptr);
        INFO(name_of(fmt) << " batch " << M << " forced " << kernels::name_of(path) << " on " << kernels::active_target());
        CHECK(rel_error(y.data(), reference(M)) < 1e-2);
      }
  }
  // the int8 instructions are part of the plan: planned with them switched off (as on a CPU
  // without them), a node keeps running without them after they are switched back on, until
  // it is planned again
  {
    const tensor p = quant::pack(gaussian(N, K, 45), dtype::cq4);
    const ir::graph g = linear_graph(p);
    const auto best = kernels::choose_int8_isa();
    kernels::allow_quant_vnni(false);
    runtime::executor ex(g);
    tensor xm = tensor::empty(dtype::f32, {8, K});
    std::copy(xs.ptr<float>(), xs.ptr<float>() + 8 * K, xm.ptr<float>());
    ex.set_input(0, xm);
    const tensor without = ex.execute()[0];
    const std::string planned = ex.kernel_choice(0);
    kernels::allow_quant_vnni(true);
    const tensor again = ex.execute()[0];
    INFO("planned without int8 instructions: " << planned << "; this CPU's best: " << kernels::name_of(best));
    CHECK(planned.find('/') == std::string::npos);
    CHECK(ex.kernel_choice(0) == planned);
    CHECK(std::equal(without.ptr<float>(), without.ptr<float>() + without.numel(), again.ptr<float>()));
  }
  // a packed convolution: the microkernel where it runs and pays (64 channels of 288 products),
  // else dequantized at load (runtime::plan_weight_precision); an f32 one its f32 path (64 channels fill the direct kernel's
  // panels on every target)
  for (const bool packed : {true, false}) {
    ir::graph g;
    ir::value xv;
    xv.shape = {1, 32, 8, 8};
    const int x = g.add_value(std::move(xv));
    g.inputs.push_back(x);
    tensor w = gaussian(64, 32 * 9, 43);
    w.shape = {64, 32, 3, 3};
    const int wv = g.add_tensor_constant(packed ? quant::pack(w, dtype::cq4) : w, "w");
    const int conv = g.add_node("conv", {x, wv, g.add_constant(ir::meta::none()), g.add_constant(ir::meta::of_ints({1})), g.add_constant(ir::meta::of_ints({1})),
                                         g.add_constant(ir::meta::of_ints({1})), g.add_constant(ir::meta::of_int(1))},
                                {ir::kind::tensor});
    g.outputs = {g.nodes[static_cast<std::size_t>(conv)].outputs[0]};
    runtime::executor ex(g);
    tensor xin = gaussian(32, 64, 44);
    xin.shape = {1, 32, 8, 8};
    ex.set_input(0, xin);
    REQUIRE(ex.execute()[0].shape == shape_t{1, 64, 8, 8});
    // (without the microkernel, loading dequantizes the packed kernel: a folded cast, then the f32 path)
    const std::size_t at = ex.graph().nodes.size() - 1;
    const std::string isa = kernels::choose_int8_isa() == kernels::int8_isa::none ? "" : std::string("/") + kernels::name_of(kernels::choose_int8_isa());
    CHECK(ex.kernel_choice(at) == (packed && kernels::quant_gemm8() ? "gemm8" + isa : "direct"));
  }
}

TEST_CASE("gated_mlp plans a path per projection, mixed formats included, and computes the unpacked MLP") {
  // y = down(silu(gate(x)) * up(x)) with each weight f32, q8 or CQ4: the plan records one path per
  // projection (gate and up share one quantization of x when format and path agree); the result
  // matches the double-precision MLP over the unpacked weights to the int8 / int16 activations' error
  const std::int64_t K = 200, F = 96, N = 72;
  const tensor wg = gaussian(F, K, 51), wu = gaussian(F, K, 52), wd = gaussian(N, F, 53), xs = gaussian(8, K, 54);
  struct formats {
    dtype g, u, d;
  };
  for (const formats f : {formats{dtype::cq4, dtype::cq4, dtype::cq4}, formats{dtype::cq4, dtype::q8, dtype::f32}, formats{dtype::f32, dtype::cq4, dtype::q8},
                          formats{dtype::f32, dtype::f32, dtype::cq4}}) {
    auto stored = [](const tensor& w, dtype t) { return t == dtype::f32 ? w : quant::pack(w, t); };
    auto used = [](const tensor& w, dtype t) { return t == dtype::f32 ? w : quant::unpack(quant::pack(w, t)); };
    const tensor ug = used(wg, f.g), uu = used(wu, f.u), ud = used(wd, f.d);
    ir::graph g;
    ir::value xv;
    xv.shape = {1, K};
    const int x = g.add_value(std::move(xv));
    g.inputs.push_back(x);
    const int none = g.add_constant(ir::meta::none());
    const int mlp = g.add_node("gated_mlp",
                               {x, g.add_tensor_constant(stored(wg, f.g), "g"), none, g.add_tensor_constant(stored(wu, f.u), "u"), none,
                                g.add_tensor_constant(stored(wd, f.d), "d"), none, g.add_constant(ir::meta::of_int(0))},
                               {ir::kind::tensor});
    g.outputs = {g.nodes[static_cast<std::size_t>(mlp)].outputs[0]};
    runtime::executor ex(g);
    for (const std::int64_t M : {1, 8}) {
      tensor xm = tensor::empty(dtype::f32, {M, K});
      std::copy(xs.ptr<float>(), xs.ptr<float>() + M * K, xm.ptr<float>());
      ex.set_input(0, xm);
      const tensor y = ex.execute()[0];
      auto path = [&](dtype t) {
        return t == dtype::f32 ? std::string("f32") : std::string(kernels::name_of(kernels::choose_quant_path(t, static_cast<std::size_t>(M))));
      };
      const std::string pg = path(f.g), pu = path(f.u), pd = path(f.d);
      std::string want = pg == pu && pu == pd ? pg : pg == pu ? "gate/up " + pg + ", down " + pd : "gate " + pg + ", up " + pu + ", down " + pd;
      const bool int8 = (pg + pu + pd).find("gemm8") != std::string::npos || (pg + pu + pd).find("int8") != std::string::npos;
      if (int8 && kernels::choose_int8_isa() != kernels::int8_isa::none) want += std::string("; ") + kernels::name_of(kernels::choose_int8_isa());
      const std::size_t at = ex.graph().nodes.size() - 1;
      INFO("gate " << name_of(f.g) << ", up " << name_of(f.u) << ", down " << name_of(f.d) << ", batch " << M << " on " << kernels::active_target()
                   << ": planned " << ex.kernel_choice(at));
      CHECK(ex.kernel_choice(at) == want);
      double num = 0, den = 0;
      for (std::int64_t m = 0; m < M; ++m) {
        std::vector<double> h(static_cast<std::size_t>(F));
        for (std::int64_t j = 0; j < F; ++j) {
          double a = 0, b = 0;
          for (std::int64_t k = 0; k < K; ++k) {
            a += double(xs.ptr<float>()[m * K + k]) * ug.ptr<float>()[j * K + k];
            b += double(xs.ptr<float>()[m * K + k]) * uu.ptr<float>()[j * K + k];
          }
          h[static_cast<std::size_t>(j)] = a / (1 + std::exp(-a)) * b;
        }
        for (std::int64_t n = 0; n < N; ++n) {
          double want_y = 0;
          for (std::int64_t j = 0; j < F; ++j) want_y += h[static_cast<std::size_t>(j)] * ud.ptr<float>()[n * F + j];
          const double d = y.ptr<float>()[m * N + n] - want_y;
          num += d * d;
          den += want_y * want_y;
        }
      }
      CHECK(std::sqrt(num / den) < 2e-2);
    }
  }
}
