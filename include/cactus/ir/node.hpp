#pragma once
// IRNode: one op application. `op` is a canonical op name from the registry once the graph is
// canonicalized (raw graphs keep the aten:: spelling); `loc` is the PyTorch source line the
// node came from, kept for error messages.
#include <string>
#include <vector>

namespace cactus::ir {

struct node {
  std::string op;
  std::vector<int> inputs;
  std::vector<int> outputs;
  std::string loc;
};

}  // namespace cactus::ir
