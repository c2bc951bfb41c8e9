#pragma once
// tokenizer.json "normalizer": NFC, NFD, NFKC, NFKD, Lowercase, Replace (string or regex),
// Prepend, Strip, StripAccents, BertNormalizer, Precompiled (refused), Sequence.
// A normalizer maps a piece of text to its normalized form (offsets are not kept: cactus needs
// the ids and the decoded text, not alignments).
#include <functional>
#include <nlohmann/json.hpp>

#include "cactus/tokenizer/unicode.hpp"

namespace cactus::tokenizer {

using normalizer = std::function<std::string(const std::string&)>;

// A "pattern" object: {"String": s} or {"Regex": r}; applies f to each match span.
struct pattern {
  std::string literal;
  std::shared_ptr<regex> re;
  static pattern from_json(const json& j, const std::string& where) {
    pattern p;
    if (j.contains("String")) p.literal = j["String"].get<std::string>();
    else if (j.contains("Regex")) p.re = std::make_shared<regex>(j["Regex"].get<std::string>(), where);
    else fail(where, ": pattern must be {\"String\": ...} or {\"Regex\": ...}, got ", j.dump());
    return p;
  }
  std::vector<std::pair<std::size_t, std::size_t>> find_all(std::string_view s) const {
    if (re) return re->find_all(s);
    std::vector<std::pair<std::size_t, std::size_t>> r;
    if (literal.empty()) return r;
    for (std::size_t at = s.find(literal); at != std::string_view::npos; at = s.find(literal, at + literal.size()))
      r.emplace_back(at, at + literal.size());
    return r;
  }
};

inline std::string replace_all(const std::string& s, const pattern& p, const std::string& with) {
  std::string out;
  std::size_t at = 0;
  for (auto [b, e] : p.find_all(s)) {
    out.append(s, at, b - at);
    out += with;
    at = e;
  }
  out.append(s, at, std::string::npos);
  return out;
}

inline std::string strip_whitespace(const std::string& s, bool left, bool right) {
  const auto cps = code_points(s);
  std::size_t b = 0, e = cps.size();
  if (left) while (b < e && is_whitespace(cps[b])) ++b;
  if (right) while (e > b && is_whitespace(cps[e - 1])) --e;
  std::string r;
  for (std::size_t i = b; i < e; ++i) append_utf8(r, cps[i]);
  return r;
}

inline normalizer make_normalizer(const json& j, const std::string& where) {
  if (j.is_null()) return {};
  const std::string type = j.at("type").get<std::string>();
  if (type == "NFC" || type == "NFD" || type == "NFKC" || type == "NFKD") return [type](const std::string& s) { return normalize_form(s, type); };
  if (type == "Lowercase") return [](const std::string& s) { return lowercase(s); };
  if (type == "Replace") {
    auto p = pattern::from_json(j.at("pattern"), where);
    auto with = j.at("content").get<std::string>();
    return [p, with](const std::string& s) { return replace_all(s, p, with); };
  }
  if (type == "Prepend") {
    auto pre = j.at("prepend").get<std::string>();
    return [pre](const std::string& s) { return s.empty() ? s : pre + s; };
  }
  if (type == "Strip") {
    const bool l = j.value("strip_left", true), r = j.value("strip_right", true);
    return [l, r](const std::string& s) { return strip_whitespace(s, l, r); };
  }
  if (type == "StripAccents") {
    return [](const std::string& s) {
      std::string r;
      for (char32_t c : code_points(s))
        if (!is_combining_mark(c)) append_utf8(r, c);
      return r;
    };
  }
  if (type == "BertNormalizer") {
    const bool clean = j.value("clean_text", true), chinese = j.value("handle_chinese_chars", true);
    const bool lower = j.value("lowercase", true);
    // strip_accents null follows lowercase
    const bool accents = j.contains("strip_accents") && !j["strip_accents"].is_null() ? j["strip_accents"].get<bool>() : lower;
    return [=](const std::string& s) {
      std::string r;
      for (char32_t c : code_points(s)) {
        if (clean && (c == 0 || c == 0xFFFD || is_control(c))) continue;
        if (clean && is_whitespace(c)) c = ' ';
        const bool cjk = (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0x3400 && c <= 0x4DBF) || (c >= 0x20000 && c <= 0x2A6DF) ||
                         (c >= 0x2A700 && c <= 0x2B73F) || (c >= 0x2B740 && c <= 0x2B81F) || (c >= 0x2B820 && c <= 0x2CEAF) ||
                         (c >= 0xF900 && c <= 0xFAFF) || (c >= 0x2F800 && c <= 0x2FA1F);
        if (chinese && cjk) { r += ' '; append_utf8(r, c); r += ' '; }
        else append_utf8(r, c);
      }
      if (accents) {
        r = normalize_form(r, "NFD");
        std::string t;
        for (char32_t c : code_points(r))
          if (!is_nonspacing_mark(c)) append_utf8(t, c);
        r = std::move(t);
      }
      if (lower) r = lowercase(r);
      return r;
    };
  }
  if (type == "Sequence") {
    std::vector<normalizer> seq;
    for (auto& n : j.at("normalizers"))
      if (auto f = make_normalizer(n, where)) seq.push_back(f);
    return [seq](const std::string& s) {
      std::string r = s;
      for (auto& f : seq) r = f(r);
      return r;
    };
  }
  if (type == "Precompiled") fail(where, ": the Precompiled (SentencePiece charsmap) normalizer is not supported");
  fail(where, ": normalizer type '", type, "' is not supported");
}

}  // namespace cactus::tokenizer
