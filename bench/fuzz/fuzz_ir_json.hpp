// IR JSON documents (raw_ir.json / optimized_ir.json): values, nodes, attributes, ids.
#pragma once
#include "cactus/ir/ir_json.hpp"
#include "fuzz_input.hpp"

inline int fuzz_ir_json(const std::uint8_t* data, std::size_t size) {
  return cactus_fuzz::guarded([&] {
    nlohmann::json j = nlohmann::json::parse(data, data + size, nullptr, false);
    if (j.is_discarded()) return;
    try {
      auto g = cactus::ir::from_json(j);
      (void)g;
    } catch (const nlohmann::json::exception&) {
      // nlohmann's own type errors: the CLI's readers report them as cactus errors naming the file
    }
  });
}
