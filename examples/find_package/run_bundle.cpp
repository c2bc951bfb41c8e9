// Runs a cactus bundle on .npy inputs with the runtime alone (no LibTorch), and optionally checks
// the first output against an expected .npy.
//   run_bundle BUNDLE_DIR INPUT.npy... [--expect EXPECTED.npy]
#include <cactus/bundle/load.hpp>
#include <cactus/core/npy.hpp>
#include <cmath>
#include <iostream>

int main(int argc, char** argv) {
  try {
    if (argc < 2) {
      std::cerr << "usage: run_bundle BUNDLE_DIR INPUT.npy... [--expect EXPECTED.npy]\n";
      return 2;
    }
    auto bundle = cactus::bundle::load_bundle(argv[1]);
    std::string expect;
    std::size_t slot = 0;
    for (int i = 2; i < argc; ++i) {
      std::string a = argv[i];
      if (a == "--expect" && i + 1 < argc) expect = argv[++i];
      else bundle.exec->set_input(slot++, cactus::npy_load(a));
    }
    auto outputs = bundle.exec->execute();
    for (std::size_t i = 0; i < outputs.size(); ++i)
      std::cout << "output " << i << ": " << cactus::name_of(outputs[i].type) << " " << cactus::to_string(outputs[i].shape) << "\n";
    if (expect.empty()) return 0;
    cactus::tensor want = cactus::npy_load(expect);
    if (want.shape != outputs[0].shape) {
      std::cerr << "shape " << cactus::to_string(outputs[0].shape) << " differs from " << expect << " " << cactus::to_string(want.shape) << "\n";
      return 1;
    }
    double err = 0, scale = 1e-6;
    for (std::int64_t k = 0; k < want.numel(); ++k) {
      err = std::max(err, std::fabs(outputs[0].element_as_double(k) - want.element_as_double(k)));
      scale = std::max(scale, std::fabs(want.element_as_double(k)));
    }
    std::cout << "relative max error vs " << expect << ": " << err / scale << "\n";
    return err / scale <= 1e-4 ? 0 : 1;
  } catch (const std::exception& e) {
    std::cerr << "run_bundle: error: " << e.what() << "\n";
    return 1;
  }
}
