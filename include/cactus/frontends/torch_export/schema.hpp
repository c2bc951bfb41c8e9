#pragma once
// The ATen operator schemas the torch.export front end needs. torch.export serializes a call
// with only the arguments the caller gave (defaults are left out, keyword arguments are named),
// so importing it into the IR, whose nodes carry every argument in schema order as TorchScript
// does, needs each operator's argument list and defaults. They are written here in ATen's own
// schema syntax (the declarations of ATen's public operator interface) and parsed once.
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cactus/core/error.hpp"
#include "cactus/ir/value.hpp"

namespace cactus::frontends::torch_export {

struct arg_schema {
  std::string name;
  std::string type;          // "Tensor", "int[]", "float", "ScalarType"... without '?' and aliasing
  bool optional = false;     // "Tensor?"
  bool kwarg_only = false;   // after '*'
  bool has_default = false;
  ir::meta default_value;    // when has_default
  bool is_tensor() const { return type == "Tensor"; }
  bool is_tensor_list() const { return type.rfind("Tensor[", 0) == 0 || type.rfind("Tensor?[", 0) == 0; }
};

struct op_schema {
  std::string name;      // "conv2d" (the IR spelling is "aten::" + name)
  std::string overload;  // "default", "Tensor", "dim_IntList"...
  std::vector<arg_schema> args;
  std::size_t returns = 1;  // number of results
};

namespace detail {
inline std::string trim(std::string_view s) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  return std::string(s);
}

// Splits at top-level commas (not inside [] or ()).
inline std::vector<std::string> split_top(std::string_view s) {
  std::vector<std::string> out;
  int depth = 0;
  std::size_t start = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '[' || s[i] == '(') ++depth;
    else if (s[i] == ']' || s[i] == ')') --depth;
    else if (s[i] == ',' && depth == 0) {
      out.push_back(trim(s.substr(start, i - start)));
      start = i + 1;
    }
  }
  if (start < s.size()) out.push_back(trim(s.substr(start)));
  return out;
}

inline ir::meta parse_default(const std::string& type, const std::string& v) {
  if (v == "None") return ir::meta::none();
  if (v == "True" || v == "False") return ir::meta::of_bool(v == "True");
  if (!v.empty() && (v.front() == '\'' || v.front() == '"')) return ir::meta::of_string(v.substr(1, v.size() - 2));
  const bool list = type.find('[') != std::string::npos;
  const bool floating = type.rfind("float", 0) == 0;
  auto number = [&](const std::string& t) -> ir::meta {
    if (floating || t.find_first_of(".e") != std::string::npos) return ir::meta::of_float(std::stod(t));
    return ir::meta::of_int(std::stoll(t));
  };
  if (!v.empty() && v.front() == '[') {
    std::vector<std::int64_t> ints;
    std::vector<double> floats;
    for (auto& e : split_top(std::string_view(v).substr(1, v.size() - 2))) {
      if (floating) floats.push_back(std::stod(e));
      else ints.push_back(std::stoll(e));
    }
    return floating ? ir::meta::of_floats(floats) : ir::meta::of_ints(ints);
  }
  if (!v.empty() && (std::isdigit(static_cast<unsigned char>(v.front())) || v.front() == '-')) {
    ir::meta m = number(v);
    if (list) {  // "int[2] stride=1": the scalar repeated to the list's length (1 when unsized)
      const auto lb = type.find('['), rb = type.find(']');
      const std::string n = type.substr(lb + 1, rb - lb - 1);
      const std::size_t len = n.empty() ? 1 : std::stoul(n);
      if (floating) return ir::meta::of_floats(std::vector<double>(len, m.as_double()));
      return ir::meta::of_ints(std::vector<std::int64_t>(len, m.i));
    }
    return m;
  }
  return ir::meta::none();  // contiguous_format, Mean...: arguments the runtime ignores
}

inline op_schema parse_schema(std::string_view decl) {
  op_schema s;
  const auto lp = decl.find('('), arrow = decl.rfind("->");
  const std::string full = trim(decl.substr(0, lp));
  const auto dot = full.find('.');
  s.name = full.substr(0, dot);
  s.overload = dot == std::string::npos ? "default" : full.substr(dot + 1);
  const auto rp = decl.rfind(')', arrow);
  bool kw = false;
  for (auto& a : split_top(decl.substr(lp + 1, rp - lp - 1))) {
    if (a == "*") { kw = true; continue; }
    arg_schema arg;
    arg.kwarg_only = kw;
    std::string t = a.substr(0, a.rfind(' '));
    std::string rest = a.substr(a.rfind(' ') + 1);
    if (auto eq = rest.find('='); eq != std::string::npos) {
      arg.name = rest.substr(0, eq);
      arg.has_default = true;
      const std::string dv = rest.substr(eq + 1);
      // strip aliasing "(a!)" from the type before reading the default against it
      std::string clean;
      for (std::size_t i = 0; i < t.size(); ++i) {
        if (t[i] == '(') { while (i < t.size() && t[i] != ')') ++i; continue; }
        clean += t[i];
      }
      t = clean;
      arg.default_value = parse_default(t, dv);
    } else {
      arg.name = rest;
      std::string clean;
      for (std::size_t i = 0; i < t.size(); ++i) {
        if (t[i] == '(') { while (i < t.size() && t[i] != ')') ++i; continue; }
        clean += t[i];
      }
      t = clean;
    }
    if (!t.empty() && t.back() == '?') { arg.optional = true; t.pop_back(); }
    arg.type = t;
    s.args.push_back(std::move(arg));
  }
  const std::string ret = trim(decl.substr(arrow + 2));
  s.returns = ret.front() == '(' ? split_top(std::string_view(ret).substr(1, ret.size() - 2)).size() : 1;
  return s;
}
}  // namespace detail

// Schemas of the operators the importer reads, in ATen's declaration syntax.
inline constexpr std::string_view aten_schemas[] = {
    // linear algebra, convolution, normalization
    "linear(Tensor input, Tensor weight, Tensor? bias=None) -> Tensor",
    "addmm(Tensor self, Tensor mat1, Tensor mat2, *, Scalar beta=1, Scalar alpha=1) -> Tensor",
    "mm(Tensor self, Tensor mat2) -> Tensor",
    "bmm(Tensor self, Tensor mat2) -> Tensor",
    "matmul(Tensor self, Tensor other) -> Tensor",
    "baddbmm(Tensor self, Tensor batch1, Tensor batch2, *, Scalar beta=1, Scalar alpha=1) -> Tensor",
    "conv1d(Tensor input, Tensor weight, Tensor? bias=None, SymInt[1] stride=1, SymInt[1] padding=0, SymInt[1] dilation=1, SymInt groups=1) -> Tensor",
    "conv2d(Tensor input, Tensor weight, Tensor? bias=None, SymInt[2] stride=1, SymInt[2] padding=0, SymInt[2] dilation=1, SymInt groups=1) -> Tensor",
    "conv3d(Tensor input, Tensor weight, Tensor? bias=None, SymInt[3] stride=1, SymInt[3] padding=0, SymInt[3] dilation=1, SymInt groups=1) -> Tensor",
    "conv1d.padding(Tensor input, Tensor weight, Tensor? bias=None, SymInt[1] stride=1, str padding=\"valid\", SymInt[1] dilation=1, SymInt groups=1) -> Tensor",
    "conv2d.padding(Tensor input, Tensor weight, Tensor? bias=None, SymInt[2] stride=1, str padding=\"valid\", SymInt[2] dilation=1, SymInt groups=1) -> Tensor",
    "conv3d.padding(Tensor input, Tensor weight, Tensor? bias=None, SymInt[3] stride=1, str padding=\"valid\", SymInt[3] dilation=1, SymInt groups=1) -> Tensor",
    "convolution(Tensor input, Tensor weight, Tensor? bias, SymInt[] stride, SymInt[] padding, SymInt[] dilation, bool transposed, SymInt[] output_padding, SymInt groups) -> Tensor",
    "batch_norm(Tensor input, Tensor? weight, Tensor? bias, Tensor? running_mean, Tensor? running_var, bool training, float momentum, float eps, bool cudnn_enabled) -> Tensor",
    "_native_batch_norm_legit_no_training(Tensor input, Tensor? weight, Tensor? bias, Tensor running_mean, Tensor running_var, float momentum, float eps) -> (Tensor, Tensor, Tensor)",
    "_native_batch_norm_legit(Tensor input, Tensor? weight, Tensor? bias, Tensor(a!) running_mean, Tensor(b!) running_var, bool training, float momentum, float eps) -> (Tensor, Tensor, Tensor)",
    "_native_batch_norm_legit.no_stats(Tensor input, Tensor? weight, Tensor? bias, bool training, float momentum, float eps) -> (Tensor, Tensor, Tensor)",
    "instance_norm(Tensor input, Tensor? weight, Tensor? bias, Tensor? running_mean, Tensor? running_var, bool use_input_stats, float momentum, float eps, bool cudnn_enabled) -> Tensor",
    "group_norm(Tensor input, int num_groups, Tensor? weight=None, Tensor? bias=None, float eps=1e-05, bool cudnn_enabled=True) -> Tensor",
    "native_group_norm(Tensor input, Tensor? weight, Tensor? bias, SymInt N, SymInt C, SymInt HxW, int group, float eps) -> (Tensor, Tensor, Tensor)",
    "conv_transpose1d(Tensor input, Tensor weight, Tensor? bias=None, SymInt[1] stride=1, SymInt[1] padding=0, SymInt[1] output_padding=0, SymInt groups=1, SymInt[1] dilation=1) -> Tensor",
    "conv_transpose2d.input(Tensor input, Tensor weight, Tensor? bias=None, SymInt[2] stride=1, SymInt[2] padding=0, SymInt[2] output_padding=0, SymInt groups=1, SymInt[2] dilation=1) -> Tensor",
    "conv_transpose3d.input(Tensor input, Tensor weight, Tensor? bias=None, SymInt[3] stride=1, SymInt[3] padding=0, SymInt[3] output_padding=0, SymInt groups=1, SymInt[3] dilation=1) -> Tensor",
    "upsample_nearest1d.vec(Tensor input, SymInt[]? output_size, float[]? scale_factors) -> Tensor",
    "upsample_nearest2d.vec(Tensor input, SymInt[]? output_size, float[]? scale_factors) -> Tensor",
    "upsample_nearest3d.vec(Tensor input, SymInt[]? output_size, float[]? scale_factors) -> Tensor",
    "_upsample_nearest_exact1d.vec(Tensor input, SymInt[]? output_size, float[]? scale_factors) -> Tensor",
    "_upsample_nearest_exact2d.vec(Tensor input, SymInt[]? output_size, float[]? scale_factors) -> Tensor",
    "_upsample_nearest_exact3d.vec(Tensor input, SymInt[]? output_size, float[]? scale_factors) -> Tensor",
    "upsample_linear1d.vec(Tensor input, SymInt[]? output_size, bool align_corners, float[]? scale_factors) -> Tensor",
    "upsample_bilinear2d.vec(Tensor input, SymInt[]? output_size, bool align_corners, float[]? scale_factors) -> Tensor",
    "upsample_trilinear3d.vec(Tensor input, SymInt[]? output_size, bool align_corners, float[]? scale_factors) -> Tensor",
    "upsample_nearest2d(Tensor self, SymInt[2] output_size, float? scales_h=None, float? scales_w=None) -> Tensor",
    "upsample_bilinear2d(Tensor self, SymInt[2] output_size, bool align_corners, float? scales_h=None, float? scales_w=None) -> Tensor",
    "grid_sampler_2d(Tensor input, Tensor grid, int interpolation_mode, int padding_mode, bool align_corners) -> Tensor",
    "grid_sampler(Tensor input, Tensor grid, int interpolation_mode, int padding_mode, bool align_corners) -> Tensor",
    "layer_norm(Tensor input, SymInt[] normalized_shape, Tensor? weight=None, Tensor? bias=None, float eps=1e-05, bool cudnn_enable=True) -> Tensor",
    "native_layer_norm(Tensor input, SymInt[] normalized_shape, Tensor? weight, Tensor? bias, float eps) -> (Tensor, Tensor, Tensor)",
    "embedding(Tensor weight, Tensor indices, SymInt padding_idx=-1, bool scale_grad_by_freq=False, bool sparse=False) -> Tensor",
    "lstm.input(Tensor input, Tensor[] hx, Tensor[] params, bool has_biases, int num_layers, float dropout, bool train, bool bidirectional, bool batch_first) -> (Tensor, Tensor, Tensor)",
    "outer(Tensor self, Tensor vec2) -> Tensor",
    "index_add(Tensor self, int dim, Tensor index, Tensor source, *, Scalar alpha=1) -> Tensor",
    "one_hot(Tensor self, int num_classes=-1) -> Tensor",
    "einsum(str equation, Tensor[] tensors, *, int[]? path=None) -> Tensor",
    "_transformer_encoder_layer_fwd(Tensor src, int embed_dim, int num_heads, Tensor qkv_weight, Tensor qkv_bias, Tensor proj_weight, Tensor proj_bias, bool use_gelu, bool norm_first, float eps, Tensor norm_weight_1, Tensor norm_bias_1, Tensor norm_weight_2, Tensor norm_bias_2, Tensor ffn_weight_1, Tensor ffn_bias_1, Tensor ffn_weight_2, Tensor ffn_bias_2, Tensor? mask=None, int? mask_type=None) -> Tensor",
    "gru.input(Tensor input, Tensor hx, Tensor[] params, bool has_biases, int num_layers, float dropout, bool train, bool bidirectional, bool batch_first) -> (Tensor, Tensor)",
    "rnn_tanh.input(Tensor input, Tensor hx, Tensor[] params, bool has_biases, int num_layers, float dropout, bool train, bool bidirectional, bool batch_first) -> (Tensor, Tensor)",
    "rnn_relu.input(Tensor input, Tensor hx, Tensor[] params, bool has_biases, int num_layers, float dropout, bool train, bool bidirectional, bool batch_first) -> (Tensor, Tensor)",
    "scaled_dot_product_attention(Tensor query, Tensor key, Tensor value, Tensor? attn_mask=None, float dropout_p=0.0, bool is_causal=False, *, float? scale=None, bool enable_gqa=False) -> Tensor",
    "softmax.int(Tensor self, int dim, ScalarType? dtype=None) -> Tensor",
    "_softmax(Tensor self, int dim, bool half_to_float) -> Tensor",
    "log_softmax.int(Tensor self, int dim, ScalarType? dtype=None) -> Tensor",
    "_log_softmax(Tensor self, int dim, bool half_to_float) -> Tensor",
    // activations and elementwise
    "relu(Tensor self) -> Tensor",
    "relu_(Tensor(a!) self) -> Tensor(a!)",
    "relu6(Tensor self) -> Tensor",
    "gelu(Tensor self, *, str approximate='none') -> Tensor",
    "silu(Tensor self) -> Tensor",
    "silu_(Tensor(a!) self) -> Tensor(a!)",
    "sigmoid(Tensor self) -> Tensor",
    "tanh(Tensor self) -> Tensor",
    "exp(Tensor self) -> Tensor",
    "log(Tensor self) -> Tensor",
    "sqrt(Tensor self) -> Tensor",
    "rsqrt(Tensor self) -> Tensor",
    "neg(Tensor self) -> Tensor",
    "abs(Tensor self) -> Tensor",
    "sin(Tensor self) -> Tensor",
    "cos(Tensor self) -> Tensor",
    "reciprocal(Tensor self) -> Tensor",
    "erf(Tensor self) -> Tensor",
    "floor(Tensor self) -> Tensor",
    "floor_(Tensor(a!) self) -> Tensor(a!)",
    "ceil(Tensor self) -> Tensor",
    "ceil_(Tensor(a!) self) -> Tensor(a!)",
    "round(Tensor self) -> Tensor",
    "round_(Tensor(a!) self) -> Tensor(a!)",
    "trunc(Tensor self) -> Tensor",
    "trunc_(Tensor(a!) self) -> Tensor(a!)",
    "sign(Tensor self) -> Tensor",
    "hardswish(Tensor self) -> Tensor",
    "hardswish_(Tensor(a!) self) -> Tensor(a!)",
    "hardsigmoid(Tensor self) -> Tensor",
    "hardsigmoid_(Tensor(a!) self) -> Tensor(a!)",
    "expm1(Tensor self) -> Tensor",
    "log1p(Tensor self) -> Tensor",
    "log2(Tensor self) -> Tensor",
    "log10(Tensor self) -> Tensor",
    "tan(Tensor self) -> Tensor",
    "asin(Tensor self) -> Tensor",
    "acos(Tensor self) -> Tensor",
    "atan(Tensor self) -> Tensor",
    "sinh(Tensor self) -> Tensor",
    "cosh(Tensor self) -> Tensor",
    "asinh(Tensor self) -> Tensor",
    "acosh(Tensor self) -> Tensor",
    "atanh(Tensor self) -> Tensor",
    "clamp(Tensor self, Scalar? min=None, Scalar? max=None) -> Tensor",
    "clamp.Tensor(Tensor self, Tensor? min=None, Tensor? max=None) -> Tensor",
    "elu(Tensor self, Scalar alpha=1, Scalar scale=1, Scalar input_scale=1) -> Tensor",
    "selu(Tensor self) -> Tensor",
    "celu(Tensor self, Scalar alpha=1.0) -> Tensor",
    "isnan(Tensor self) -> Tensor",
    "isinf(Tensor self) -> Tensor",
    "hardtanh(Tensor self, Scalar min_val=-1, Scalar max_val=1) -> Tensor",
    "hardtanh_(Tensor(a!) self, Scalar min_val=-1, Scalar max_val=1) -> Tensor(a!)",
    "leaky_relu(Tensor self, Scalar negative_slope=0.01) -> Tensor",
    "add.Tensor(Tensor self, Tensor other, *, Scalar alpha=1) -> Tensor",
    "add_.Tensor(Tensor(a!) self, Tensor other, *, Scalar alpha=1) -> Tensor(a!)",
    "add.Scalar(Tensor self, Scalar other, Scalar alpha=1) -> Tensor",
    "sub.Tensor(Tensor self, Tensor other, *, Scalar alpha=1) -> Tensor",
    "sub.Scalar(Tensor self, Scalar other, Scalar alpha=1) -> Tensor",
    "rsub.Scalar(Tensor self, Scalar other, Scalar alpha=1) -> Tensor",
    "rsub.Tensor(Tensor self, Tensor other, *, Scalar alpha=1) -> Tensor",
    "mul.Tensor(Tensor self, Tensor other) -> Tensor",
    "mul_.Tensor(Tensor(a!) self, Tensor other) -> Tensor(a!)",
    "mul.Scalar(Tensor self, Scalar other) -> Tensor",
    "div.Tensor(Tensor self, Tensor other) -> Tensor",
    "div.Scalar(Tensor self, Scalar other) -> Tensor",
    "div.Tensor_mode(Tensor self, Tensor other, *, str? rounding_mode) -> Tensor",
    "div.Scalar_mode(Tensor self, Scalar other, *, str? rounding_mode) -> Tensor",
    "pow.Tensor_Scalar(Tensor self, Scalar exponent) -> Tensor",
    "pow.Tensor_Tensor(Tensor self, Tensor exponent) -> Tensor",
    "pow.Scalar(Scalar self, Tensor exponent) -> Tensor",
    "maximum(Tensor self, Tensor other) -> Tensor",
    "minimum(Tensor self, Tensor other) -> Tensor",
    "eq.Scalar(Tensor self, Scalar other) -> Tensor",
    "eq.Tensor(Tensor self, Tensor other) -> Tensor",
    "ne.Scalar(Tensor self, Scalar other) -> Tensor",
    "ne.Tensor(Tensor self, Tensor other) -> Tensor",
    "lt.Scalar(Tensor self, Scalar other) -> Tensor",
    "lt.Tensor(Tensor self, Tensor other) -> Tensor",
    "le.Scalar(Tensor self, Scalar other) -> Tensor",
    "le.Tensor(Tensor self, Tensor other) -> Tensor",
    "gt.Scalar(Tensor self, Scalar other) -> Tensor",
    "gt.Tensor(Tensor self, Tensor other) -> Tensor",
    "ge.Scalar(Tensor self, Scalar other) -> Tensor",
    "ge.Tensor(Tensor self, Tensor other) -> Tensor",
    "logical_and(Tensor self, Tensor other) -> Tensor",
    "logical_xor(Tensor self, Tensor other) -> Tensor",
    "fmod.Tensor(Tensor self, Tensor other) -> Tensor",
    "fmod.Scalar(Tensor self, Scalar other) -> Tensor",
    "remainder.Tensor(Tensor self, Tensor other) -> Tensor",
    "remainder.Scalar(Tensor self, Scalar other) -> Tensor",
    "atan2(Tensor self, Tensor other) -> Tensor",
    "bitwise_and.Tensor(Tensor self, Tensor other) -> Tensor",
    "bitwise_and.Scalar(Tensor self, Scalar other) -> Tensor",
    "bitwise_or.Tensor(Tensor self, Tensor other) -> Tensor",
    "bitwise_or.Scalar(Tensor self, Scalar other) -> Tensor",
    "bitwise_xor.Tensor(Tensor self, Tensor other) -> Tensor",
    "bitwise_xor.Scalar(Tensor self, Scalar other) -> Tensor",
    "__and__.Tensor(Tensor self, Tensor other) -> Tensor",
    "__and__.Scalar(Tensor self, Scalar other) -> Tensor",
    "__or__.Tensor(Tensor self, Tensor other) -> Tensor",
    "__or__.Scalar(Tensor self, Scalar other) -> Tensor",
    "__xor__.Tensor(Tensor self, Tensor other) -> Tensor",
    "__xor__.Scalar(Tensor self, Scalar other) -> Tensor",
    "logical_or(Tensor self, Tensor other) -> Tensor",
    "logical_not(Tensor self) -> Tensor",
    "bitwise_not(Tensor self) -> Tensor",
    "cumsum(Tensor self, int dim, *, ScalarType? dtype=None) -> Tensor",
    "cumprod(Tensor self, int dim, *, ScalarType? dtype=None) -> Tensor",
    "sort(Tensor self, int dim=-1, bool descending=False) -> (Tensor values, Tensor indices)",
    "sort.stable(Tensor self, *, bool? stable, int dim=-1, bool descending=False) -> (Tensor values, Tensor indices)",
    "argsort(Tensor self, int dim=-1, bool descending=False) -> Tensor",
    "argsort.stable(Tensor self, *, bool stable, int dim=-1, bool descending=False) -> Tensor",
    "topk(Tensor self, SymInt k, int dim=-1, bool largest=True, bool sorted=True) -> (Tensor values, Tensor indices)",
    "index_select(Tensor self, int dim, Tensor index) -> Tensor",
    "gather(Tensor self, int dim, Tensor index, *, bool sparse_grad=False) -> Tensor",
    "scatter.src(Tensor self, int dim, Tensor index, Tensor src) -> Tensor",
    "scatter.value(Tensor self, int dim, Tensor index, Scalar value) -> Tensor",
    "scatter_add(Tensor self, int dim, Tensor index, Tensor src) -> Tensor",
    "scatter_reduce.two(Tensor self, int dim, Tensor index, Tensor src, str reduce, *, bool include_self=True) -> Tensor",
    "masked_scatter(Tensor self, Tensor mask, Tensor source) -> Tensor",
    "diagonal(Tensor(a) self, int offset=0, int dim1=0, int dim2=1) -> Tensor(a)",
    "as_strided(Tensor(a) self, SymInt[] size, SymInt[] stride, SymInt? storage_offset=None) -> Tensor(a)",
    "cdist(Tensor x1, Tensor x2, float p=2, int? compute_mode=None) -> Tensor",
    "_cdist_forward(Tensor x1, Tensor x2, float p, int? compute_mode) -> Tensor",
    "pdist(Tensor self, float p=2) -> Tensor",
    "_pdist_forward(Tensor self, float p=2) -> Tensor",
    "im2col(Tensor self, int[2] kernel_size, int[2] dilation, int[2] padding, int[2] stride) -> Tensor",
    "col2im(Tensor self, SymInt[2] output_size, int[2] kernel_size, int[2] dilation, int[2] padding, int[2] stride) -> Tensor",
    "embedding_bag.padding_idx(Tensor weight, Tensor indices, Tensor offsets, bool scale_grad_by_freq, int mode, bool sparse, Tensor? per_sample_weights, bool include_last_offset, int? padding_idx) -> (Tensor, Tensor, Tensor, Tensor)",
    "_embedding_bag(Tensor weight, Tensor indices, Tensor offsets, bool scale_grad_by_freq=False, int mode=0, bool sparse=False, Tensor? per_sample_weights=None, bool include_last_offset=False, int padding_idx=-1) -> (Tensor, Tensor, Tensor, Tensor)",
    "index.Tensor(Tensor self, Tensor?[] indices) -> Tensor",
    "index_put(Tensor self, Tensor?[] indices, Tensor values, bool accumulate=False) -> Tensor",
    "index_put_(Tensor(a!) self, Tensor?[] indices, Tensor values, bool accumulate=False) -> Tensor(a!)",
    "repeat(Tensor self, SymInt[] repeats) -> Tensor",
    "flip(Tensor self, int[] dims) -> Tensor",
    "roll(Tensor self, SymInt[1] shifts, int[1] dims=[]) -> Tensor",
    "constant_pad_nd(Tensor self, SymInt[] pad, Scalar value=0) -> Tensor",
    "pad(Tensor self, SymInt[] pad, str mode=\"constant\", float? value=None) -> Tensor",
    "reflection_pad1d(Tensor self, SymInt[2] padding) -> Tensor",
    "reflection_pad2d(Tensor self, SymInt[4] padding) -> Tensor",
    "reflection_pad3d(Tensor self, SymInt[6] padding) -> Tensor",
    "replication_pad1d(Tensor self, SymInt[2] padding) -> Tensor",
    "replication_pad2d(Tensor self, SymInt[4] padding) -> Tensor",
    "replication_pad3d(Tensor self, SymInt[6] padding) -> Tensor",
    "where.self(Tensor condition, Tensor self, Tensor other) -> Tensor",
    "masked_fill.Scalar(Tensor self, Tensor mask, Scalar value) -> Tensor",
    "masked_fill.Tensor(Tensor self, Tensor mask, Tensor value) -> Tensor",
    // reductions and pooling
    "mean.dim(Tensor self, int[1]? dim, bool keepdim=False, *, ScalarType? dtype=None) -> Tensor",
    "sum.dim_IntList(Tensor self, int[1]? dim, bool keepdim=False, *, ScalarType? dtype=None) -> Tensor",
    "amax(Tensor self, int[1] dim=[], bool keepdim=False) -> Tensor",
    "argmax(Tensor self, int? dim=None, bool keepdim=False) -> Tensor",
    "max.dim(Tensor self, int dim, bool keepdim=False) -> (Tensor values, Tensor indices)",
    "max(Tensor self) -> Tensor",
    "amin(Tensor self, int[1] dim=[], bool keepdim=False) -> Tensor",
    "argmin(Tensor self, int? dim=None, bool keepdim=False) -> Tensor",
    "min.dim(Tensor self, int dim, bool keepdim=False) -> (Tensor values, Tensor indices)",
    "min(Tensor self) -> Tensor",
    "min.other(Tensor self, Tensor other) -> Tensor",
    "max.other(Tensor self, Tensor other) -> Tensor",
    "mean(Tensor self, *, ScalarType? dtype=None) -> Tensor",
    "sum(Tensor self, *, ScalarType? dtype=None) -> Tensor",
    "prod(Tensor self, *, ScalarType? dtype=None) -> Tensor",
    "prod.dim_int(Tensor self, int dim, bool keepdim=False, *, ScalarType? dtype=None) -> Tensor",
    "var(Tensor self, bool unbiased=True) -> Tensor",
    "var.dim(Tensor self, int[1]? dim, bool unbiased=True, bool keepdim=False) -> Tensor",
    "var.correction(Tensor self, int[1]? dim=None, *, Scalar? correction=None, bool keepdim=False) -> Tensor",
    "std(Tensor self, bool unbiased=True) -> Tensor",
    "std.dim(Tensor self, int[1]? dim, bool unbiased=True, bool keepdim=False) -> Tensor",
    "std.correction(Tensor self, int[1]? dim=None, *, Scalar? correction=None, bool keepdim=False) -> Tensor",
    "any(Tensor self) -> Tensor",
    "any.dim(Tensor self, int dim, bool keepdim=False) -> Tensor",
    "any.dims(Tensor self, int[]? dim=None, bool keepdim=False) -> Tensor",
    "all(Tensor self) -> Tensor",
    "all.dim(Tensor self, int dim, bool keepdim=False) -> Tensor",
    "all.dims(Tensor self, int[]? dim=None, bool keepdim=False) -> Tensor",
    "max_pool1d(Tensor self, int[1] kernel_size, int[1] stride=[], int[1] padding=0, int[1] dilation=1, bool ceil_mode=False) -> Tensor",
    "max_pool2d(Tensor self, int[2] kernel_size, int[2] stride=[], int[2] padding=0, int[2] dilation=1, bool ceil_mode=False) -> Tensor",
    "max_pool2d_with_indices(Tensor self, int[2] kernel_size, int[2] stride=[], int[2] padding=0, int[2] dilation=1, bool ceil_mode=False) -> (Tensor, Tensor)",
    "max_pool1d_with_indices(Tensor self, int[1] kernel_size, int[1] stride=[], int[1] padding=0, int[1] dilation=1, bool ceil_mode=False) -> (Tensor, Tensor)",
    "avg_pool1d(Tensor self, int[1] kernel_size, int[1] stride=[], int[1] padding=0, bool ceil_mode=False, bool count_include_pad=True) -> Tensor",
    "avg_pool2d(Tensor self, int[2] kernel_size, int[2] stride=[], int[2] padding=0, bool ceil_mode=False, bool count_include_pad=True, int? divisor_override=None) -> Tensor",
    "adaptive_avg_pool1d(Tensor self, int[1] output_size) -> Tensor",
    "adaptive_avg_pool3d(Tensor self, SymInt[3] output_size) -> Tensor",
    "_adaptive_avg_pool3d(Tensor self, SymInt[3] output_size) -> Tensor",
    "max_pool3d(Tensor self, int[3] kernel_size, int[3] stride=[], int[3] padding=0, int[3] dilation=1, bool ceil_mode=False) -> Tensor",
    "max_pool3d_with_indices(Tensor self, int[3] kernel_size, int[3] stride=[], int[3] padding=0, int[3] dilation=1, bool ceil_mode=False) -> (Tensor, Tensor)",
    "avg_pool3d(Tensor self, int[3] kernel_size, int[3] stride=[], int[3] padding=0, bool ceil_mode=False, bool count_include_pad=True, int? divisor_override=None) -> Tensor",
    "adaptive_avg_pool2d(Tensor self, SymInt[2] output_size) -> Tensor",
    "_adaptive_avg_pool2d(Tensor self, SymInt[2] output_size) -> Tensor",
    // shapes and data movement
    "view(Tensor(a) self, SymInt[] size) -> Tensor(a)",
    "_unsafe_view(Tensor self, SymInt[] size) -> Tensor",
    "reshape(Tensor(a) self, SymInt[] shape) -> Tensor(a)",
    "flatten.using_ints(Tensor(a) self, int start_dim=0, int end_dim=-1) -> Tensor(a)",
    "unflatten.int(Tensor(a) self, int dim, SymInt[] sizes) -> Tensor(a)",
    "squeeze.dim(Tensor(a) self, int dim) -> Tensor(a)",
    "squeeze.dims(Tensor(a) self, int[] dim) -> Tensor(a)",
    "squeeze(Tensor(a) self) -> Tensor(a)",
    "unsqueeze(Tensor(a) self, int dim) -> Tensor(a)",
    "permute(Tensor(a) self, int[] dims) -> Tensor(a)",
    "transpose.int(Tensor(a) self, int dim0, int dim1) -> Tensor(a)",
    "t(Tensor(a) self) -> Tensor(a)",
    "slice.Tensor(Tensor(a) self, int dim=0, SymInt? start=None, SymInt? end=None, SymInt step=1) -> Tensor(a)",
    "narrow(Tensor(a) self, int dim, SymInt start, SymInt length) -> Tensor(a)",
    "select.int(Tensor(a) self, int dim, SymInt index) -> Tensor(a)",
    "cat(Tensor[] tensors, int dim=0) -> Tensor",
    "stack(Tensor[] tensors, int dim=0) -> Tensor",
    "expand(Tensor(a) self, SymInt[] size, *, bool implicit=False) -> Tensor(a)",
    "repeat_interleave.self_int(Tensor self, SymInt repeats, int? dim=None, *, SymInt? output_size=None) -> Tensor",
    "chunk(Tensor(a -> *) self, int chunks, int dim=0) -> Tensor(a)[]",
    "split.Tensor(Tensor(a -> *) self, SymInt split_size, int dim=0) -> Tensor(a)[]",
    "split_with_sizes(Tensor(a -> *) self, SymInt[] split_sizes, int dim=0) -> Tensor(a)[]",
    "unbind.int(Tensor(a -> *) self, int dim=0) -> Tensor(a)[]",
    "contiguous(Tensor(a) self, *, MemoryFormat memory_format=contiguous_format) -> Tensor(a)",
    "clone(Tensor self, *, MemoryFormat? memory_format=None) -> Tensor",
    "dropout(Tensor input, float p, bool train) -> Tensor",
    "native_dropout(Tensor input, float p, bool? train) -> (Tensor, Tensor)",
    "detach(Tensor(a) self) -> Tensor(a)",
    "alias(Tensor(a) self) -> Tensor(a)",
    "lift_fresh_copy(Tensor self) -> Tensor",
    "_to_copy(Tensor self, *, ScalarType? dtype=None, Layout? layout=None, Device? device=None, bool? pin_memory=None, bool non_blocking=False, MemoryFormat? memory_format=None) -> Tensor",
    "to.dtype(Tensor(a) self, ScalarType dtype, bool non_blocking=False, bool copy=False, MemoryFormat? memory_format=None) -> Tensor(a)",
    "to.device(Tensor(a) self, Device device, ScalarType dtype, bool non_blocking=False, bool copy=False, MemoryFormat? memory_format=None) -> Tensor(a)",
    "to.dtype_layout(Tensor(a) self, *, ScalarType? dtype=None, Layout? layout=None, Device? device=None, bool? pin_memory=None, bool non_blocking=False, bool copy=False, MemoryFormat? memory_format=None) -> Tensor(a)",
    "type_as(Tensor self, Tensor other) -> Tensor",
    // creation
    "ones(SymInt[] size, *, ScalarType? dtype=None, Layout? layout=None, Device? device=None, bool? pin_memory=None) -> Tensor",
    "zeros(SymInt[] size, *, ScalarType? dtype=None, Layout? layout=None, Device? device=None, bool? pin_memory=None) -> Tensor",
    "full(SymInt[] size, Scalar fill_value, *, ScalarType? dtype=None, Layout? layout=None, Device? device=None, bool? pin_memory=None) -> Tensor",
    "empty.memory_format(SymInt[] size, *, ScalarType? dtype=None, Layout? layout=None, Device? device=None, bool? pin_memory=None, MemoryFormat? memory_format=None) -> Tensor",
    "empty_strided(SymInt[] size, SymInt[] stride, *, ScalarType? dtype=None, Layout? layout=None, Device? device=None, bool? pin_memory=None) -> Tensor",
    "nonzero(Tensor self) -> Tensor",
    "masked_select(Tensor self, Tensor mask) -> Tensor",
    "_local_scalar_dense(Tensor self) -> Scalar",
    "empty_like(Tensor self, *, ScalarType? dtype=None, Layout? layout=None, Device? device=None, bool? pin_memory=None, MemoryFormat? memory_format=None) -> Tensor",
    "fill.Scalar(Tensor self, Scalar value) -> Tensor",
    "fill.Tensor(Tensor self, Tensor value) -> Tensor",
    "fill_.Scalar(Tensor(a!) self, Scalar value) -> Tensor(a!)",
    "fill_.Tensor(Tensor(a!) self, Tensor value) -> Tensor(a!)",
    "copy(Tensor self, Tensor src, bool non_blocking=False) -> Tensor",
    "slice_scatter(Tensor self, Tensor src, int dim=0, SymInt? start=None, SymInt? end=None, SymInt step=1) -> Tensor",
    "select_scatter(Tensor self, Tensor src, int dim, SymInt index) -> Tensor",
    "ones_like(Tensor self, *, ScalarType? dtype=None, Layout? layout=None, Device? device=None, bool? pin_memory=None, MemoryFormat? memory_format=None) -> Tensor",
    "zeros_like(Tensor self, *, ScalarType? dtype=None, Layout? layout=None, Device? device=None, bool? pin_memory=None, MemoryFormat? memory_format=None) -> Tensor",
    "full_like(Tensor self, Scalar fill_value, *, ScalarType? dtype=None, Layout? layout=None, Device? device=None, bool? pin_memory=None, MemoryFormat? memory_format=None) -> Tensor",
    "arange(Scalar end, *, ScalarType? dtype=None, Layout? layout=None, Device? device=None, bool? pin_memory=None) -> Tensor",
    "arange.start(Scalar start, Scalar end, *, ScalarType? dtype=None, Layout? layout=None, Device? device=None, bool? pin_memory=None) -> Tensor",
    "arange.start_step(Scalar start, Scalar end, Scalar step=1, *, ScalarType? dtype=None, Layout? layout=None, Device? device=None, bool? pin_memory=None) -> Tensor",
    "scalar_tensor(Scalar s, *, ScalarType? dtype=None, Layout? layout=None, Device? device=None, bool? pin_memory=None) -> Tensor",
    "triu(Tensor self, int diagonal=0) -> Tensor",
    "tril(Tensor self, int diagonal=0) -> Tensor",
    "sym_size.int(Tensor self, int dim) -> SymInt",
    "sym_numel(Tensor self) -> SymInt",
};

// The schema of a serialized target ("torch.ops.aten.conv2d.default"), or null.
inline const op_schema* find_schema(std::string_view target) {
  static const std::map<std::string, op_schema, std::less<>> table = [] {
    std::map<std::string, op_schema, std::less<>> t;
    for (auto d : aten_schemas) {
      op_schema s = detail::parse_schema(d);
      std::string key = "torch.ops.aten." + s.name + "." + s.overload;
      t.emplace(std::move(key), std::move(s));
    }
    return t;
  }();
  auto it = table.find(target);
  return it == table.end() ? nullptr : &it->second;
}

}  // namespace cactus::frontends::torch_export
