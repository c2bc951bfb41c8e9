#pragma once
// The WordPiece model of tokenizer.json (BERT's): greedy longest match from the start of the
// piece, later parts with the continuing-subword prefix ("##"); a piece with any part missing,
// or longer than max_input_chars_per_word characters, is the unknown token.
#include <unordered_map>

#include "cactus/core/json_read.hpp"
#include "cactus/tokenizer/unicode.hpp"

namespace cactus::tokenizer {

struct wordpiece_model {
  std::unordered_map<std::string, int> vocab;
  std::string prefix = "##";
  std::size_t max_chars = 100;
  int unk = -1;

  static wordpiece_model from_json(const json& m, const std::string& where) {
    wordpiece_model w;
    for (auto& [tok, id] : m.at("vocab").items()) w.vocab[tok] = token_id(id, where, "vocabulary id");
    if (m.contains("continuing_subword_prefix") && m["continuing_subword_prefix"].is_string()) w.prefix = m["continuing_subword_prefix"].get<std::string>();
    w.max_chars = json_integer_or(m, "max_input_chars_per_word", where, std::size_t{100});
    const std::string unk = m.value("unk_token", std::string("[UNK]"));
    auto it = w.vocab.find(unk);
    check(it != w.vocab.end(), where, ": unk_token '", unk, "' is not in the vocabulary");
    w.unk = it->second;
    return w;
  }

  void tokenize(const std::string& s, std::vector<int>& ids) const {
    const auto starts = char_starts(s);
    if (starts.size() > max_chars) { ids.push_back(unk); return; }
    std::vector<int> out;
    std::size_t ci = 0;
    while (ci < starts.size()) {
      int found = -1;
      std::size_t end_ci = starts.size();
      for (; end_ci > ci; --end_ci) {
        const std::size_t e = end_ci < starts.size() ? starts[end_ci] : s.size();
        std::string sub = (ci > 0 ? prefix : std::string()) + s.substr(starts[ci], e - starts[ci]);
        auto it = vocab.find(sub);
        if (it != vocab.end()) { found = it->second; break; }
      }
      if (found < 0) { ids.push_back(unk); return; }
      out.push_back(found);
      ci = end_ci;
    }
    ids.insert(ids.end(), out.begin(), out.end());
  }
};

}  // namespace cactus::tokenizer
