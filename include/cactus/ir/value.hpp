#pragma once
// IRValue: an SSA value. Tensors carry dtype and the shape seen on the example inputs; scalars
// and lists (sizes, dims, flags) are "meta" values that the planner evaluates from input
// shapes, so shape arithmetic traced from PyTorch stays valid for other input shapes.
#include <cstdint>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cactus/core/tensor.hpp"

namespace cactus::ir {

enum class kind : std::uint8_t { tensor, int_, float_, bool_, ints, floats, none, string };

inline const char* kind_name(kind k) {
  switch (k) {
    case kind::tensor: return "tensor";
    case kind::int_: return "int";
    case kind::float_: return "float";
    case kind::bool_: return "bool";
    case kind::ints: return "int[]";
    case kind::floats: return "float[]";
    case kind::none: return "none";
    case kind::string: return "str";
  }
  return "?";
}

// A non-tensor value: what TorchScript passes as int, float, bool, int[], str or None.
struct meta {
  kind k = kind::none;
  std::int64_t i = 0;
  double f = 0;
  std::vector<std::int64_t> ints;
  std::vector<double> floats;
  std::string s;

  static meta none() { return {}; }
  static meta of_int(std::int64_t v) { meta m; m.k = kind::int_; m.i = v; return m; }
  static meta of_float(double v) { meta m; m.k = kind::float_; m.f = v; return m; }
  static meta of_bool(bool v) { meta m; m.k = kind::bool_; m.i = v; return m; }
  static meta of_ints(std::vector<std::int64_t> v) { meta m; m.k = kind::ints; m.ints = std::move(v); return m; }
  static meta of_floats(std::vector<double> v) { meta m; m.k = kind::floats; m.floats = std::move(v); return m; }
  static meta of_string(std::string v) { meta m; m.k = kind::string; m.s = std::move(v); return m; }

  bool is_number() const { return k == kind::int_ || k == kind::float_ || k == kind::bool_; }
  double as_double() const { return k == kind::float_ ? f : static_cast<double>(i); }
  bool operator==(const meta& o) const {
    return k == o.k && i == o.i && f == o.f && ints == o.ints && floats == o.floats && s == o.s;
  }
};

// The sizes a graph input's dim may take at run time (torch.export's range constraints; a
// fixed dim has min == max). Inputs without ranges are checked by rank and dtype only.
struct dim_range {
  std::int64_t min = 0, max = std::numeric_limits<std::int64_t>::max();
  bool operator==(const dim_range&) const = default;
};

struct value {
  std::string name;
  kind k = kind::tensor;
  dtype type = dtype::f32;
  shape_t shape;                       // tensors: shape on the example inputs
  std::optional<meta> constant;        // meta constant
  std::shared_ptr<tensor> data;        // tensor constant held in memory (small, or folded)
  std::string weight;                  // tensor constant bound by name to a converted weight file
  int producer = -1;                   // node index, -1 for inputs and constants
  std::vector<dim_range> dims;         // graph inputs: the range of each dim (empty: unchecked)

  bool is_tensor() const { return k == kind::tensor; }
  bool is_constant() const { return constant.has_value() || data || !weight.empty(); }
};

}  // namespace cactus::ir
