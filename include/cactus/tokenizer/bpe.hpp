#pragma once
// The BPE model of tokenizer.json: a piece is split into characters (with the continuing-
// subword prefix and end-of-word suffix), characters missing from the vocabulary become byte
// tokens <0xXX> (byte_fallback) or the unknown token (fused when fuse_unk), and the ranked merges
// are applied lowest rank first, leftmost first among equals, as HF tokenizers does (a heap
// of candidate pairs over a linked list of symbols: n log n in the piece's length).
// ignore_merges: a piece that is itself in the vocabulary is one token (Llama 3).
#include <queue>
#include <unordered_map>

#include "cactus/tokenizer/unicode.hpp"

namespace cactus::tokenizer {

struct bpe_model {
  std::unordered_map<std::string, int> vocab;
  std::unordered_map<std::uint64_t, std::pair<int, int>> merges;  // (left id, right id) -> (rank, merged id)
  std::string continuing_prefix, end_suffix;
  int unk = -1;
  bool byte_fallback = false, fuse_unk = false, ignore_merges = false;

  static std::uint64_t key(int a, int b) { return std::uint64_t(std::uint32_t(a)) << 32 | std::uint32_t(b); }

  static bpe_model from_json(const json& m, const std::string& where) {
    bpe_model b;
    for (auto& [tok, id] : m.at("vocab").items()) b.vocab[tok] = token_id(id, where, "vocabulary id");
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
    b.merges.reserve(m.at("merges").size());
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
      auto ia = b.vocab.find(a), ic = b.vocab.find(c);
      check(ia != b.vocab.end() && ic != b.vocab.end(), where, ": merge '", a, " ", c, "' names a token that is not in the vocabulary");
      // the merged token drops the right part's continuing prefix
      std::string merged = a + (plen && c.rfind(b.continuing_prefix, 0) == 0 ? c.substr(plen) : c);
      auto it = b.vocab.find(merged);
      check(it != b.vocab.end(), where, ": merge '", a, " ", c, "' makes '", merged, "', which is not in the vocabulary");
      b.merges.emplace(key(ia->second, ic->second), std::make_pair(rank++, it->second));
    }
    return b;
  }

  void tokenize(const std::string& piece, std::vector<int>& ids) const {
    if (piece.empty()) return;
    if (ignore_merges) {
      auto it = vocab.find(piece);
      if (it != vocab.end()) { ids.push_back(it->second); return; }
    }
    // symbols in a linked list; merges from a min-heap of (rank, position), checked when popped
    struct sym { int id, prev, next; bool alive; };
    std::vector<sym> w;
    w.reserve(piece.size());
    const auto starts = char_starts(piece);
    bool last_unk = false;
    auto push = [&](int id) {
      const int n = static_cast<int>(w.size());
      w.push_back({id, n - 1, -1, true});
      if (n > 0) w[static_cast<std::size_t>(n - 1)].next = n;
    };
    std::string c;
    for (std::size_t i = 0; i < starts.size(); ++i) {
      const std::size_t e = i + 1 < starts.size() ? starts[i + 1] : piece.size();
      c.assign(i > 0 ? continuing_prefix : std::string());
      c.append(piece, starts[i], e - starts[i]);
      if (i + 1 == starts.size()) c += end_suffix;
      auto it = vocab.find(c);
      if (it != vocab.end()) { push(it->second); last_unk = false; continue; }
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
          for (int b : bytes) push(b);
          last_unk = false;
          continue;
        }
      }
      check(unk >= 0, "BPE: '", c, "' is not in the vocabulary and the model has no unk_token");
      if (fuse_unk && last_unk) continue;
      push(unk);
      last_unk = true;
    }
    using entry = std::pair<int, int>;  // (rank, left position): lowest rank, then leftmost
    std::priority_queue<entry, std::vector<entry>, std::greater<entry>> heap;
    auto consider = [&](int l) {
      if (l < 0) return;
      const int r = w[static_cast<std::size_t>(l)].next;
      if (r < 0) return;
      auto it = merges.find(key(w[static_cast<std::size_t>(l)].id, w[static_cast<std::size_t>(r)].id));
      if (it != merges.end()) heap.emplace(it->second.first, l);
    };
    for (int i = 0; i + 1 < static_cast<int>(w.size()); ++i) consider(i);
    while (!heap.empty()) {
      const auto [rank, l] = heap.top();
      heap.pop();
      sym& a = w[static_cast<std::size_t>(l)];
      if (!a.alive || a.next < 0) continue;
      sym& b = w[static_cast<std::size_t>(a.next)];
      auto it = merges.find(key(a.id, b.id));
      if (it == merges.end() || it->second.first != rank) continue;  // stale: the pair changed
      a.id = it->second.second;
      b.alive = false;
      a.next = b.next;
      if (b.next >= 0) w[static_cast<std::size_t>(b.next)].prev = l;
      consider(a.prev);
      consider(l);
    }
    for (auto& s : w)
      if (s.alive) ids.push_back(s.id);
  }
};

}  // namespace cactus::tokenizer
