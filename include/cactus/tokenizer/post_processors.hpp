#pragma once
// tokenizer.json "post_processor": what encode(..., add_special_tokens=True) wraps around the
// ids of one sequence. TemplateProcessing (its "single" template), BertProcessing,
// RobertaProcessing, ByteLevel (nothing to add) and Sequence.
#include <functional>
#include <nlohmann/json.hpp>

#include "cactus/core/error.hpp"
#include "cactus/tokenizer/token_id.hpp"

namespace cactus::tokenizer {

using post_processor = std::function<std::vector<int>(const std::vector<int>&)>;

inline post_processor make_post_processor(const nlohmann::json& j, const std::string& where) {
  if (j.is_null()) return {};
  const std::string type = j.at("type").get<std::string>();
  if (type == "ByteLevel") return {};
  if (type == "TemplateProcessing") {
    std::vector<std::vector<int>> parts;  // an empty entry stands for the sequence
    for (auto& item : j.at("single")) {
      if (item.contains("Sequence")) { parts.emplace_back(); continue; }
      const std::string id = item.at("SpecialToken").at("id").get<std::string>();
      const auto& st = j.at("special_tokens");
      check(st.contains(id), where, ": TemplateProcessing names special token '", id, "' without its ids");
      std::vector<int> part;
      for (auto& x : st[id].at("ids")) part.push_back(token_id(x, where, "special token id"));
      parts.push_back(std::move(part));
    }
    return [parts](const std::vector<int>& ids) {
      std::vector<int> r;
      for (auto& p : parts) {
        if (p.empty()) r.insert(r.end(), ids.begin(), ids.end());
        else r.insert(r.end(), p.begin(), p.end());
      }
      return r;
    };
  }
  if (type == "BertProcessing" || type == "RobertaProcessing") {
    const int cls = token_id(j.at("cls").at(1), where, "cls id"), sep = token_id(j.at("sep").at(1), where, "sep id");
    return [cls, sep](const std::vector<int>& ids) {
      std::vector<int> r{cls};
      r.insert(r.end(), ids.begin(), ids.end());
      r.push_back(sep);
      return r;
    };
  }
  if (type == "Sequence") {
    std::vector<post_processor> seq;
    for (auto& p : j.at("processors"))
      if (auto f = make_post_processor(p, where)) seq.push_back(f);
    return [seq](const std::vector<int>& ids) {
      std::vector<int> r = ids;
      for (auto& f : seq) r = f(r);
      return r;
    };
  }
  fail(where, ": post_processor type '", type, "' is not supported");
}

}  // namespace cactus::tokenizer
