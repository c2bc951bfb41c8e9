#pragma once
// The Unigram model of tokenizer.json (SentencePiece's): the segmentation of a piece that
// maximizes the sum of the pieces' log-probabilities (Viterbi over the characters); characters
// no piece covers are the unknown token, scored min_score - 10 and fused with their neighbours,
// or bytes <0xXX> with byte_fallback.
#include <unordered_map>

#include "cactus/tokenizer/unicode.hpp"

namespace cactus::tokenizer {

struct unigram_model {
  std::unordered_map<std::string, std::pair<int, double>> pieces;  // piece -> (id, score); a repeated piece is its last entry, as in HF
  std::vector<std::string> by_id;                                   // id -> piece, every vocab entry
  std::size_t max_len = 0;                                         // longest piece in bytes
  int unk = -1;
  double min_score = 0;
  bool byte_fallback = false;

  static unigram_model from_json(const json& m, const std::string& where) {
    unigram_model u;
    int id = 0;
    u.min_score = 0;
    for (auto& e : m.at("vocab")) {
      const std::string p = e.at(0).get<std::string>();
      const double s = e.at(1).get<double>();
      check(id < (1 << 24), where, ": the vocabulary has more than 2^24 pieces");
      u.pieces.insert_or_assign(p, std::make_pair(id++, s));
      u.by_id.push_back(p);
      u.max_len = std::max(u.max_len, p.size());
      u.min_score = std::min(u.min_score, s);
    }
    if (m.contains("unk_id") && m["unk_id"].is_number_integer()) {
      const auto unk = m["unk_id"].get<std::int64_t>();
      check(unk >= -1 && unk < id, where, ": unk_id ", unk, " is outside the vocabulary of ", id);
      u.unk = static_cast<int>(unk);
    }
    u.byte_fallback = m.value("byte_fallback", false);
    return u;
  }

  void tokenize(const std::string& s, std::vector<int>& ids) const {
    if (s.empty()) return;
    const double unk_score = min_score - 10.0;
    const auto starts = char_starts(s);
    const std::size_t n = s.size();
    struct node { double score = 0; std::size_t from = 0; int id = -1; bool set = false; };
    std::vector<node> best(n + 1);
    best[0].set = true;
    std::vector<bool> is_start(n + 1, false);
    for (auto st : starts) is_start[st] = true;
    is_start[n] = true;
    for (std::size_t ci = 0; ci < starts.size(); ++ci) {
      const std::size_t b = starts[ci];
      if (!best[b].set) continue;
      bool single = false;  // a piece covers exactly this character
      const std::size_t next = ci + 1 < starts.size() ? starts[ci + 1] : n;
      for (std::size_t e = b + 1; e <= n && e - b <= max_len; ++e) {
        if (!is_start[e]) continue;
        auto it = pieces.find(s.substr(b, e - b));
        if (it == pieces.end()) continue;
        if (e == next) single = true;
        const double sc = best[b].score + it->second.second;
        if (!best[e].set || sc > best[e].score) best[e] = {sc, b, it->second.first, true};
      }
      if (!single) {
        const double sc = best[b].score + unk_score;
        if (!best[next].set || sc > best[next].score) best[next] = {sc, b, -1, true};
      }
    }
    std::vector<std::pair<std::size_t, int>> path;  // (start, id; -1 unknown)
    for (std::size_t e = n; e > 0;) {
      path.emplace_back(best[e].from, best[e].id);
      e = best[e].from;
    }
    std::reverse(path.begin(), path.end());
    bool prev_unk = false;
    for (std::size_t i = 0; i < path.size(); ++i) {
      auto [b, id] = path[i];
      if (id >= 0) { ids.push_back(id); prev_unk = false; continue; }
      const std::size_t e = i + 1 < path.size() ? path[i + 1].first : n;
      if (byte_fallback) {
        std::vector<int> bytes;
        for (std::size_t k = b; k < e; ++k) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "<0x%02X>", static_cast<unsigned char>(s[k]));
          auto it = pieces.find(buf);
          if (it == pieces.end()) { bytes.clear(); break; }
          bytes.push_back(it->second.first);
        }
        if (!bytes.empty()) { ids.insert(ids.end(), bytes.begin(), bytes.end()); prev_unk = false; continue; }
      }
      check(unk >= 0, "Unigram: '", s.substr(b, e - b), "' is not in the vocabulary and the model has no unk_id");
      if (!prev_unk) ids.push_back(unk);
      prev_unk = true;
    }
  }
};

}  // namespace cactus::tokenizer
