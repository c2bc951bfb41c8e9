#pragma once
// The BPE model of tokenizer.json: a piece is split into characters (with the continuing-
// subword prefix and end-of-word suffix), characters missing from the vocabulary become byte
// tokens <0xXX> (byte_fallback) or the unknown token (fused when fuse_unk), and the ranked merges
// are applied lowest rank first, leftmost first among equals, as HF tokenizers does.
// ignore_merges: a piece that is itself in the vocabulary is one token (Llama 3).
#include <unordered_map>

#include "cactus/tokenizer/unicode.hpp"

namespace cactus::tokenizer {

struct bpe_model {
  std::unordered_map<std::string, int> vocab;
  std::unordered_map<std::string, std::pair<int, int>> merges;  // "a b" -> (rank, merged id)
  std::string continuing_prefix, end_suffix;
  int unk = -1;
  bool byte_fallback = false, fuse_unk = false, ignore_merges = false;

  static bpe_model from_json(const json& m, const std::string& where) {
    bpe_model b;
    for (auto& [tok, id] : m.at("vocab").items()) b.vocab[tok] = id.get<int>();
    if (m.contains("unk_token") && m["unk_token"].is_string()) {
      auto it = b.vocab.find(m["unk_token"].get<std::string>());
      check(it != b.vocab.end(), where, ": unk_token '", m["unk_token"].get<std::string>(), "' is not in the vocabulary");
      b.unk = it->second;
    }
    auto str = [&](const char* k) { return m.contains(k) && m[k].is_string() ? m[k].get<std::string>() : std::string(); };
    b.continuing_prefix = str("continuing_subword_prefix");
    b.end_suffix = str("end_of_word_suffix");
    b.byte_fallback = m.value("byte_fallback", false);
    b.fuse_unk = m.value("fuse_unk", false);
    b.ignore_merges = m.value("ignore_merges", false);
    int rank = 0;
    const std::size_t plen = b.continuing_prefix.size();
    for (auto& e : m.at("merges")) {
      std::string a, c;
      if (e.is_string()) {
        const std::string s = e.get<std::string>();
        const auto sp = s.find(' ');
        check(sp != std::string::npos, where, ": merge '", s, "' is not 'a b'");
        a = s.substr(0, sp);
        c = s.substr(sp + 1);
      } else {
        a = e.at(0).get<std::string>();
        c = e.at(1).get<std::string>();
      }
      // the merged token drops the right part's continuing prefix
      std::string merged = a + (plen && c.rfind(b.continuing_prefix, 0) == 0 ? c.substr(plen) : c);
      auto it = b.vocab.find(merged);
      check(it != b.vocab.end(), where, ": merge '", a, " ", c, "' makes '", merged, "', which is not in the vocabulary");
      b.merges.emplace(a + ' ' + c, std::make_pair(rank++, it->second));
    }
    return b;
  }

  void tokenize(const std::string& piece, std::vector<int>& ids) const {
    if (piece.empty()) return;
    if (ignore_merges) {
      auto it = vocab.find(piece);
      if (it != vocab.end()) { ids.push_back(it->second); return; }
    }
    struct sym { std::string text; int id; };
    std::vector<sym> w;
    const auto starts = char_starts(piece);
    bool last_unk = false;
    for (std::size_t i = 0; i < starts.size(); ++i) {
      const std::size_t e = i + 1 < starts.size() ? starts[i + 1] : piece.size();
      std::string c = piece.substr(starts[i], e - starts[i]);
      if (i > 0) c = continuing_prefix + c;
      if (i + 1 == starts.size()) c += end_suffix;
      auto it = vocab.find(c);
      if (it != vocab.end()) { w.push_back({c, it->second}); last_unk = false; continue; }
      if (byte_fallback) {
        std::vector<int> bytes;
        for (std::size_t k = starts[i]; k < e; ++k) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "<0x%02X>", static_cast<unsigned char>(piece[k]));
          auto bt = vocab.find(buf);
          if (bt == vocab.end()) { bytes.clear(); break; }
          bytes.push_back(bt->second);
        }
        if (!bytes.empty()) {
          for (int b : bytes) w.push_back({std::string(), b});  // byte tokens never merge
          last_unk = false;
          continue;
        }
      }
      check(unk >= 0, "BPE: '", c, "' is not in the vocabulary and the model has no unk_token");
      if (fuse_unk && last_unk) continue;
      w.push_back({std::string(), unk});
      last_unk = true;
    }
    for (;;) {
      int best = -1, best_rank = 0, best_id = 0;
      for (std::size_t i = 0; i + 1 < w.size(); ++i) {
        if (w[i].text.empty() || w[i + 1].text.empty()) continue;
        auto it = merges.find(w[i].text + ' ' + w[i + 1].text);
        if (it == merges.end()) continue;
        if (best < 0 || it->second.first < best_rank) {
          best = static_cast<int>(i);
          best_rank = it->second.first;
          best_id = it->second.second;
        }
      }
      if (best < 0) break;
      auto& l = w[static_cast<std::size_t>(best)];
      const std::string& r = w[static_cast<std::size_t>(best) + 1].text;
      const std::size_t plen = continuing_prefix.size();
      l.text += plen && r.rfind(continuing_prefix, 0) == 0 ? r.substr(plen) : r;
      l.id = best_id;
      w.erase(w.begin() + best + 1);
    }
    for (auto& s : w) ids.push_back(s.id);
  }
};

}  // namespace cactus::tokenizer
