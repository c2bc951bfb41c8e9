#pragma once
// The CLI's command table: each command lists its positional arguments and options once, and
// that one list both parses the command line and writes the command's --help, so the help
// cannot name a flag the parser does not take, or miss one it does.
#include <algorithm>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "cactus/cactus.hpp"  // check(); the umbrella, so that the single_include build finds it too

namespace cactus::cli {

struct option {
  std::string name;          // "--bits"
  std::string value;         // the value's placeholder ("32|16|8|4|3|2|1"); empty: a flag
  std::string help;          // one paragraph, wrapped when printed
  bool repeats = false;      // may be given more than once
  bool required = false;     // must be given
};

struct args {
  std::vector<std::string> pos;
  std::multimap<std::string, std::string> opt;
  bool has(const std::string& k) const { return opt.count(k) > 0; }
  std::string get(const std::string& k, const std::string& d = "") const {
    auto it = opt.find(k);
    return it == opt.end() ? d : it->second;
  }
  std::vector<std::string> all(const std::string& k) const {
    std::vector<std::string> r;
    for (auto [a, b] = opt.equal_range(k); a != b; ++a) r.push_back(a->second);
    return r;
  }
};

struct command {
  std::string name;                     // "convert"
  std::vector<std::string> positional;  // {"SRC", "OUT"}: exactly these many
  std::string description;              // preformatted, each line indented by 6
  std::vector<option> options;
  int (*run)(const args&) = nullptr;

  // "cactus convert SRC OUT [--bits 32|16|...] ...", wrapped under the command name
  std::string synopsis() const {
    std::vector<std::string> words{"cactus " + name};
    for (auto& p : positional) words.push_back(p);
    for (auto& o : options) {
      const std::string spelt = o.name + (o.value.empty() ? "" : " " + o.value);
      words.push_back((o.required ? spelt : "[" + spelt + "]") + (o.repeats ? "..." : ""));
    }
    // continuation lines start under the first argument
    const std::size_t width = 98, indent = 2 + 7 + name.size() + 1;
    std::string out = "  ", line;
    std::size_t start = 2;  // the column the current line starts at
    for (auto& w : words) {
      if (!line.empty() && start + line.size() + 1 + w.size() > width) {
        out += line + "\n" + std::string(indent, ' ');
        start = indent;
        line = w;
      } else {
        line += (line.empty() ? "" : " ") + w;
      }
    }
    return out + line + "\n";
  }

  std::string help() const {
    std::string out = synopsis() + description;
    for (auto& o : options) {
      const std::string head = "      " + o.name + (o.value.empty() ? "" : " " + o.value);
      out += wrap(o.help, head, 32);
    }
    return out;
  }

  // Parses argv[from...] against this command's table: `--name value`, `--name=value` or a
  // flag; anything else starting with -- is an unknown option, named.
  args parse(int argc, char** argv, int from) const {
    args a;
    for (int i = from; i < argc; ++i) {
      std::string s = argv[i];
      if (s.rfind("--", 0) != 0) {
        a.pos.push_back(s);
        continue;
      }
      std::string key = s, val;
      const bool inline_value = s.find('=') != std::string::npos;
      if (inline_value) {
        key = s.substr(0, s.find('='));
        val = s.substr(s.find('=') + 1);
      }
      auto o = std::find_if(options.begin(), options.end(), [&](const option& x) { return x.name == key; });
      check(o != options.end(), "unknown option ", key, " (see cactus ", name, " --help)");
      if (o->value.empty()) {
        a.opt.emplace(key, "1");
        continue;
      }
      if (!inline_value || val.empty()) {
        check(i + 1 < argc, "option ", key, " needs a value");
        val = argv[++i];
      }
      a.opt.emplace(key, val);
    }
    check(a.pos.size() == positional.size(), "usage:\n", synopsis(), "(cactus ", name, " --help tells more)");
    for (auto& o : options) check(!o.required || a.has(o.name), "cactus ", name, ": ", o.name, " ", o.value, " is required (", o.help, ")");
    return a;
  }

  // `text` wrapped to 98 columns after `head` (on the same line when head leaves room)
  static std::string wrap(const std::string& text, const std::string& head, std::size_t column) {
    std::string out = head, line;
    std::size_t at = head.size();
    if (at + 2 > column) {
      out += "\n";
      at = 0;
    }
    out += std::string(column - at, ' ');
    std::stringstream ss(text);
    std::size_t used = column;
    for (std::string w; ss >> w;) {
      if (used > column && used + 1 + w.size() > 98) {
        out += "\n" + std::string(column, ' ');
        used = column;
      }
      if (used > column) {
        out += " ";
        ++used;
      }
      out += w;
      used += w.size();
    }
    return out + "\n";
  }
};

}  // namespace cactus::cli
