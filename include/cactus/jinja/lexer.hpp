#pragma once
// Jinja2's lexer with the settings transformers renders chat templates with: trim_blocks (the
// newline after a block or comment tag goes), lstrip_blocks (spaces and tabs before a block or
// comment tag on its line go), the `-` and `+` modifiers, newlines normalised to \n and one
// trailing newline dropped (keep_trailing_newline=False). Every token carries its source line.
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "cactus/core/error.hpp"
#include "cactus/jinja/value.hpp"  // utf8::append

namespace cactus::jinja {

enum class tok { data, var_begin, var_end, block_begin, block_end, name, string, integer, floating, op, eof };

struct token {
  tok type;
  std::string text;
  int line;
};

namespace detail {
inline bool is_ws(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }
inline int count_lines(std::string_view s) {
  int n = 0;
  for (char c : s) n += c == '\n';
  return n;
}
}  // namespace detail

// `where` names the template (a file, or a file and a key) in errors.
inline std::vector<token> lex(std::string_view raw, const std::string& where) {
  // newlines as Jinja normalises them; one trailing newline removed
  std::string src;
  src.reserve(raw.size());
  for (std::size_t i = 0; i < raw.size(); ++i) {
    if (raw[i] == '\r') { src += '\n'; if (i + 1 < raw.size() && raw[i + 1] == '\n') ++i; }
    else src += raw[i];
  }
  if (!src.empty() && src.back() == '\n') src.pop_back();

  std::vector<token> out;
  int line = 1;
  std::size_t pos = 0;
  bool line_starting = true, strip_next = false, trim_next = false;
  auto err = [&](int l, auto&&... msg) { fail(where, ": template line ", l, ": ", msg...); };

  while (true) {
    // the next tag start
    std::size_t q = pos;
    while (true) {
      q = src.find('{', q);
      if (q == std::string::npos || q + 1 >= src.size()) { q = std::string::npos; break; }
      const char k = src[q + 1];
      if (k == '{' || k == '%' || k == '#') break;
      ++q;
    }
    std::string data = src.substr(pos, q == std::string::npos ? std::string::npos : q - pos);
    const int data_line = line;
    line += detail::count_lines(data);
    // what the previous tag asked of the text after it
    std::size_t skip = 0;
    if (strip_next) while (skip < data.size() && detail::is_ws(data[skip])) ++skip;
    else if (trim_next && !data.empty() && data[0] == '\n') skip = 1;
    int lead_lines = detail::count_lines(std::string_view(data).substr(0, skip));
    if (skip) { line_starting = data[skip - 1] == '\n'; data.erase(0, skip); }
    strip_next = trim_next = false;
    if (q == std::string::npos) {
      if (!data.empty()) out.push_back({tok::data, std::move(data), data_line + lead_lines});
      break;
    }
    const char kind = src[q + 1];
    const char mod = q + 2 < src.size() && (src[q + 2] == '-' || src[q + 2] == '+') ? src[q + 2] : 0;
    if (mod == '-') {
      while (!data.empty() && detail::is_ws(data.back())) data.pop_back();
    } else if (kind != '{' && mod != '+') {  // lstrip_blocks
      const std::size_t l = data.rfind('\n') == std::string::npos ? 0 : data.rfind('\n') + 1;
      if (l > 0 || line_starting) {
        bool blank = true;
        for (std::size_t i = l; i < data.size(); ++i) blank = blank && (data[i] == ' ' || data[i] == '\t');
        if (blank) data.resize(l);
      }
    }
    if (!data.empty()) out.push_back({tok::data, std::move(data), data_line + lead_lines});
    const int tag_line = line;
    std::size_t p = q + 2 + (mod ? 1 : 0);

    if (kind == '#') {
      const std::size_t e = src.find("#}", p);
      if (e == std::string::npos) err(tag_line, "the comment is not closed ('#}' missing)");
      const bool minus = e > p && src[e - 1] == '-';
      const bool plus = e > p && src[e - 1] == '+';
      line += detail::count_lines(std::string_view(src).substr(q, e + 2 - q));
      pos = e + 2;
      strip_next = minus;
      trim_next = !minus && !plus;
      line_starting = false;
      continue;
    }

    const bool var = kind == '{';
    out.push_back({var ? tok::var_begin : tok::block_begin, "", tag_line});
    int depth = 0;
    bool closed = false;
    while (p < src.size()) {
      const char c = src[p];
      if (c == '\n') { ++line; ++p; continue; }
      if (detail::is_ws(c)) { ++p; continue; }
      // the end of the tag, with its modifier
      auto ends_here = [&](std::size_t at) {
        return var ? (depth == 0 && src.compare(at, 2, "}}") == 0) : src.compare(at, 2, "%}") == 0;
      };
      if ((c == '-' || c == '+') && p + 1 < src.size() && ends_here(p + 1)) {
        out.push_back({var ? tok::var_end : tok::block_end, "", line});
        strip_next = c == '-';
        trim_next = !var && c != '-' && c != '+';
        p += 3;
        closed = true;
        break;
      }
      if (ends_here(p)) {
        out.push_back({var ? tok::var_end : tok::block_end, "", line});
        trim_next = !var;
        p += 2;
        closed = true;
        break;
      }
      if (std::isalpha(static_cast<unsigned char>(c)) || c == '_') {
        std::size_t e = p;
        while (e < src.size() && (std::isalnum(static_cast<unsigned char>(src[e])) || src[e] == '_')) ++e;
        out.push_back({tok::name, src.substr(p, e - p), line});
        p = e;
        continue;
      }
      if (c == '0' && p + 2 < src.size() && std::strchr("xXoObB", src[p + 1]) && std::isxdigit(static_cast<unsigned char>(src[p + 2]))) {
        // 0x1F, 0o17, 0b101
        const int base = std::tolower(src[p + 1]) == 'x' ? 16 : std::tolower(src[p + 1]) == 'o' ? 8 : 2;
        std::size_t e = p + 2;
        unsigned long long v = 0;
        for (; e < src.size() && (std::isxdigit(static_cast<unsigned char>(src[e])) || src[e] == '_'); ++e) {
          if (src[e] == '_') continue;
          const int d = std::isdigit(static_cast<unsigned char>(src[e])) ? src[e] - '0' : std::tolower(src[e]) - 'a' + 10;
          if (d >= base) err(line, "a bad digit in a base-", base, " number");
          if (v > (~0ull >> 5)) err(line, "the integer is out of range");
          v = v * static_cast<unsigned>(base) + static_cast<unsigned>(d);
        }
        out.push_back({tok::integer, std::to_string(v), line});
        p = e;
        continue;
      }
      if (std::isdigit(static_cast<unsigned char>(c))) {
        std::size_t e = p;
        bool fl = false;
        while (e < src.size() && (std::isdigit(static_cast<unsigned char>(src[e])) || src[e] == '_')) ++e;
        if (e + 1 < src.size() && src[e] == '.' && std::isdigit(static_cast<unsigned char>(src[e + 1]))) {
          fl = true;
          ++e;
          while (e < src.size() && std::isdigit(static_cast<unsigned char>(src[e]))) ++e;
        }
        if (e < src.size() && (src[e] == 'e' || src[e] == 'E')) {
          std::size_t f = e + 1;
          if (f < src.size() && (src[f] == '+' || src[f] == '-')) ++f;
          if (f < src.size() && std::isdigit(static_cast<unsigned char>(src[f]))) {
            fl = true;
            e = f;
            while (e < src.size() && std::isdigit(static_cast<unsigned char>(src[e]))) ++e;
          }
        }
        std::string t;
        for (std::size_t i = p; i < e; ++i) if (src[i] != '_') t += src[i];
        out.push_back({fl ? tok::floating : tok::integer, t, line});
        p = e;
        continue;
      }
      if (c == '\'' || c == '"') {
        // a Python string literal: the escapes Python knows
        std::string s;
        std::size_t e = p + 1;
        const int start_line = line;
        for (; e < src.size() && src[e] != c; ++e) {
          if (src[e] == '\n') ++line;
          if (src[e] != '\\' || e + 1 >= src.size()) { s += src[e]; continue; }
          const char x = src[++e];
          switch (x) {
            case 'n': s += '\n'; break;
            case 't': s += '\t'; break;
            case 'r': s += '\r'; break;
            case 'b': s += '\b'; break;
            case 'f': s += '\f'; break;
            case 'v': s += '\v'; break;
            case 'a': s += '\a'; break;
            case '0': s += '\0'; break;
            case '\\': s += '\\'; break;
            case '\'': s += '\''; break;
            case '"': s += '"'; break;
            case '\n': ++line; break;  // a line continuation
            case 'x': case 'u': case 'U': {
              const std::size_t n = x == 'x' ? 2 : x == 'u' ? 4 : 8;
              if (e + n >= src.size()) err(line, "a truncated \\", x, " escape in a string");
              char32_t cp = 0;
              for (std::size_t k = 1; k <= n; ++k) {
                const char h = src[e + k];
                if (!std::isxdigit(static_cast<unsigned char>(h))) err(line, "a bad \\", x, " escape in a string");
                cp = cp * 16 + static_cast<char32_t>(std::isdigit(static_cast<unsigned char>(h)) ? h - '0' : (std::tolower(h) - 'a' + 10));
              }
              if (cp > 0x10FFFF) err(line, "a \\U escape beyond U+10FFFF");
              e += n;
              utf8::append(s, cp);
              break;
            }
            default: s += '\\'; s += x;  // Python keeps unknown escapes
          }
        }
        if (e >= src.size()) err(start_line, "the string is not closed");
        out.push_back({tok::string, std::move(s), start_line});
        p = e + 1;
        continue;
      }
      // operators, longest first
      static const char* ops[] = {"**", "//", "==", "!=", "<=", ">=", "+", "-", "*", "/", "%", "~", "<", ">", "=", "(", ")", "[", "]", "{", "}", ",", ".", ":", "|", ";"};
      bool matched = false;
      for (const char* o : ops) {
        const std::size_t n = std::char_traits<char>::length(o);
        if (src.compare(p, n, o) == 0) {
          if (o[0] == '(' || o[0] == '[' || o[0] == '{') ++depth;
          if ((o[0] == ')' || o[0] == ']' || o[0] == '}') && depth > 0) --depth;
          out.push_back({tok::op, o, line});
          p += n;
          matched = true;
          break;
        }
      }
      if (!matched) err(line, "unexpected character '", std::string(1, c), "'");
    }
    if (!closed) err(tag_line, var ? "'{{' is not closed ('}}' missing)" : "'{%' is not closed ('%}' missing)");
    pos = p;
    line_starting = false;
  }
  out.push_back({tok::eof, "", line});
  return out;
}

}  // namespace cactus::jinja
