// The cactus CLI's LibTorch half, a shared library the CLI loads (frontends/torchscript/frontend.hpp)
// the first time it captures a TorchScript archive or reads one's weights, so that every other
// command starts without LibTorch.
#include "cactus/frontends/torchscript/capture.hpp"

extern "C" __attribute__((visibility("default"))) const cactus::frontends::torchscript::frontend* cactus_torchscript_frontend_v1() {
  return &cactus::frontends::torchscript::linked_frontend();
}
