#pragma once
// Stage 4, shape arithmetic: which dims of each tensor are fixed by the model itself (weights,
// constants, literal sizes) rather than by the inputs, and the size() / dim() / numel() calls
// that read only such dims become constants (constant folding then folds the arithmetic on
// them: head_dim // 2, head_dim ** -0.5, ones(head_dim), arange(0, head_dim, 2)...).
//
// The analysis is conservative: graph inputs have no fixed dims (batch, sequence and even
// feature sizes may differ from the example), and a dim is fixed only when every input shape the
// runtime could see gives it the same size. Each op declares its rule (`fixed_dims`, one of
// ops::dims_rule, in its own header; none when absent); this pass applies the rules. So the
// bundle still runs every input shape it ran before.
#include <algorithm>
#include <optional>
#include <set>
#include <vector>

#include "cactus/ir/graph.hpp"
#include "cactus/ops/registry.hpp"
#include "cactus/passes/dce.hpp"

namespace cactus::passes {

namespace detail {
using dim_flags = std::vector<bool>;  // per dim: fixed by the model

inline const ir::meta* meta_of(const ir::graph& g, int v) {
  const auto& val = g.values[static_cast<std::size_t>(v)];
  return val.constant ? &*val.constant : nullptr;
}
}  // namespace detail

inline std::size_t fold_static_dims(ir::graph& g) {
  using detail::dim_flags;
  std::vector<dim_flags> fixed(g.values.size());
  auto rank = [&](int v) { return g.values[static_cast<std::size_t>(v)].shape.size(); };
  auto flags = [&](int v) -> dim_flags {
    const auto& val = g.values[static_cast<std::size_t>(v)];
    if (!val.is_tensor()) return {};
    if (val.is_constant()) return dim_flags(val.shape.size(), true);
    const auto& f = fixed[static_cast<std::size_t>(v)];
    return f.size() == val.shape.size() ? f : dim_flags(val.shape.size(), false);
  };
  auto const_int = [&](int v, std::int64_t& out) {
    const auto* m = detail::meta_of(g, v);
    if (!m || (m->k != ir::kind::int_ && m->k != ir::kind::bool_)) return false;
    out = m->i;
    return true;
  };
  std::set<int> input_set(g.inputs.begin(), g.inputs.end());
  std::size_t folded = 0;
  using R = ops::dims_rule;
  for (auto& n : g.nodes) {
    const std::string& op = n.op;
    if (n.inputs.empty() || n.outputs.empty()) continue;
    const auto id = ops::find_op(op);
    const R rule = id ? ops::op_table()[*id].fixed_dims : R::none;
    const int x = n.inputs[0];
    // ---- the reads of shapes --------------------------------------------------------------
    if (rule == R::shape_read) {
      const auto f = flags(x);
      const auto& s = g.values[static_cast<std::size_t>(x)].shape;
      if (f.size() != s.size() || !g.values[static_cast<std::size_t>(x)].is_tensor()) continue;
      std::optional<ir::meta> m;
      std::int64_t d = 0;
      if (op == "dim") m = ir::meta::of_int(static_cast<std::int64_t>(s.size()));
      else if (op == "numel" && std::all_of(f.begin(), f.end(), [](bool b) { return b; })) m = ir::meta::of_int(numel(s));
      else if (op == "size" && n.inputs.size() == 1 && std::all_of(f.begin(), f.end(), [](bool b) { return b; })) m = ir::meta::of_ints(s);
      else if (op == "size" && n.inputs.size() == 2 && const_int(n.inputs[1], d) && !s.empty()) {
        const auto i = static_cast<std::size_t>(wrap_dim(d, static_cast<std::int64_t>(s.size())));
        if (f[i]) m = ir::meta::of_int(s[i]);
      }
      if (m) {
        auto& out = g.values[static_cast<std::size_t>(n.outputs[0])];
        out.constant = *m;
        out.k = m->k;
        out.producer = -1;
        n.outputs.clear();  // removed below
        ++folded;
      }
      continue;
    }
    // ---- propagation ------------------------------------------------------------------------
    const int y = n.outputs[0];
    const std::size_t ry = rank(y);
    dim_flags fy(ry, false);
    const auto fx = flags(x);
    auto same = [&] {
      if (fx.size() == ry) fy = fx;
    };
    if (rule == R::linear) {
      same();
      if (ry) fy[ry - 1] = true;
    } else if (rule == R::same) {
      same();
    } else if (rule == R::broadcast) {
      // a dim is fixed when some operand fixes it at the output's size (broadcast rules make
      // every other operand match it or be 1)
      const auto& sy = g.values[static_cast<std::size_t>(y)].shape;
      for (int in : n.inputs) {
        const auto& val = g.values[static_cast<std::size_t>(in)];
        if (!val.is_tensor()) continue;
        const auto f = flags(in);
        const std::size_t off = ry - std::min(ry, val.shape.size());
        for (std::size_t i = 0; i < val.shape.size() && i + off < ry; ++i)
          if (f[i] && val.shape[i] != 1 && val.shape[i] == sy[i + off]) fy[i + off] = true;
      }
    } else if (rule == R::permute) {
      const auto* p = detail::meta_of(g, n.inputs[1]);
      if (p && p->k == ir::kind::ints && p->ints.size() == ry && fx.size() == ry)
        for (std::size_t i = 0; i < ry; ++i) fy[i] = fx[static_cast<std::size_t>(wrap_dim(p->ints[i], static_cast<std::int64_t>(ry)))];
    } else if (rule == R::reshape || rule == R::expand) {
      // literal sizes are fixed (also inside a list of plan-time values, e.g. (b, s, 8, 64));
      // -1 in expand keeps the input's dim
      std::vector<std::int64_t> sizes;  // -2: not known
      if (n.inputs.size() > 1) {
        if (const auto* m = detail::meta_of(g, n.inputs[1]); m && m->k == ir::kind::ints) sizes = m->ints;
        const int lp = g.values[static_cast<std::size_t>(n.inputs[1])].producer;
        if (sizes.empty() && lp >= 0 && g.nodes[static_cast<std::size_t>(lp)].op == "list")
          for (int e : g.nodes[static_cast<std::size_t>(lp)].inputs) {
            std::int64_t v = -2;
            sizes.push_back(const_int(e, v) ? v : -2);
          }
      }
      if (sizes.size() == ry) {
        const std::size_t off = ry - std::min(ry, fx.size());
        for (std::size_t i = 0; i < ry; ++i) fy[i] = sizes[i] >= 0 || (rule == R::expand && sizes[i] == -1 && i >= off && fx[i - off]);
      }
    } else if (rule == R::unsqueeze || rule == R::select || rule == R::flatten || rule == R::reduce) {
      // map dims by size bookkeeping: dims the op keeps stay as they were; new or reduced
      // dims of size 1 are fixed
      const auto& sx = g.values[static_cast<std::size_t>(x)].shape;
      const auto& sy = g.values[static_cast<std::size_t>(y)].shape;
      if (rule == R::unsqueeze && ry == sx.size() + 1 && fx.size() == sx.size()) {
        std::int64_t d = 0;
        if (const_int(n.inputs[1], d)) {
          const auto at = static_cast<std::size_t>(wrap_dim(d, static_cast<std::int64_t>(ry)));
          for (std::size_t i = 0, j = 0; i < ry; ++i) fy[i] = i == at ? true : fx[j++];
        }
      } else if (rule == R::select && ry + 1 == sx.size() && fx.size() == sx.size()) {
        std::int64_t d = 0;
        if (const_int(n.inputs[1], d)) {
          const auto at = static_cast<std::size_t>(wrap_dim(d, static_cast<std::int64_t>(sx.size())));
          for (std::size_t i = 0, j = 0; j < sx.size(); ++j)
            if (j != at) fy[i++] = fx[j];
        }
      } else if (rule == R::reduce && fx.size() == sx.size()) {
        const auto* dims = detail::meta_of(g, n.inputs[1]);
        if (dims && (dims->k == ir::kind::ints || dims->k == ir::kind::int_)) {
          std::vector<std::int64_t> ds = dims->k == ir::kind::ints ? dims->ints : std::vector<std::int64_t>{dims->i};
          std::set<std::size_t> red;
          for (auto d : ds) red.insert(static_cast<std::size_t>(wrap_dim(d, static_cast<std::int64_t>(sx.size()))));
          const bool keep = ry == sx.size();
          for (std::size_t i = 0, j = 0; i < sx.size(); ++i) {
            if (red.count(i)) {
              if (keep) fy[j++] = true;
            } else if (j < ry) {
              fy[j++] = fx[i];
            }
          }
        }
      } else if (rule == R::flatten && fx.size() == sx.size()) {
        std::int64_t a = 0, b = 0;
        if (const_int(n.inputs[1], a) && const_int(n.inputs[2], b) && !sx.empty()) {
          const auto s0 = static_cast<std::size_t>(wrap_dim(a, static_cast<std::int64_t>(sx.size())));
          const auto s1 = static_cast<std::size_t>(wrap_dim(b, static_cast<std::int64_t>(sx.size())));
          for (std::size_t i = 0, j = 0; i < sx.size(); ++i) {
            if (i < s0 || i > s1) fy[j++] = fx[i];
            else if (i == s1) fy[j++] = std::all_of(fx.begin() + static_cast<std::ptrdiff_t>(s0), fx.begin() + static_cast<std::ptrdiff_t>(s1) + 1,
                                                    [](bool f) { return f; });
          }
        }
      }
      (void)sy;
    } else if (rule == R::embedding) {
      const auto fi = flags(n.inputs[1]);
      if (fi.size() + 1 == ry) {
        for (std::size_t i = 0; i + 1 < ry; ++i) fy[i] = fi[i];
        fy[ry - 1] = true;
      }
    } else if (rule == R::conv) {
      same();
      if (ry >= 2) {
        fy[0] = fx.size() == ry && fx[0];
        fy[1] = true;  // output channels: the weight's
      }
    } else if (rule == R::matmul) {
      const auto fb = flags(n.inputs[1]);
      if (fx.size() >= 2 && fb.size() >= 2 && ry >= 2) {
        fy[ry - 2] = fx[fx.size() - 2];
        fy[ry - 1] = fb[fb.size() - 1];
      }
    }
    if (!fy.empty()) fixed[static_cast<std::size_t>(y)] = std::move(fy);
  }
  if (folded) {
    std::erase_if(g.nodes, [](const ir::node& n) { return n.outputs.empty(); });
    g.reindex_producers();
    dead_code_elimination(g);
  }
  return folded;
}

}  // namespace cactus::passes
