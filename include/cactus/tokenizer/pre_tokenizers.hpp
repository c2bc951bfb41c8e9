#pragma once
// tokenizer.json "pre_tokenizer": ByteLevel (with its GPT-2 split pattern and the byte-to-
// character table), Split (string or regex, each delimiter behaviour, invert), Metaspace,
// Digits, Punctuation, Whitespace, WhitespaceSplit, BertPreTokenizer, Sequence.
// A pre-tokenizer turns each piece into pieces; the model then tokenizes each piece alone.
#include <array>

#include "cactus/tokenizer/normalizers.hpp"

namespace cactus::tokenizer {

using pieces = std::vector<std::string>;
using pre_tokenizer = std::function<void(pieces&)>;

enum class split_behavior { removed, isolated, merged_with_previous, merged_with_next, contiguous };

inline split_behavior behavior_from(const std::string& s, const std::string& where) {
  if (s == "Removed") return split_behavior::removed;
  if (s == "Isolated") return split_behavior::isolated;
  if (s == "MergedWithPrevious") return split_behavior::merged_with_previous;
  if (s == "MergedWithNext") return split_behavior::merged_with_next;
  if (s == "Contiguous") return split_behavior::contiguous;
  fail(where, ": unknown split behavior '", s, "'");
}

// Splits s at delimiter spans (sorted, non-overlapping), as HF's NormalizedString::split does.
inline void split_spans(const std::string& s, const std::vector<std::pair<std::size_t, std::size_t>>& spans, split_behavior b, bool invert,
                        pieces& out) {
  std::vector<std::pair<std::pair<std::size_t, std::size_t>, bool>> all;  // every span with whether it is a delimiter
  std::size_t at = 0;
  for (auto [x, y] : spans) {
    if (x > at) all.push_back({{at, x}, false});
    all.push_back({{x, y}, true});
    at = y;
  }
  if (at < s.size()) all.push_back({{at, s.size()}, false});
  if (invert)
    for (auto& a : all) a.second = !a.second;
  std::vector<std::pair<std::size_t, std::size_t>> r;
  bool prev = false;
  switch (b) {
    case split_behavior::removed:
      for (auto& [o, m] : all) if (!m) r.push_back(o);
      break;
    case split_behavior::isolated:
      for (auto& [o, m] : all) r.push_back(o);
      break;
    case split_behavior::merged_with_previous:
      for (auto& [o, m] : all) {
        if (m && !prev && !r.empty()) r.back().second = o.second;
        else r.push_back(o);
        prev = m;
      }
      break;
    case split_behavior::merged_with_next:
      for (auto it = all.rbegin(); it != all.rend(); ++it) {
        if (it->second && !prev && !r.empty()) r.back().first = it->first.first;
        else r.push_back(it->first);
        prev = it->second;
      }
      std::reverse(r.begin(), r.end());
      break;
    case split_behavior::contiguous:
      for (std::size_t i = 0; i < all.size(); ++i) {
        if (i > 0 && all[i].second == prev && !r.empty()) r.back().second = all[i].first.second;
        else r.push_back(all[i].first);
        prev = all[i].second;
      }
      break;
  }
  for (auto [x, y] : r)
    if (y > x) out.push_back(s.substr(x, y - x));
}

// Delimiter spans of the characters for which pred holds (one span per character).
template <class Pred>
std::vector<std::pair<std::size_t, std::size_t>> char_spans(const std::string& s, Pred pred) {
  std::vector<std::pair<std::size_t, std::size_t>> r;
  const auto starts = char_starts(s);
  const auto cps = code_points(s);
  for (std::size_t i = 0; i < starts.size(); ++i)
    if (pred(cps[i])) r.emplace_back(starts[i], i + 1 < starts.size() ? starts[i + 1] : s.size());
  return r;
}

inline pre_tokenizer split_each(std::function<std::vector<std::pair<std::size_t, std::size_t>>(const std::string&)> find, split_behavior b,
                                bool invert) {
  return [find, b, invert](pieces& ps) {
    pieces out;
    for (auto& p : ps) split_spans(p, find(p), b, invert, out);
    ps = std::move(out);
  };
}

// GPT-2's byte-to-character table: printable bytes map to themselves, the rest to U+0100 on.
inline const std::array<char32_t, 256>& byte_to_char() {
  static const std::array<char32_t, 256> t = [] {
    std::array<char32_t, 256> m{};
    char32_t next = 256;
    for (int b = 0; b < 256; ++b) {
      const bool keep = (b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
      m[static_cast<std::size_t>(b)] = keep ? static_cast<char32_t>(b) : next++;
    }
    return m;
  }();
  return t;
}

inline std::string bytes_to_chars(std::string_view s) {
  std::string r;
  for (unsigned char b : s) append_utf8(r, byte_to_char()[b]);
  return r;
}

inline const char* gpt2_pattern() { return R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)"; }

inline pre_tokenizer make_pre_tokenizer(const json& j, const std::string& where) {
  if (j.is_null()) return {};
  const std::string type = j.at("type").get<std::string>();
  if (type == "ByteLevel") {
    const bool prefix = j.value("add_prefix_space", true), use_regex = j.value("use_regex", true);
    auto re = std::make_shared<regex>(gpt2_pattern(), where);
    return [prefix, use_regex, re](pieces& ps) {
      pieces out;
      for (auto& p : ps) {
        std::string s = prefix && !p.empty() && p[0] != ' ' ? " " + p : p;
        pieces parts;
        if (use_regex) split_spans(s, re->find_all(s), split_behavior::isolated, false, parts);
        else parts.push_back(s);
        for (auto& x : parts) out.push_back(bytes_to_chars(x));
      }
      ps = std::move(out);
    };
  }
  if (type == "Split") {
    auto pat = std::make_shared<pattern>(pattern::from_json(j.at("pattern"), where));
    return split_each([pat](const std::string& s) { return pat->find_all(s); }, behavior_from(j.at("behavior").get<std::string>(), where),
                      j.value("invert", false));
  }
  if (type == "Metaspace") {
    const std::string rep = j.value("replacement", std::string("\xE2\x96\x81"));
    std::string scheme = j.value("prepend_scheme", std::string());
    if (scheme.empty()) scheme = j.value("add_prefix_space", true) ? "always" : "never";
    const bool split = j.value("split", true);
    return [rep, scheme, split](pieces& ps) {
      pieces out;
      for (std::size_t i = 0; i < ps.size(); ++i) {
        std::string s;
        for (char c : ps[i]) { if (c == ' ') s += rep; else s += c; }
        // "first": only the first piece of the input gets the prefix
        const bool prepend = scheme == "always" || (scheme == "first" && i == 0);
        if (prepend && s.rfind(rep, 0) != 0) s = rep + s;
        if (!split) { out.push_back(s); continue; }
        pattern p;
        p.literal = rep;
        split_spans(s, p.find_all(s), split_behavior::merged_with_next, false, out);
      }
      ps = std::move(out);
    };
  }
  if (type == "Digits") {
    const bool individual = j.value("individual_digits", false);
    return split_each([](const std::string& s) { return char_spans(s, is_numeric); },
                      individual ? split_behavior::isolated : split_behavior::contiguous, false);
  }
  if (type == "Punctuation") {
    return split_each([](const std::string& s) { return char_spans(s, is_punctuation); },
                      behavior_from(j.value("behavior", std::string("Isolated")), where), false);
  }
  if (type == "Whitespace") {
    // \w+|[^\w\s]+ kept, the rest removed; \w as in Rust's regex (letters, marks, Nd, Nl, Pc, joiners)
    auto re = std::make_shared<regex>(R"([\p{L}\p{M}\p{Nd}\p{Nl}\p{Pc}\x{200C}\x{200D}]+|[^\p{L}\p{M}\p{Nd}\p{Nl}\p{Pc}\x{200C}\x{200D}\s]+)", where);
    return split_each([re](const std::string& s) { return re->find_all(s); }, split_behavior::removed, true);
  }
  if (type == "WhitespaceSplit") {
    return split_each([](const std::string& s) { return char_spans(s, is_whitespace); }, split_behavior::removed, false);
  }
  if (type == "BertPreTokenizer") {
    auto ws = split_each([](const std::string& s) { return char_spans(s, is_whitespace); }, split_behavior::removed, false);
    auto punct = split_each([](const std::string& s) { return char_spans(s, is_punctuation); }, split_behavior::isolated, false);
    return [ws, punct](pieces& ps) { ws(ps); punct(ps); };
  }
  if (type == "Sequence") {
    std::vector<pre_tokenizer> seq;
    for (auto& p : j.at("pretokenizers"))
      if (auto f = make_pre_tokenizer(p, where)) seq.push_back(f);
    return [seq](pieces& ps) { for (auto& f : seq) f(ps); };
  }
  fail(where, ": pre_tokenizer type '", type, "' is not supported");
}

}  // namespace cactus::tokenizer
