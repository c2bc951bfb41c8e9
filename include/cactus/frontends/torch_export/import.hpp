#pragma once
// Stage 2-3 for torch.export: a .pt2 archive's ExportedProgram imported into the raw IR, the
// same IR the TorchScript front end emits (aten:: spellings, every argument in schema order), so
// canonicalization, fusion and lowering are shared. No LibTorch, no Python.
//   - parameters and buffers become tensor constants named by their state_dict names (so they
//     bind to converted weight files by name), read from the archive's storage;
//   - user inputs become graph inputs; a dim exported as dynamic (torch.export.Dim) keeps its
//     range constraint, a static dim is fixed, and the runtime checks both at set_input;
//   - SymInt values (sym_size, their arithmetic) become plan-time meta values, so views sized
//     from them re-plan for every input size;
//   - multi-result ops keep the results the runtime has (batch norm's and layer norm's
//     statistics, max-pool indices are refused if the graph reads them).
#include <algorithm>
#include <functional>
#include <map>
#include <set>

#include "cactus/formats/checkpoint.hpp"
#include "cactus/frontends/aten/op_table.hpp"
#include "cactus/core/json_read.hpp"
#include "cactus/frontends/torch_export/archive.hpp"
#include "cactus/frontends/torch_export/schema.hpp"
#include "cactus/ir/graph.hpp"

namespace cactus::frontends::torch_export {

struct imported_program {
  ir::graph graph;
  std::vector<std::string> weight_names;  // parameters and buffers the graph reads, in signature order
  std::string schema_version;
  // outputs PyTorch returns as float64 ("output 0 'x'"): cactus computes them in float32
  std::vector<std::string> float64_outputs;
};

// The runtime checks torch.export inserts, which the importer passes over.
inline constexpr std::string_view runtime_checks[] = {"_assert_tensor_metadata.default", "_assert_async.default", "_assert_async.msg",
                                                      "_assert_scalar.default", "sym_constrain_range.default",
                                                      "sym_constrain_range_for_size.default"};

namespace detail {

inline std::string source_of(const json& node) {
  if (!node.contains("metadata") || !node["metadata"].is_object()) return {};
  const auto& md = node["metadata"];
  auto it = md.find("stack_trace");
  if (it == md.end() || !it->is_string()) return {};
  // the first frame is the exported module's own forward
  const std::string st = it->get<std::string>();
  const auto f = st.find("File \"");
  if (f == std::string::npos) return {};
  const auto fe = st.find('"', f + 6);
  const auto l = st.find("line ", fe);
  if (fe == std::string::npos || l == std::string::npos) return {};
  std::size_t le = l + 5;
  while (le < st.size() && std::isdigit(static_cast<unsigned char>(st[le]))) ++le;
  return st.substr(f + 6, fe - f - 6) + ":" + st.substr(l + 5, le - l - 5);
}

inline double json_float(const json& v) {
  if (v.is_string()) {
    const std::string s = v.get<std::string>();
    if (s == "Infinity") return std::numeric_limits<double>::infinity();
    if (s == "-Infinity") return -std::numeric_limits<double>::infinity();
    if (s == "NaN") return std::numeric_limits<double>::quiet_NaN();
    fail("unexpected float '", s, "'");
  }
  return v.get<double>();
}

}  // namespace detail

inline imported_program import_program(const archive& a) {
  const json& prog = a.program();
  const std::string& file = a.path();
  imported_program out;
  out.schema_version = a.version();
  ir::graph& g = out.graph;
  const json& gm = prog.at("graph_module");
  const json& graph = gm.at("graph");
  const json& tensor_values = graph.at("tensor_values");
  const json& sig = gm.at("signature");

  // range constraints of the symbols: {"s23": {"min_val": 1, "max_val": 4096}}
  std::map<std::string, ir::dim_range> ranges;
  if (prog.contains("range_constraints"))
    for (auto& [sym, r] : prog["range_constraints"].items()) {
      ir::dim_range d;
      if (r.contains("min_val") && r["min_val"].is_number_integer()) d.min = json_integer(r["min_val"], file + ": range_constraints");
      if (r.contains("max_val") && r["max_val"].is_number_integer()) d.max = json_integer(r["max_val"], file + ": range_constraints");
      ranges[sym] = d;
    }

  std::map<std::string, int> ids;          // serialized name -> IR value
  std::set<std::string> unusable;          // results the runtime does not produce
  auto tensor_info = [&](int id, const std::string& name) {
    auto it = tensor_values.find(name);
    if (it == tensor_values.end()) return;
    const tensor_meta m = read_tensor_meta(*it, file + ": value '" + name + "'");
    auto& v = g.values[static_cast<std::size_t>(id)];
    v.type = dtype_of(m.export_dtype, file + ": value '" + name + "'");
    v.shape.clear();
    for (auto& d : m.sizes) v.shape.push_back(d.value);
  };

  // inputs: parameters, buffers, constants, user inputs (the graph's inputs, in signature order)
  for (auto& spec : sig.at("input_specs")) {
    auto bind_stored = [&](const json& s, const char* key) {
      const std::string arg = s.at("arg").at("name").get<std::string>();
      const std::string name = s.at(key).get<std::string>();
      check(a.has_tensor(name), file, ": the graph reads '", name, "', which the archive does not store (a weight is missing)");
      ids[arg] = g.add_tensor_constant(a.load_tensor(name), name);
      out.weight_names.push_back(name);
    };
    if (spec.contains("parameter")) bind_stored(spec["parameter"], "parameter_name");
    else if (spec.contains("buffer")) bind_stored(spec["buffer"], "buffer_name");
    else if (spec.contains("tensor_constant")) bind_stored(spec["tensor_constant"], "tensor_constant_name");
    else if (spec.contains("user_input")) {
      const json& arg = spec["user_input"].at("arg");
      check(arg.contains("as_tensor"), file, ": a user input that is not a tensor (", arg.dump(), ") is not supported; pass tensors only");
      const std::string name = arg["as_tensor"].at("name").get<std::string>();
      ir::value v;
      v.name = name;
      const std::string where = file + ": input '" + name + "'";
      auto it = tensor_values.find(name);
      check(it != tensor_values.end(), where, ": no tensor meta");
      const tensor_meta m = read_tensor_meta(*it, where);
      v.type = dtype_of(m.export_dtype, where);
      for (auto& d : m.sizes) {
        v.shape.push_back(d.value);
        if (!d.is_symbol()) {
          v.dims.push_back({d.value, d.value});
        } else {
          auto r = ranges.find(d.symbol);
          v.dims.push_back(r != ranges.end() ? r->second : ir::dim_range{});
        }
      }
      const int id = g.add_value(std::move(v));
      g.inputs.push_back(id);
      ids[name] = id;
    } else if (spec.contains("token")) {
      fail(file, ": the program has effect tokens (side effects); cactus imports pure programs only");
    } else {
      fail(file, ": unsupported graph input kind ", spec.begin().key());
    }
  }

  auto value_of = [&](const std::string& name, const std::string& where) -> int {
    check(!unusable.count(name), where, ": reads '", name, "', a result cactus does not compute (statistics or indices of a fused op)");
    auto it = ids.find(name);
    check(it != ids.end(), where, ": reads '", name, "', which no earlier node produces");
    return it->second;
  };
  // one serialized Argument -> IR value ids (a tensor list gives several; flattened in place as
  // TorchScript's importer does for cat/stack/lstm)
  auto arg_values = [&](const json& arg, const arg_schema* sch, const std::string& where) -> std::vector<int> {
    if (arg.contains("as_none")) return {g.add_constant(ir::meta::none())};
    if (arg.contains("as_tensor")) return {value_of(arg["as_tensor"].at("name").get<std::string>(), where)};
    if (arg.contains("as_tensors")) {
      std::vector<int> r;
      for (auto& t : arg["as_tensors"]) r.push_back(value_of(t.at("name").get<std::string>(), where));
      return r;
    }
    if (arg.contains("as_optional_tensors")) {  // Tensor?[]: None entries stay in place
      std::vector<int> r;
      for (auto& t : arg["as_optional_tensors"])
        r.push_back(t.contains("as_tensor") ? value_of(t["as_tensor"].at("name").get<std::string>(), where) : g.add_constant(ir::meta::none()));
      return r;
    }
    if (arg.contains("as_optional_tensor")) {
      const json& o = arg["as_optional_tensor"];
      if (o.contains("as_tensor")) return {value_of(o["as_tensor"].at("name").get<std::string>(), where)};
      return {g.add_constant(ir::meta::none())};
    }
    if (arg.contains("as_int")) return {g.add_constant(ir::meta::of_int(json_integer(arg["as_int"], where)))};
    if (arg.contains("as_float")) return {g.add_constant(ir::meta::of_float(detail::json_float(arg["as_float"])))};
    if (arg.contains("as_bool")) return {g.add_constant(ir::meta::of_bool(arg["as_bool"].get<bool>()))};
    if (arg.contains("as_string")) return {g.add_constant(ir::meta::of_string(arg["as_string"].get<std::string>()))};
    if (arg.contains("as_ints")) return {g.add_constant(ir::meta::of_ints(json_integers(arg["as_ints"], where)))};
    if (arg.contains("as_floats")) {
      std::vector<double> f;
      for (auto& v : arg["as_floats"]) f.push_back(detail::json_float(v));
      return {g.add_constant(ir::meta::of_floats(f))};
    }
    if (arg.contains("as_bools")) {
      std::vector<std::int64_t> b;
      for (auto& v : arg["as_bools"]) b.push_back(v.get<bool>());
      return {g.add_constant(ir::meta::of_ints(b))};
    }
    if (arg.contains("as_scalar_type")) {
      const int code = json_integer<int>(arg["as_scalar_type"], where);
      const auto ir_code = ir_dtype_code_of(code);
      check(ir_code.has_value(), where, ": dtype ", export_dtype_name(code), " is not supported");
      return {g.add_constant(ir::meta::of_int(static_cast<std::int64_t>(*ir_code)))};
    }
    if (arg.contains("as_memory_format") || arg.contains("as_layout")) return {g.add_constant(ir::meta::none())};
    if (arg.contains("as_device")) return {g.add_constant(ir::meta::of_string(arg["as_device"].value("type", "cpu")))};
    auto sym = [&](const json& s) -> int {
      if (s.contains("as_int")) return g.add_constant(ir::meta::of_int(json_integer(s["as_int"], where)));
      if (s.contains("as_name")) return value_of(s["as_name"].get<std::string>(), where);
      fail(where, ": unexpected SymInt argument ", s.dump());
    };
    if (arg.contains("as_sym_int")) return {sym(arg["as_sym_int"])};
    if (arg.contains("as_sym_float")) {
      const json& s = arg["as_sym_float"];
      if (s.contains("as_float")) return {g.add_constant(ir::meta::of_float(detail::json_float(s["as_float"])))};
      return {value_of(s.at("as_name").get<std::string>(), where)};
    }
    if (arg.contains("as_sym_bool")) {
      const json& s = arg["as_sym_bool"];
      if (s.contains("as_bool")) return {g.add_constant(ir::meta::of_bool(s["as_bool"].get<bool>()))};
      return {value_of(s.at("as_name").get<std::string>(), where)};
    }
    if (arg.contains("as_sym_ints")) {
      // all numbers: a constant list; with symbols: a list built at plan time
      std::vector<std::int64_t> fixed;
      bool all_fixed = true;
      for (auto& s : arg["as_sym_ints"]) {
        if (s.contains("as_int")) fixed.push_back(json_integer(s["as_int"], where));
        else all_fixed = false;
      }
      if (all_fixed) return {g.add_constant(ir::meta::of_ints(fixed))};
      std::vector<int> el;
      for (auto& s : arg["as_sym_ints"]) el.push_back(sym(s));
      const int idx = g.add_node("prim::ListConstruct", el, {ir::kind::ints}, "");
      return {g.nodes[static_cast<std::size_t>(idx)].outputs[0]};
    }
    fail(where, ": argument ", sch ? sch->name : std::string{}, " has a form cactus does not read: ", arg.dump().substr(0, 200));
  };

  static const std::map<std::string, std::string, std::less<>> sym_ops = {
      {"_operator.mul", "aten::mul"}, {"_operator.add", "aten::add"}, {"_operator.sub", "aten::sub"},
      {"_operator.floordiv", "aten::floordiv"}, {"_operator.truediv", "aten::div"}, {"_operator.neg", "aten::neg"}};

  // where each tensor is last read (node index; the graph's outputs count as after every node),
  // and the source of each view (slice, select, view...): an in-place write into a view whose
  // source is read afterwards is refused below
  std::map<std::string, std::size_t, std::less<>> last_read;
  std::map<std::string, std::string, std::less<>> view_source;
  {
    // (tensor arguments sit a few levels deep; deeper nesting is not an argument torch.export writes)
    std::function<void(const json&, std::size_t, int)> reads = [&](const json& j, std::size_t at, int depth) {
      if (depth > 8) return;
      if (j.is_object()) {
        for (auto& [k, v] : j.items()) {
          if (k == "as_tensor" && v.is_object() && v.contains("name") && v["name"].is_string()) last_read[v["name"].get<std::string>()] = at;
          else reads(v, at, depth + 1);
        }
      } else if (j.is_array()) {
        for (auto& v : j) reads(v, at, depth + 1);
      }
    };
    std::size_t at = 0;
    for (const json& n : graph.at("nodes")) reads(n.at("inputs"), at++, 0);
    reads(sig.at("output_specs"), at, 0);
  }
  static const std::set<std::string, std::less<>> view_ops = {"slice", "select", "narrow", "view", "reshape", "_unsafe_view", "transpose", "t",
                                                              "permute", "squeeze", "unsqueeze", "expand", "alias", "as_strided", "diagonal",
                                                              "unfold", "flatten", "unflatten"};
  std::size_t node_at = 0;
  // ops whose result depends on the data: refused before their symbolic-size checks are met
  for (const json& n : graph.at("nodes")) {
    const std::string target = n.at("target").get<std::string>();
    if (target.rfind("torch.ops.aten.", 0) != 0) continue;
    const std::string name = target.substr(15, target.rfind('.') - 15);
    if (const auto why = aten::data_dependent_reason(name))
      fail(file, ": ", target, detail::source_of(n).empty() ? "" : " at " + detail::source_of(n), ": ", *why);
  }
  for (const json& n : graph.at("nodes")) {
    const std::size_t this_node = node_at++;
    const std::string target = n.at("target").get<std::string>();
    const std::string loc = detail::source_of(n);
    const std::string where = file + ": " + target + (loc.empty() ? "" : " at " + loc);
    const json& outs = n.at("outputs");

    // result names of the node, in order; kinds from their serialized form
    std::vector<std::string> out_names;
    std::vector<ir::kind> out_kinds;
    for (auto& o : outs) {
      if (o.contains("as_tensor")) { out_names.push_back(o["as_tensor"].at("name").get<std::string>()); out_kinds.push_back(ir::kind::tensor); }
      else if (o.contains("as_tensors")) for (auto& t : o["as_tensors"]) { out_names.push_back(t.at("name").get<std::string>()); out_kinds.push_back(ir::kind::tensor); }
      else if (o.contains("as_sym_int")) { out_names.push_back(o["as_sym_int"].at("as_name").get<std::string>()); out_kinds.push_back(ir::kind::int_); }
      else if (o.contains("as_sym_float")) { out_names.push_back(o["as_sym_float"].at("as_name").get<std::string>()); out_kinds.push_back(ir::kind::float_); }
      else if (o.contains("as_sym_bool")) { out_names.push_back(o["as_sym_bool"].at("as_name").get<std::string>()); out_kinds.push_back(ir::kind::bool_); }
      else if (o.contains("as_none")) { out_names.emplace_back(); out_kinds.push_back(ir::kind::none); }
      else fail(where, ": result of a form cactus does not read: ", o.dump().substr(0, 200));
    }
    // whether the graph reads a result after the first (statistics or indices computed only on demand)
    auto reads_beyond_first = [&] {
      for (std::size_t i = 1; i < out_names.size(); ++i)
        if (!out_names[i].empty() && last_read.count(out_names[i])) return true;
      return false;
    };
    auto finish = [&](int node_idx, std::size_t produced) {
      const auto& nd = g.nodes[static_cast<std::size_t>(node_idx)];
      for (std::size_t i = 0; i < out_names.size(); ++i) {
        if (out_names[i].empty()) continue;
        if (i >= produced) { unusable.insert(out_names[i]); continue; }
        ids[out_names[i]] = nd.outputs[i];
        if (out_kinds[i] == ir::kind::tensor) tensor_info(nd.outputs[i], out_names[i]);
      }
    };

    if (auto s = sym_ops.find(target); s != sym_ops.end()) {
      std::vector<int> ins;
      for (auto& in : n.at("inputs")) for (int v : arg_values(in.at("arg"), nullptr, where)) ins.push_back(v);
      finish(g.add_node(s->second, ins, {out_kinds.at(0)}, loc), 1);
      continue;
    }
    // checks torch.export inserts (dtypes and devices of conversions, values in range, symbolic
    // sizes): nothing to compute; the planner checks shapes, values are not checked on device
    if (target.rfind("torch.ops.aten.", 0) == 0 &&
        std::find(std::begin(runtime_checks), std::end(runtime_checks), std::string_view(target).substr(15)) != std::end(runtime_checks))
      continue;
    if (const auto dot = target.rfind('.'); target.rfind("torch.ops.aten.", 0) == 0 && dot > 15 && view_ops.count(target.substr(15, dot - 15)) &&
        !out_names.empty() && !out_names[0].empty())
      for (auto& in : n.at("inputs"))
        if (in.at("name") == "self" && in.at("arg").contains("as_tensor")) view_source[out_names[0]] = in["arg"]["as_tensor"].at("name").get<std::string>();
    const op_schema* schema = find_schema(target);
    if (!schema) {
      if (target.rfind("torch.ops.higher_order.", 0) == 0)
        fail(where, ": control flow and other higher-order ops are not supported (the graph must be a straight line of ATen ops)");
      fail(where, ": op not read by cactus's torch.export importer; decompose the program to the core ATen opset "
                  "(ep.run_decompositions() before torch.export.save), or transpile the model's Python class (path/model.py:Class), "
                  "which decomposes only the ops cactus does not read");
    }
    // every schema argument in order: given, defaulted, or None
    std::map<std::string, const json*> given;
    for (auto& in : n.at("inputs")) given[in.at("name").get<std::string>()] = &in.at("arg");
    std::vector<std::vector<int>> args;
    for (auto& sa : schema->args) {
      auto it = given.find(sa.name);
      if (it != given.end()) args.push_back(arg_values(*it->second, &sa, where));
      else if (sa.has_default) args.push_back({g.add_constant(sa.default_value)});
      else if (sa.optional) args.push_back({g.add_constant(ir::meta::none())});
      else fail(where, ": argument '", sa.name, "' is missing");
      given.erase(sa.name);
    }
    check(given.empty(), where, ": argument '", given.empty() ? std::string{} : given.begin()->first, "' is not in cactus's schema of this op");
    auto flat = [&](std::initializer_list<std::size_t> which) {
      std::vector<int> r;
      for (std::size_t i : which) r.insert(r.end(), args.at(i).begin(), args.at(i).end());
      return r;
    };
    auto all_args = [&] {
      std::vector<int> r;
      for (auto& a : args) r.insert(r.end(), a.begin(), a.end());
      return r;
    };
    auto cint = [&](std::int64_t v) { return g.add_constant(ir::meta::of_int(v)); };
    auto cbool = [&](bool v) { return g.add_constant(ir::meta::of_bool(v)); };
    const std::string& op = schema->name;
    const std::vector<ir::kind> one_tensor{ir::kind::tensor};

    if (op == "sym_size") {
      finish(g.add_node("aten::size", all_args(), {ir::kind::int_}, loc), 1);
    } else if (op == "_native_batch_norm_legit_no_training") {
      // (input, weight, bias, mean, var, momentum, eps) -> batch_norm(..., training=False, momentum, eps, cudnn)
      std::vector<int> ins = flat({0, 1, 2, 3, 4});
      ins.push_back(cbool(false));
      ins.push_back(args[5][0]);
      ins.push_back(args[6][0]);
      ins.push_back(cbool(false));
      finish(g.add_node("aten::batch_norm", ins, one_tensor, loc), 1);
    } else if (op == "_native_batch_norm_legit") {
      // (input, weight, bias, [running_mean, running_var,] training, momentum, eps): the batch's statistics when training
      std::vector<int> ins = all_args();
      if (schema->overload == "no_stats") ins.insert(ins.begin() + 3, {g.add_constant(ir::meta::none()), g.add_constant(ir::meta::none())});
      ins.push_back(cbool(false));
      finish(g.add_node("aten::batch_norm", ins, one_tensor, loc), 1);
    } else if (op == "native_group_norm") {
      // (input, weight, bias, N, C, HxW, group, eps) -> group_norm(input, group, weight, bias, eps, cudnn)
      // mean and rstd only when the graph reads them
      const std::vector<ir::kind> kinds(reads_beyond_first() ? 3 : 1, ir::kind::tensor);
      finish(g.add_node("aten::group_norm", {args[0][0], args[6][0], args[1][0], args[2][0], args[7][0], cbool(false)}, kinds, loc),
             kinds.size());
    } else if ((op == "mean" || op == "sum" || op == "prod") && schema->overload == "default") {
      // over every element: (self, dims=None, keepdim=False, dtype)
      finish(g.add_node("aten::" + op, {args[0][0], g.add_constant(ir::meta::none()), cbool(false), args[1][0]}, one_tensor, loc), 1);
    } else if (op == "empty_strided") {
      // the strides of a fresh tensor do not matter here: zeros(size, dtype, layout, device, pin_memory)
      finish(g.add_node("aten::zeros", {args[0][0], args[2][0], args[3][0], args[4][0], args[5][0]}, one_tensor, loc), 1);
    } else if (op == "native_dropout") {
      // (input, p, train) -> (output, mask): the identity at inference; the mask serves the backward pass
      const auto* p = g.constant_meta(args[1][0]);
      const auto* train = g.constant_meta(args[2][0]);
      check(p && (p->as_double() == 0.0 || !train || train->k == ir::kind::none || !train->i), where,
            ": dropout in training mode is random; export the model after model.eval()");
      ids[out_names.at(0)] = args[0][0];
      if (out_names.size() > 1 && !out_names[1].empty()) unusable.insert(out_names[1]);
    } else if (op == "sym_numel") {
      finish(g.add_node("aten::numel", all_args(), {ir::kind::int_}, loc), 1);
    } else if (op == "native_layer_norm") {
      std::vector<int> ins = flat({0, 1, 2, 3, 4});
      ins.push_back(cbool(true));
      const std::vector<ir::kind> kinds(reads_beyond_first() ? 3 : 1, ir::kind::tensor);
      finish(g.add_node("aten::layer_norm", ins, kinds, loc), kinds.size());
    } else if (op == "convolution") {
      std::vector<int> ins = all_args();
      for (int i = 0; i < 4; ++i) ins.push_back(cbool(false));  // benchmark, deterministic, cudnn_enabled, allow_tf32
      finish(g.add_node("aten::_convolution", ins, one_tensor, loc), 1);
    } else if (op == "max_pool2d_with_indices" || op == "max_pool1d_with_indices") {
      // the indices only when the graph reads them (the values alone take the vectorized path)
      const std::vector<ir::kind> kinds(reads_beyond_first() ? 2 : 1, ir::kind::tensor);
      finish(g.add_node(op == "max_pool2d_with_indices" ? "aten::max_pool2d" : "aten::max_pool1d", all_args(), kinds, loc), kinds.size());
    } else if (op == "chunk" || op == "split" || op == "split_with_sizes" || op == "unbind") {
      // the IR's split(x, dim, mode, arg): mode 0 chunks, 1 sizes, 2 unbind
      const std::size_t nout = out_names.size();
      std::vector<ir::kind> kinds(nout, ir::kind::tensor);
      std::vector<int> ins;
      if (op == "unbind") ins = {args[0][0], args[1][0], cint(2), cint(0)};
      else ins = {args[0][0], args[2][0], cint(op == "chunk" ? 0 : 1), args[1][0]};
      finish(g.add_node("split", ins, kinds, loc), nout);
    } else if (op == "scalar_tensor") {
      // a 0-d tensor of a number: the IR's plan-time number, as TorchScript's importer makes of 0-d
      // literals, of the kind its dtype asks (a float unless told otherwise, as torch.scalar_tensor)
      int v = args[0][0];
      const auto* value = g.constant_meta(v);
      const auto* dt = args.size() > 1 && !args[1].empty() ? g.constant_meta(args[1][0]) : nullptr;
      if (value && (value->k == ir::kind::int_ || value->k == ir::kind::bool_ || value->k == ir::kind::float_)) {
        const std::int64_t code = dt && dt->k == ir::kind::int_ ? dt->i : static_cast<std::int64_t>(ir::dtype_code::f32);
        const auto want = ir::dtype_of_code(code);
        if (want == dtype::f32 || want == dtype::f16) {
          if (value->k != ir::kind::float_) v = g.add_constant(ir::meta::of_float(value->as_double()));
        } else if (want == dtype::b8) {
          if (value->k != ir::kind::bool_) v = g.add_constant(ir::meta::of_bool(value->as_double() != 0));
        } else if (want && value->k != ir::kind::int_) {
          v = g.add_constant(ir::meta::of_int(static_cast<std::int64_t>(value->as_double())));
        }
      }
      ids[out_names.at(0)] = v;
    } else if (op == "lstm" || op == "gru" || op == "rnn_tanh" || op == "rnn_relu") {
      // output, h_n[, c_n]
      const std::vector<ir::kind> kinds(schema->returns, ir::kind::tensor);
      finish(g.add_node("aten::" + op, all_args(), kinds, loc), kinds.size());
    } else {
      const bool inplace = op.size() > 1 && op.back() == '_' && op[op.size() - 2] != '_';
      if (inplace)
        for (auto& in : n.at("inputs"))
          if (in.at("name") == "self" && in.at("arg").contains("as_tensor"))
            for (auto v = view_source.find(in["arg"]["as_tensor"].at("name").get<std::string>()); v != view_source.end();
                 v = view_source.find(v->second))
              check(last_read[v->second] <= this_node, where, ": writes into a view of '", v->second, "', which is read afterwards; cactus ",
                    "cannot carry that write back into it. Export with run_decompositions(), which makes such writes functional");
      std::vector<ir::kind> kinds = out_kinds;
      if (kinds.empty()) kinds = one_tensor;
      const int idx = g.add_node("aten::" + op, all_args(), kinds, loc);
      finish(idx, kinds.size());
      if (inplace) {
        // x.add_(y): later readers of x read the result
        for (auto& in : n.at("inputs"))
          if (in.at("name") == "self" && in.at("arg").contains("as_tensor"))
            ids[in["arg"]["as_tensor"].at("name").get<std::string>()] = g.nodes[static_cast<std::size_t>(idx)].outputs[0];
      }
    }
  }

  for (auto& spec : sig.at("output_specs")) {
    check(spec.contains("user_output"), file, ": the program mutates its inputs or buffers (", spec.begin().key(),
          "); cactus imports programs that only return values");
    const json& arg = spec["user_output"].at("arg");
    check(arg.contains("as_tensor"), file, ": an output that is not a tensor (", arg.dump().substr(0, 100), ") is not supported");
    const std::string name = arg["as_tensor"].at("name").get<std::string>();
    if (auto it = tensor_values.find(name); it != tensor_values.end() && it->contains("dtype") && (*it)["dtype"] == 8)  // float64
      out.float64_outputs.push_back("output " + std::to_string(g.outputs.size()) + " '" + name + "'");
    g.outputs.push_back(value_of(name, file + ": graph output"));
  }
  g.reindex_producers();
  return out;
}

// The archive's stored parameters, buffers and constants as a checkpoint (`cactus convert
// model.pt2 OUT`, and transpile without --weights-dir): named as in the state_dict, read lazily.
inline std::vector<formats::lazy_tensor> checkpoint_tensors(const std::filesystem::path& path) {
  try {
    auto a = std::make_shared<archive>(path);
    std::vector<formats::lazy_tensor> r;
    for (auto& name : a->tensor_names()) {
      tensor_meta m = read_tensor_meta(a->meta_of(name), path.string() + ": tensor '" + name + "'");
      shape_t shape;
      for (auto& d : m.sizes) shape.push_back(d.value);
      r.push_back({name, shape, static_cast<std::uint64_t>(checked_numel(shape, path.string() + ": tensor '" + name + "'")) * size_of(dtype_of(m.export_dtype, name)),
                   [a, name] { return a->load_tensor(name); }});
    }
    return r;
  } catch (const json::exception& e) {
    fail(path.string(), ": malformed ExportedProgram: ", json_reason(e));
  }
}

// How formats::open_checkpoint reads a torch.export archive among checkpoints.
inline formats::archive_reader checkpoint_reader() {
  return {"archive_format", "torch.export archive", [](const std::filesystem::path& p) { return checkpoint_tensors(p); }};
}

// A file torch.export.save wrote: what formats::sniff_checkpoint finds with this front end's reader.
inline bool is_export_archive(const std::filesystem::path& path) {
  if (!std::filesystem::is_regular_file(path)) return false;
  const formats::archive_reader readers[] = {checkpoint_reader()};
  return formats::sniff_checkpoint(path, readers).format == formats::checkpoint_format::front_end_archive;
}

inline imported_program import_archive(const std::filesystem::path& path) {
  try {
    archive a(path);
    return import_program(a);
  } catch (const json::exception& e) {
    fail(path.string(), ": malformed ExportedProgram: ", json_reason(e));
  }
}

// Every overload the importer reads ("conv2d.default", "add.Tensor"), in torch's naming: the ops
// the Python exporter keeps when it decomposes the rest of a graph to the core ATen opset (fast
// kernels and fusions see linear, attention, layer_norm... whole). The data-dependent ones are
// read only to be refused, so they are decomposed too where torch can.
inline std::vector<std::string> importer_overloads() {
  std::vector<std::string> out;
  for (auto d : aten_schemas) {
    const op_schema s = detail::parse_schema(d);
    if (!aten::data_dependent_reason(s.name)) out.push_back(s.name + "." + s.overload);
  }
  out.insert(out.end(), std::begin(runtime_checks), std::end(runtime_checks));
  return out;
}

}  // namespace cactus::frontends::torch_export
