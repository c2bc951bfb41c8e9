// One libFuzzer binary for every reader: CACTUS_FUZZ_TARGET names the target to run (see
// bench/fuzz.sh). One binary compiles once (the headers dominate), which keeps CI's short fuzz
// runs cheap; each target is a function in bench/fuzz/<target>.hpp.
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "fuzz_bundle_json.hpp"
#include "fuzz_chat_template.hpp"
#include "fuzz_graph_file.hpp"
#include "fuzz_ir_json.hpp"
#include "fuzz_lower_ir.hpp"
#include "fuzz_npy.hpp"
#include "fuzz_pt2.hpp"
#include "fuzz_safetensors.hpp"
#include "fuzz_tokenizer_json.hpp"
#include "fuzz_torch_checkpoint.hpp"
#include "fuzz_wav.hpp"
#include "fuzz_weight_file.hpp"

namespace {
using target_fn = int (*)(const std::uint8_t*, std::size_t);
struct target {
  const char* name;
  target_fn fn;
};
constexpr target targets[] = {
    {"fuzz_tokenizer_json", fuzz_tokenizer_json}, {"fuzz_chat_template", fuzz_chat_template}, {"fuzz_safetensors", fuzz_safetensors},
    {"fuzz_torch_checkpoint", fuzz_torch_checkpoint}, {"fuzz_pt2", fuzz_pt2}, {"fuzz_graph_file", fuzz_graph_file},
    {"fuzz_ir_json", fuzz_ir_json}, {"fuzz_lower_ir", fuzz_lower_ir}, {"fuzz_npy", fuzz_npy}, {"fuzz_weight_file", fuzz_weight_file}, {"fuzz_bundle_json", fuzz_bundle_json},
    {"fuzz_wav", fuzz_wav},
};
target_fn selected = nullptr;
}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  const char* want = std::getenv("CACTUS_FUZZ_TARGET");
  for (auto& t : targets)
    if (want && std::strcmp(want, t.name) == 0) selected = t.fn;
  if (!selected) {
    std::fprintf(stderr, "fuzz_all: set CACTUS_FUZZ_TARGET to one of:");
    for (auto& t : targets) std::fprintf(stderr, " %s", t.name);
    std::fprintf(stderr, "\n");
    std::exit(2);
  }
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) { return selected(data, size); }
