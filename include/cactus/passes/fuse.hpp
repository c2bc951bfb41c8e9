#pragma once
// Stage 5: fusion. Applies the rules of patterns/rules.hpp to a fixed point (at most
// `max_rounds` rounds), removing the nodes each rewrite left dead. Rules named in `disabled`
// are skipped (the CLI's --no-fuse-<name>).
#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "cactus/passes/dce.hpp"
#include "cactus/patterns/match.hpp"
#include "cactus/patterns/rules.hpp"

namespace cactus::passes {

namespace hana = boost::hana;

struct fuse_options {
  std::set<std::string> disabled;  // rule names, e.g. "rms_norm"
  int max_rounds = 4;
};

// Names of all fusions (rules sharing a name count once), in rule order.
inline std::vector<std::string> fusion_names() {
  std::vector<std::string> r;
  hana::for_each(patterns::all_rules, [&](auto t) {
    const std::string n(decltype(t)::type::name);
    if (std::find(r.begin(), r.end(), n) == r.end()) r.push_back(n);
  });
  return r;
}

// Returns how often each rule fired.
inline std::map<std::string, int> fuse(ir::graph& g, const fuse_options& o = {}) {
  for (auto& d : o.disabled) {
    const auto names = fusion_names();
    check(std::find(names.begin(), names.end(), d) != names.end(), "unknown fusion '", d, "'");
  }
  std::map<std::string, int> fired;
  for (int round = 0; round < o.max_rounds; ++round) {
    int any = 0;
    hana::for_each(patterns::all_rules, [&](auto t) {
      using Rule = typename decltype(t)::type;
      if (o.disabled.count(std::string(Rule::name))) return;
      const int n = patterns::apply_rule<Rule>(g);
      fired[std::string(Rule::name)] += n;
      any += n;
    });
    if (!any) break;
    dead_code_elimination(g);
  }
  return fired;
}

}  // namespace cactus::passes
