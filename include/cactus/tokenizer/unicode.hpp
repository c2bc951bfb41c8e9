#pragma once
// Unicode for the tokenizer, from well-kept libraries: utf8proc (Debian's libutf8proc) for
// normalization forms, categories and case mapping, PCRE2 (libpcre2-8) with UTF and Unicode
// properties for the split patterns of tokenizer.json. Only the UTF-8 walking is ours.
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <utf8proc.h>

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <nlohmann/json.hpp>
#include <unordered_map>
#include <string>
#include <string_view>
#include <vector>

#include "cactus/core/error.hpp"
#include "cactus/tokenizer/token_id.hpp"

namespace cactus::tokenizer {

using json = nlohmann::json;

// Appends code point c as UTF-8.
inline void append_utf8(std::string& s, char32_t c) {
  utf8proc_uint8_t buf[4];
  const auto n = utf8proc_encode_char(static_cast<utf8proc_int32_t>(c), buf);
  s.append(reinterpret_cast<const char*>(buf), static_cast<std::size_t>(n));
}

// Code points of valid UTF-8 (the tokenizer makes its input valid first).
inline std::vector<char32_t> code_points(std::string_view s) {
  std::vector<char32_t> r;
  r.reserve(s.size());
  const auto* p = reinterpret_cast<const utf8proc_uint8_t*>(s.data());
  utf8proc_ssize_t at = 0, n = static_cast<utf8proc_ssize_t>(s.size());
  while (at < n) {
    utf8proc_int32_t c = 0;
    const auto k = utf8proc_iterate(p + at, n - at, &c);
    if (k <= 0) { r.push_back(0xFFFD); ++at; continue; }
    r.push_back(static_cast<char32_t>(c));
    at += k;
  }
  return r;
}

// Byte length of each UTF-8 character of valid s, in order.
inline std::vector<std::size_t> char_starts(std::string_view s) {
  std::vector<std::size_t> r;
  for (std::size_t i = 0; i < s.size(); ++i)
    if ((static_cast<unsigned char>(s[i]) & 0xC0) != 0x80) r.push_back(i);
  return r;
}

// Invalid UTF-8 becomes U+FFFD, one per maximal invalid subpart, as Python's
// bytes.decode('utf-8', 'replace') does (what a Python caller of HF tokenizers would pass).
inline std::string make_valid_utf8(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const std::size_t n = s.size();
  std::size_t i = 0;
  while (i < n) {
    const unsigned char b = p[i];
    std::size_t len = 0;
    char32_t lo = 0x80, hi = 0xBF;  // allowed range of the second byte
    if (b < 0x80) { out.push_back(static_cast<char>(b)); ++i; continue; }
    if (b >= 0xC2 && b <= 0xDF) len = 2;
    else if (b >= 0xE0 && b <= 0xEF) { len = 3; if (b == 0xE0) lo = 0xA0; if (b == 0xED) hi = 0x9F; }
    else if (b >= 0xF0 && b <= 0xF4) { len = 4; if (b == 0xF0) lo = 0x90; if (b == 0xF4) hi = 0x8F; }
    if (len == 0) { out += "\xEF\xBF\xBD"; ++i; continue; }
    std::size_t k = 1;
    for (; k < len && i + k < n; ++k) {
      const unsigned char c = p[i + k];
      const char32_t l = k == 1 ? lo : 0x80, h = k == 1 ? hi : 0xBF;
      if (c < l || c > h) break;
    }
    if (k == len) out.append(s.substr(i, len));
    else out += "\xEF\xBF\xBD";
    i += k;
  }
  return out;
}

inline utf8proc_category_t category(char32_t c) { return utf8proc_category(static_cast<utf8proc_int32_t>(c)); }

// Unicode White_Space (Rust's char::is_whitespace, which HF tokenizers uses).
inline bool is_whitespace(char32_t c) {
  return (c >= 0x09 && c <= 0x0D) || c == 0x20 || c == 0x85 || c == 0xA0 || c == 0x1680 || (c >= 0x2000 && c <= 0x200A) || c == 0x2028 ||
         c == 0x2029 || c == 0x202F || c == 0x205F || c == 0x3000;
}
inline bool is_punctuation(char32_t c) {
  if (c < 0x80) return (c >= 0x21 && c <= 0x2F) || (c >= 0x3A && c <= 0x40) || (c >= 0x5B && c <= 0x60) || (c >= 0x7B && c <= 0x7E);
  const auto k = category(c);
  return k >= UTF8PROC_CATEGORY_PC && k <= UTF8PROC_CATEGORY_PO;
}
// General category Mark (Mn, Mc, Me): what HF's StripAccents removes
inline bool is_combining_mark(char32_t c) {
  const auto k = category(c);
  return k == UTF8PROC_CATEGORY_MN || k == UTF8PROC_CATEGORY_MC || k == UTF8PROC_CATEGORY_ME;
}
// Mn only: what BertNormalizer's strip_accents removes
inline bool is_nonspacing_mark(char32_t c) { return category(c) == UTF8PROC_CATEGORY_MN; }
// Rust's char::is_numeric: general category Nd, Nl or No
inline bool is_numeric(char32_t c) {
  const auto k = category(c);
  return k == UTF8PROC_CATEGORY_ND || k == UTF8PROC_CATEGORY_NL || k == UTF8PROC_CATEGORY_NO;
}
inline bool is_control(char32_t c) {
  if (c == '\t' || c == '\n' || c == '\r') return false;
  const auto k = category(c);
  return k == UTF8PROC_CATEGORY_CC || k == UTF8PROC_CATEGORY_CF || k == UTF8PROC_CATEGORY_CN || k == UTF8PROC_CATEGORY_CO;
}

// One of NFC, NFD, NFKC, NFKD.
inline std::string normalize_form(std::string_view s, const std::string& form) {
  int opts = UTF8PROC_STABLE;
  if (form == "NFC") opts |= UTF8PROC_COMPOSE;
  else if (form == "NFD") opts |= UTF8PROC_DECOMPOSE;
  else if (form == "NFKC") opts |= UTF8PROC_COMPOSE | UTF8PROC_COMPAT;
  else if (form == "NFKD") opts |= UTF8PROC_DECOMPOSE | UTF8PROC_COMPAT;
  else fail("unknown normalization form ", form);
  utf8proc_uint8_t* out = nullptr;
  const auto n = utf8proc_map(reinterpret_cast<const utf8proc_uint8_t*>(s.data()), static_cast<utf8proc_ssize_t>(s.size()), &out,
                              static_cast<utf8proc_option_t>(opts));
  check(n >= 0, "Unicode normalization failed: ", utf8proc_errmsg(n));
  std::string r(reinterpret_cast<const char*>(out), static_cast<std::size_t>(n));
  std::free(out);
  return r;
}

// Lowercase as HF's Lowercase normalizer does it, character by character with Rust's
// char::to_lowercase: simple mappings, and U+0130 -> "i\u0307" (no final-sigma context).
inline std::string lowercase(std::string_view s) {
  std::string r;
  r.reserve(s.size());
  for (char32_t c : code_points(s)) {
    if (c == 0x130) { r += "i\xCC\x87"; continue; }
    append_utf8(r, static_cast<char32_t>(utf8proc_tolower(static_cast<utf8proc_int32_t>(c))));
  }
  return r;
}

// A compiled PCRE2 pattern (UTF, Unicode properties for \s \d \w), JIT-compiled where it can be.
class regex {
 public:
  explicit regex(const std::string& pattern, const std::string& where) {
    int err = 0;
    PCRE2_SIZE off = 0;
    code_ = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(pattern.data()), pattern.size(), PCRE2_UTF | PCRE2_UCP | PCRE2_NO_UTF_CHECK, &err, &off, nullptr);
    if (!code_) {
      PCRE2_UCHAR msg[256];
      pcre2_get_error_message(err, msg, sizeof msg);
      fail(where, ": pattern '", pattern, "' does not compile at offset ", off, ": ", reinterpret_cast<const char*>(msg));
    }
    pcre2_jit_compile(code_, PCRE2_JIT_COMPLETE);
    data_ = pcre2_match_data_create_from_pattern(code_, nullptr);
  }
  regex(const regex&) = delete;
  regex& operator=(const regex&) = delete;
  ~regex() {
    pcre2_match_data_free(data_);
    pcre2_code_free(code_);
  }
  // Non-empty matches [begin, end) of s, left to right, non-overlapping.
  std::vector<std::pair<std::size_t, std::size_t>> find_all(std::string_view s) const {
    std::vector<std::pair<std::size_t, std::size_t>> r;
    std::size_t at = 0;
    while (at <= s.size()) {
      const int rc = pcre2_match(code_, reinterpret_cast<PCRE2_SPTR>(s.data()), s.size(), at, PCRE2_NO_UTF_CHECK, data_, nullptr);
      if (rc == PCRE2_ERROR_NOMATCH) break;
      check(rc >= 0, "regex match failed (PCRE2 error ", rc, ")");
      const PCRE2_SIZE* ov = pcre2_get_ovector_pointer(data_);
      const std::size_t b = ov[0], e = ov[1];
      if (e > b) {
        r.emplace_back(b, e);
        at = e;
      } else {  // an empty match: step over one character
        at = b + 1;
        while (at < s.size() && (static_cast<unsigned char>(s[at]) & 0xC0) == 0x80) ++at;
      }
    }
    return r;
  }

 private:
  pcre2_code* code_ = nullptr;
  pcre2_match_data* data_ = nullptr;
};

}  // namespace cactus::tokenizer
