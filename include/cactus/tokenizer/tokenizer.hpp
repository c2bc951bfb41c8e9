#pragma once
// A tokenizer from a checkpoint's own tokenizer.json, giving the ids Hugging Face's tokenizers
// gives: added tokens are split out first (leftmost-longest; those with normalized=false on
// the raw text, the others after normalization; lstrip / rstrip / single_word honoured), each
// remaining piece is normalized, pre-tokenized and run through the model (BPE, Unigram or
// WordPiece); the post-processor adds the special tokens on request. Decoding maps ids to
// tokens and runs the decoder chain. Input that is not valid UTF-8 is read as Python reads it
// with errors='replace'. Runtime side: no LibTorch, no Python.
#include <filesystem>
#include <optional>
#include <variant>

#include "cactus/core/files.hpp"
#include "cactus/core/json_read.hpp"
#include "cactus/tokenizer/bpe.hpp"
#include "cactus/tokenizer/decoders.hpp"
#include "cactus/tokenizer/post_processors.hpp"
#include "cactus/tokenizer/unigram.hpp"
#include "cactus/tokenizer/wordpiece.hpp"

namespace cactus::tokenizer {

struct added_token {
  std::string content;
  int id = 0;
  bool special = false, lstrip = false, rstrip = false, normalized = false, single_word = false;
};

class tokenizer {
 public:
  static tokenizer from_file(const std::filesystem::path& path) {
    const std::string where = path.string();
    check(std::filesystem::exists(path), where, ": no such file");
    const json j = json_parse(read_file_text(path), where);
    try {
      return from_json(j, where);
    } catch (const json::exception& e) {
      fail(where, ": malformed tokenizer.json: ", json_reason(e));
    }
  }
  // DIR/tokenizer.json (a Hugging Face checkpoint or a cactus bundle) or the file itself.
  static tokenizer open(const std::filesystem::path& p) {
    if (std::filesystem::is_directory(p)) {
      check(std::filesystem::exists(p / "tokenizer.json"), p.string(), ": no tokenizer.json in this directory");
      return from_file(p / "tokenizer.json");
    }
    return from_file(p);
  }

  // f(), with a nlohmann exception from inside tokenizer.json's section `key` named as such
  template <class F>
  static void in_section(const std::string& where, const char* key, F&& f) {
    try {
      f();
    } catch (const json::exception& e) {
      fail(where, ": \"", key, "\": ", json_reason(e));
    }
  }

  static tokenizer from_json(const json& j, const std::string& where) {
    tokenizer t;
    check(j.is_object(), where, ": expected a JSON object, got ", j.type_name());
    check(j.contains("model"), where, ": missing \"model\"");
    in_section(where, "model", [&] {
      const json& m = j.at("model");
      const std::string type = m.value("type", std::string(m.contains("merges") ? "BPE" : m.contains("vocab") && m["vocab"].is_array() ? "Unigram" : "WordPiece"));
      if (type == "BPE") t.model_ = bpe_model::from_json(m, where);
      else if (type == "Unigram") t.model_ = unigram_model::from_json(m, where);
      else if (type == "WordPiece") t.model_ = wordpiece_model::from_json(m, where);
      else fail(where, ": model type '", type, "' is not supported (BPE, Unigram, WordPiece are)");
    });
    // id -> token
    std::visit([&](auto& mod) {
      using M = std::decay_t<decltype(mod)>;
      if constexpr (std::is_same_v<M, unigram_model>) {
        t.tokens_ = mod.by_id;  // a piece listed twice has two ids, as in HF's vocab
      } else {
        for (auto& [p, id] : mod.vocab) {
          check(id >= 0 && id < (1 << 24), where, ": token id ", id, " is out of range");
          if (static_cast<std::size_t>(id) >= t.tokens_.size()) t.tokens_.resize(static_cast<std::size_t>(id) + 1);
          t.tokens_[static_cast<std::size_t>(id)] = p;
        }
      }
    }, t.model_);
    in_section(where, "added_tokens", [&] {
      for (auto& a : j.value("added_tokens", json::array())) {
        added_token at{a.at("content").get<std::string>(), token_id(a.at("id"), where, "added token id"), a.value("special", false), a.value("lstrip", false),
                       a.value("rstrip", false), a.value("normalized", !a.value("special", false)), a.value("single_word", false)};
        check(at.id >= 0 && at.id < (1 << 24), where, ": added token id ", at.id, " is out of range");
        check(!at.content.empty(), where, ": added token ", at.id, " is empty");
        if (static_cast<std::size_t>(at.id) >= t.tokens_.size()) t.tokens_.resize(static_cast<std::size_t>(at.id) + 1);
        t.tokens_[static_cast<std::size_t>(at.id)] = at.content;
        t.added_ids_[at.id] = t.added_.size();
        t.added_.push_back(at);
      }
    });
    in_section(where, "normalizer", [&] { t.normalizer_ = make_normalizer(j.value("normalizer", json()), where); });
    in_section(where, "pre_tokenizer", [&] { t.pre_tokenizer_ = make_pre_tokenizer(j.value("pre_tokenizer", json()), where); });
    in_section(where, "post_processor", [&] { t.post_processor_ = make_post_processor(j.value("post_processor", json()), where); });
    in_section(where, "decoder", [&] { t.decoder_ = make_decoder(j.value("decoder", json()), where); });
    for (std::size_t i = 0; i < t.added_.size(); ++i)
      t.by_first_byte_[static_cast<unsigned char>(t.added_[i].content[0])].push_back(i);
    return t;
  }

  std::vector<int> encode(std::string_view text, bool add_special_tokens = false) const {
    const std::string s = make_valid_utf8(text);
    std::vector<int> ids;
    // raw-text added tokens first, then the normalized ones inside each normalized gap
    for (auto& [piece, id] : split_added(s, false)) {
      if (id >= 0) { ids.push_back(id); continue; }
      const std::string n = normalizer_ ? normalizer_(piece) : piece;
      for (auto& [p2, id2] : split_added(n, true)) {
        if (id2 >= 0) { ids.push_back(id2); continue; }
        pieces ps{p2};
        if (pre_tokenizer_) pre_tokenizer_(ps);
        for (auto& p : ps) std::visit([&](auto& mod) { mod.tokenize(p, ids); }, model_);
      }
    }
    if (add_special_tokens && post_processor_) ids = post_processor_(ids);
    return ids;
  }

  std::string decode(const std::vector<int>& ids, bool skip_special_tokens = false) const {
    std::vector<std::string> toks;
    for (int id : ids) {
      check(id >= 0 && static_cast<std::size_t>(id) < tokens_.size(), "token id ", id, " is out of range (vocabulary of ", tokens_.size(), ")");
      auto a = added_ids_.find(id);
      if (skip_special_tokens && a != added_ids_.end() && added_[a->second].special) continue;
      toks.push_back(tokens_[static_cast<std::size_t>(id)]);
    }
    if (!decoder_) {
      std::string r;
      for (std::size_t i = 0; i < toks.size(); ++i) r += (i ? " " : "") + toks[i];
      return r;
    }
    std::string r;
    for (auto& t : decoder_(std::move(toks))) r += t;
    return r;
  }

  std::size_t vocab_size() const { return tokens_.size(); }
  const std::string& id_to_token(int id) const {
    check(id >= 0 && static_cast<std::size_t>(id) < tokens_.size(), "token id ", id, " is out of range");
    return tokens_[static_cast<std::size_t>(id)];
  }
  std::optional<int> token_to_id(const std::string& tok) const {
    for (auto& a : added_) if (a.content == tok) return a.id;
    std::optional<int> r;
    std::visit([&](auto& mod) {
      using M = std::decay_t<decltype(mod)>;
      if constexpr (std::is_same_v<M, unigram_model>) {
        if (auto it = mod.pieces.find(tok); it != mod.pieces.end()) r = it->second.first;
      } else {
        if (auto it = mod.vocab.find(tok); it != mod.vocab.end()) r = it->second;
      }
    }, model_);
    return r;
  }

 private:
  // Splits s into (text, -1) gaps and (token text, id) added-token matches, leftmost-longest,
  // among the added tokens whose `normalized` flag is `normalized`.
  std::vector<std::pair<std::string, int>> split_added(const std::string& s, bool normalized) const {
    std::vector<std::pair<std::string, int>> out;
    std::size_t gap = 0, i = 0;
    auto is_word = [](char32_t c) { return c == '_' || category(c) <= UTF8PROC_CATEGORY_LO || (category(c) >= UTF8PROC_CATEGORY_ND && category(c) <= UTF8PROC_CATEGORY_NO); };
    auto cp_at = [&](std::size_t at) { return code_points(std::string_view(s).substr(at, 4)).front(); };
    auto cp_before = [&](std::size_t at) {
      std::size_t b = at;
      do --b; while (b > 0 && (static_cast<unsigned char>(s[b]) & 0xC0) == 0x80);
      return cp_at(b);
    };
    while (i < s.size()) {
      const auto& cands = by_first_byte_[static_cast<unsigned char>(s[i])];
      const added_token* best = nullptr;
      for (std::size_t k : cands) {
        const auto& a = added_[k];
        if (a.normalized != normalized || s.compare(i, a.content.size(), a.content) != 0) continue;
        if (a.single_word) {
          const std::size_t e = i + a.content.size();
          if ((i > 0 && is_word(cp_before(i))) || (e < s.size() && is_word(cp_at(e)))) continue;
        }
        if (!best || a.content.size() > best->content.size()) best = &a;
      }
      if (!best) { ++i; continue; }
      std::size_t b = i, e = i + best->content.size();
      if (best->lstrip) while (b > gap && std::isspace(static_cast<unsigned char>(s[b - 1]))) --b;
      if (best->rstrip) while (e < s.size() && std::isspace(static_cast<unsigned char>(s[e]))) ++e;
      if (b > gap) out.emplace_back(s.substr(gap, b - gap), -1);
      out.emplace_back(best->content, best->id);
      gap = i = e;
    }
    if (gap < s.size()) out.emplace_back(s.substr(gap), -1);
    return out;
  }

  std::variant<bpe_model, unigram_model, wordpiece_model> model_;
  std::vector<std::string> tokens_;
  std::vector<added_token> added_;
  std::unordered_map<int, std::size_t> added_ids_;
  std::array<std::vector<std::size_t>, 256> by_first_byte_{};
  normalizer normalizer_;
  pre_tokenizer pre_tokenizer_;
  post_processor post_processor_;
  decoder decoder_;
};

}  // namespace cactus::tokenizer
