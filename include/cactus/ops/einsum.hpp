#pragma once
// einsum(equation, a[, b][, path]): torch.einsum over one or two f32 operands, explicit
// ("bij,bjk->bik") or implicit output (the letters used once, in alphabetical order), with "..."
// for leading dims. Two operands become one batched GEMM: each is laid out as
// [batch, free, contracted] (letters in both and in the output, in one only, in both but not in
// the output), letters in one operand only and not in the output are summed out first, and the
// product is copied into the output's letter order. A letter repeated within an operand (a
// diagonal) and operands whose sizes differ for a letter (broadcasting) are refused.
#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "cactus/kernels/dispatch.hpp"
#include "cactus/ops/op.hpp"

namespace cactus::ops {

namespace detail {

struct einsum_plan {
  std::vector<std::string> in;  // each operand's letters ("..." expanded to '0', '1'...)
  std::string out;
  std::map<char, std::int64_t> size;
};

inline einsum_plan plan_einsum(const context& c, const std::string& eq, const std::vector<const slot*>& xs) {
  einsum_plan p;
  std::string spec;
  for (char ch : eq)
    if (ch != ' ') spec += ch;
  const auto arrow = spec.find("->");
  const std::string lhs = spec.substr(0, arrow);
  std::vector<std::string> terms;
  for (std::size_t b = 0;;) {
    const auto comma = lhs.find(',', b);
    terms.push_back(lhs.substr(b, comma == std::string::npos ? std::string::npos : comma - b));
    if (comma == std::string::npos) break;
    b = comma + 1;
  }
  c.require(terms.size() == xs.size(), "einsum '", eq, "' names ", terms.size(), " operands, got ", xs.size());
  std::size_t ell = 0;  // dims "..." stands for
  auto expand = [&](std::string t, std::size_t rank, bool output) {
    const auto dots = t.find("...");
    if (dots == std::string::npos) return t;
    const std::size_t named = t.size() - 3;
    if (!output) {
      c.require(rank >= named, "einsum '", eq, "': operand of rank ", rank, " has ", named, " named dims");
      c.require(ell == 0 || ell == rank - named, "einsum '", eq, "': \"...\" stands for different numbers of dims (broadcasting is not supported)");
      ell = rank - named;
    }
    std::string dims;
    for (std::size_t k = 0; k < ell; ++k) dims += static_cast<char>('0' + k);
    return t.substr(0, dots) + dims + t.substr(dots + 3);
  };
  for (std::size_t i = 0; i < terms.size(); ++i) {
    std::string t = expand(terms[i], xs[i]->shape.size(), false);
    c.require(t.size() == xs[i]->shape.size(), "einsum '", eq, "': operand ", i, " has rank ", xs[i]->shape.size(), ", the equation gives ", t.size(), " letters");
    for (std::size_t k = 0; k < t.size(); ++k) {
      c.require(std::count(t.begin(), t.end(), t[k]) == 1, "einsum '", eq, "': a letter repeated within an operand (a diagonal) is not supported");
      auto [it, fresh] = p.size.emplace(t[k], xs[i]->shape[k]);
      c.require(fresh || it->second == xs[i]->shape[k], "einsum '", eq, "': letter '", t[k], "' has sizes ", it->second, " and ",
                xs[i]->shape[k], " (broadcasting is not supported)");
    }
    p.in.push_back(t);
  }
  if (arrow != std::string::npos) {
    p.out = expand(spec.substr(arrow + 2), 0, true);
  } else {  // implicit: "..." first, then the letters used once, sorted
    for (std::size_t k = 0; k < ell; ++k) p.out += static_cast<char>('0' + k);
    std::string once;
    for (auto& [ch, n] : p.size) {
      std::size_t uses = 0;
      for (auto& t : p.in) uses += static_cast<std::size_t>(std::count(t.begin(), t.end(), ch));
      if (uses == 1 && !(ch >= '0' && ch <= '9')) once += ch;
    }
    p.out += once;
  }
  for (char ch : p.out) {
    c.require(p.size.count(ch), "einsum '", eq, "': output letter '", ch, "' is in no operand");
    c.require(std::count(p.out.begin(), p.out.end(), ch) == 1, "einsum '", eq, "': output letter '", ch, "' repeated");
  }
  return p;
}

// x (letters `have`) summed over the letters not in `keep` and laid out in `keep`'s order.
inline std::vector<float> einsum_layout(const float* x, const std::string& have, const std::string& keep,
                                        const std::map<char, std::int64_t>& size) {
  shape_t hs, ks;
  for (char ch : have) hs.push_back(size.at(ch));
  for (char ch : keep) ks.push_back(size.at(ch));
  const auto kst = strides_of(ks);
  std::vector<float> out(static_cast<std::size_t>(numel(ks)), 0.0f);
  // every position of x: add it at its place in the output
  std::vector<std::int64_t> to(have.size(), 0);  // the output stride of each of x's dims (0: summed)
  for (std::size_t k = 0; k < have.size(); ++k) {
    const auto at = keep.find(have[k]);
    to[k] = at == std::string::npos ? 0 : kst[at];
  }
  std::vector<std::int64_t> idx(hs.size(), 0);
  std::int64_t dst = 0;
  const std::int64_t n = numel(hs);
  for (std::int64_t i = 0; i < n; ++i) {
    out[static_cast<std::size_t>(dst)] += x[i];
    for (std::size_t ax = hs.size(); ax-- > 0;) {
      ++idx[ax];
      dst += to[ax];
      if (idx[ax] < hs[ax]) break;
      dst -= to[ax] * hs[ax];
      idx[ax] = 0;
    }
  }
  return out;
}

inline std::vector<const slot*> einsum_operands(const context& c) {
  std::vector<const slot*> xs;
  for (std::size_t i = 1; i < c.num_inputs(); ++i)
    if (c.in(i).is_tensor()) xs.push_back(&c.f32_in(i));
  c.require(xs.size() == 1 || xs.size() == 2, "einsum over ", xs.size(), " operands is not supported (one or two)");
  return xs;
}

}  // namespace detail

struct einsum_op {
  static constexpr std::string_view name = "einsum";
  static constexpr arity inputs{2, variadic};
  static void infer(context& c) {
    const auto xs = detail::einsum_operands(c);
    const auto p = detail::plan_einsum(c, c.string_at(0), xs);
    shape_t s;
    for (char ch : p.out) s.push_back(p.size.at(ch));
    c.set_tensor(0, dtype::f32, s);
  }
  static void run(context& c) {
    const auto xs = detail::einsum_operands(c);
    const auto p = detail::plan_einsum(c, c.string_at(0), xs);
    float* y = c.out(0).ptr<float>();
    if (xs.size() == 1) {
      const auto r = detail::einsum_layout(xs[0]->ptr<float>(), p.in[0], p.out, p.size);
      std::copy(r.begin(), r.end(), y);
      return;
    }
    const std::string &a = p.in[0], &b = p.in[1];
    std::string batch, afree, bfree, contr;
    for (char ch : a) {
      const bool in_b = b.find(ch) != std::string::npos, in_out = p.out.find(ch) != std::string::npos;
      if (in_b && in_out) batch += ch;
      else if (in_b) contr += ch;
      else if (in_out) afree += ch;
    }
    for (char ch : b)
      if (a.find(ch) == std::string::npos && p.out.find(ch) != std::string::npos) bfree += ch;
    auto count = [&](const std::string& s) {
      std::int64_t n = 1;
      for (char ch : s) n *= p.size.at(ch);
      return static_cast<std::size_t>(n);
    };
    const std::size_t NB = count(batch), M = count(afree), N = count(bfree), K = count(contr);
    const auto A = detail::einsum_layout(xs[0]->ptr<float>(), a, batch + afree + contr, p.size);
    const auto B = detail::einsum_layout(xs[1]->ptr<float>(), b, batch + contr + bfree, p.size);
    std::vector<float> C(NB * M * N, 0.0f);
    if (K > 0)
      for (std::size_t i = 0; i < NB; ++i)
        kernels::gemm_nn(M, N, K, A.data() + i * M * K, K, B.data() + i * K * N, N, C.data() + i * M * N, N, nullptr);
    const auto r = detail::einsum_layout(C.data(), batch + afree + bfree, p.out, p.size);
    std::copy(r.begin(), r.end(), y);
  }
};

}  // namespace cactus::ops
