// torch.export archives (.pt2): the zip, the ExportedProgram JSON, the weights, the import to
// IR, and the archive read as a checkpoint (cactus convert model.pt2).
#pragma once
#include "cactus/frontends/torch_export/import.hpp"
#include "fuzz_input.hpp"

inline int fuzz_pt2(const std::uint8_t* data, std::size_t size) {
  const std::string& path = cactus_fuzz::as_file(data, size, ".pt2");
  cactus_fuzz::guarded([&] {
    auto p = cactus::frontends::torch_export::import_archive(path);
    (void)p;
  });
  return cactus_fuzz::guarded([&] {
    for (auto& t : cactus::frontends::torch_export::checkpoint_tensors(path)) t.load();
  });
}
