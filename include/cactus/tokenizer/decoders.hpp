#pragma once
// tokenizer.json "decoder": ByteLevel, Metaspace, WordPiece, ByteFallback, Fuse, Strip, Replace,
// BPEDecoder, Sequence. As in HF tokenizers each decoder maps the token strings to new strings
// (decode_chain) and the text is their concatenation.
#include "cactus/core/json_read.hpp"
#include "cactus/tokenizer/pre_tokenizers.hpp"

namespace cactus::tokenizer {

using decoder = std::function<std::vector<std::string>(std::vector<std::string>)>;

inline const std::unordered_map<char32_t, unsigned char>& char_to_byte() {
  static const auto m = [] {
    std::unordered_map<char32_t, unsigned char> r;
    for (int b = 0; b < 256; ++b) r[byte_to_char()[static_cast<std::size_t>(b)]] = static_cast<unsigned char>(b);
    return r;
  }();
  return m;
}

inline decoder make_decoder(const json& j, const std::string& where) {
  if (j.is_null()) return {};
  const std::string type = j.at("type").get<std::string>();
  if (type == "ByteLevel") {
    return [](std::vector<std::string> toks) {
      std::string bytes;
      for (auto& t : toks) {
        std::string b;
        bool all = true;
        for (char32_t c : code_points(t)) {
          auto it = char_to_byte().find(c);
          if (it == char_to_byte().end()) { all = false; break; }
          b.push_back(static_cast<char>(it->second));
        }
        bytes += all ? b : t;
      }
      return std::vector<std::string>{make_valid_utf8(bytes)};
    };
  }
  if (type == "Metaspace") {
    const std::string rep = j.value("replacement", std::string("\xE2\x96\x81"));
    std::string scheme = j.value("prepend_scheme", std::string());
    if (scheme.empty()) scheme = j.value("add_prefix_space", true) ? "always" : "never";
    return [rep, scheme](std::vector<std::string> toks) {
      for (std::size_t i = 0; i < toks.size(); ++i) {
        std::string s;
        const std::string& t = toks[i];
        for (std::size_t k = 0; k < t.size();) {
          if (t.compare(k, rep.size(), rep) == 0) { s += ' '; k += rep.size(); }
          else s += t[k++];
        }
        if (i == 0 && scheme != "never" && !s.empty() && s[0] == ' ') s.erase(0, 1);
        toks[i] = s;
      }
      return toks;
    };
  }
  if (type == "WordPiece") {
    const std::string prefix = j.value("prefix", std::string("##"));
    const bool cleanup = j.value("cleanup", true);
    return [prefix, cleanup](std::vector<std::string> toks) {
      for (std::size_t i = 0; i < toks.size(); ++i) {
        std::string& t = toks[i];
        if (i > 0) {
          if (t.rfind(prefix, 0) == 0) t = t.substr(prefix.size());
          else t = " " + t;
        }
        if (cleanup) {
          // HF's cleanup: no space before punctuation and English contractions
          static const std::pair<const char*, const char*> subs[] = {{" .", "."}, {" ?", "?"}, {" !", "!"}, {" ,", ","}, {" ' ", "'"},
                                                                     {" n't", "n't"}, {" 'm", "'m"}, {" do not", " don't"}, {" 's", "'s"},
                                                                     {" 've", "'ve"}, {" 're", "'re"}};
          for (auto [a, b] : subs) {
            pattern p;
            p.literal = a;
            t = replace_all(t, p, b);
          }
        }
      }
      return toks;
    };
  }
  if (type == "ByteFallback") {
    return [](std::vector<std::string> toks) {
      std::vector<std::string> out;
      std::string pending;
      std::size_t pending_n = 0;
      auto flush = [&] {
        if (!pending_n) return;
        const std::string valid = make_valid_utf8(pending);
        if (valid == pending) out.push_back(pending);
        else for (std::size_t k = 0; k < pending_n; ++k) out.push_back("\xEF\xBF\xBD");
        pending.clear();
        pending_n = 0;
      };
      for (auto& t : toks) {
        unsigned v = 0;
        if (t.size() == 6 && t.rfind("<0x", 0) == 0 && t[5] == '>' && std::sscanf(t.c_str() + 3, "%2x", &v) == 1 && std::isxdigit(static_cast<unsigned char>(t[3])) &&
            std::isxdigit(static_cast<unsigned char>(t[4]))) {
          pending.push_back(static_cast<char>(v));
          ++pending_n;
          continue;
        }
        flush();
        out.push_back(t);
      }
      flush();
      return out;
    };
  }
  if (type == "Fuse") {
    return [](std::vector<std::string> toks) {
      std::string s;
      for (auto& t : toks) s += t;
      return std::vector<std::string>{s};
    };
  }
  if (type == "Strip") {
    const std::string content = j.at("content").get<std::string>();
    const std::size_t start = json_integer_or(j, "start", where, std::size_t{0}), stop = json_integer_or(j, "stop", where, std::size_t{0});
    return [content, start, stop](std::vector<std::string> toks) {
      for (auto& t : toks) {
        auto cps = code_points(t);
        std::size_t b = 0, e = cps.size();
        const auto cc = code_points(content);
        const char32_t c = cc.empty() ? 0 : cc[0];
        for (std::size_t k = 0; k < start && b < e && cps[b] == c; ++k) ++b;
        for (std::size_t k = 0; k < stop && e > b && cps[e - 1] == c; ++k) --e;
        std::string r;
        for (std::size_t i = b; i < e; ++i) append_utf8(r, cps[i]);
        t = r;
      }
      return toks;
    };
  }
  if (type == "Replace") {
    auto p = pattern::from_json(j.at("pattern"), where);
    auto with = j.at("content").get<std::string>();
    return [p, with](std::vector<std::string> toks) {
      for (auto& t : toks) t = replace_all(t, p, with);
      return toks;
    };
  }
  if (type == "BPEDecoder") {
    const std::string suffix = j.value("suffix", std::string("</w>"));
    return [suffix](std::vector<std::string> toks) {
      for (std::size_t i = 0; i < toks.size(); ++i) {
        pattern p;
        p.literal = suffix;
        toks[i] = replace_all(toks[i], p, i + 1 == toks.size() ? "" : " ");
      }
      return toks;
    };
  }
  if (type == "Sequence") {
    std::vector<decoder> seq;
    for (auto& d : j.at("decoders"))
      if (auto f = make_decoder(d, where)) seq.push_back(f);
    return [seq](std::vector<std::string> toks) {
      for (auto& f : seq) toks = f(std::move(toks));
      return toks;
    };
  }
  fail(where, ": decoder type '", type, "' is not supported");
}

}  // namespace cactus::tokenizer
