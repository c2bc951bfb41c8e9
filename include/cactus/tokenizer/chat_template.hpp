#pragma once
// The checkpoint's chat template, rendered as transformers' apply_chat_template renders it:
// the template from chat_template.jinja, else tokenizer_config.json's "chat_template" (a
// string, or named templates where "tool_use" serves calls with tools and "default" the
// rest); the variables are the special tokens of tokenizer_config.json, then the caller's
// extra variables (enable_thinking, date_string, ...), then messages, tools, documents and
// add_generation_prompt. Messages are prepared as transformers prepares them: keys whose value
// is null are dropped, and a reasoning given as reasoning_content, thinking or reasoning is
// visible under both "thinking" and "reasoning_content".
#include <filesystem>
#include <optional>

#include <nlohmann/json.hpp>

#include "cactus/core/files.hpp"
#include "cactus/core/json_read.hpp"
#include "cactus/jinja/template.hpp"

namespace cactus::tokenizer {

struct chat_request {
  nlohmann::ordered_json messages = nlohmann::ordered_json::array();
  nlohmann::ordered_json tools;       // null: none given
  nlohmann::ordered_json documents;   // null: none given
  bool add_generation_prompt = true;
  nlohmann::ordered_json variables = nlohmann::ordered_json::object();  // extra template variables

  // {"messages": [...], "tools": [...], "documents": [...], "add_generation_prompt": b, other: variables}
  static chat_request from_json(const nlohmann::ordered_json& j, const std::string& where) {
    check(j.is_object(), where, ": a conversation must be a JSON object with \"messages\"");
    check(j.contains("messages") && j["messages"].is_array(), where, ": \"messages\" (a list of {\"role\", \"content\"}) is missing");
    chat_request r;
    for (auto it = j.begin(); it != j.end(); ++it) {
      if (it.key() == "messages") r.messages = it.value();
      else if (it.key() == "tools") r.tools = it.value();
      else if (it.key() == "documents") r.documents = it.value();
      else if (it.key() == "add_generation_prompt") {
        check(it.value().is_boolean(), where, ": \"add_generation_prompt\" must be true or false");
        r.add_generation_prompt = it.value().get<bool>();
      } else r.variables[it.key()] = it.value();
    }
    return r;
  }
};

class chat_template {
 public:
  // The template of a checkpoint or bundle directory; nullopt when it has none.
  static std::optional<chat_template> open(const std::filesystem::path& dir) {
    namespace fs = std::filesystem;
    const fs::path config = dir / "tokenizer_config.json", jinja_file = dir / "chat_template.jinja";
    nlohmann::ordered_json cfg = nlohmann::ordered_json::object();
    if (fs::exists(config)) {
      cfg = json_parse<nlohmann::ordered_json>(read_file_text(config), config.string());
      check(cfg.is_object(), config.string(), ": expected a JSON object");
    }
    chat_template t;
    if (fs::exists(jinja_file)) {
      t.add("default", read_file_text(jinja_file), jinja_file.string());
    } else if (cfg.contains("chat_template") && !cfg["chat_template"].is_null()) {
      const auto& ct = cfg["chat_template"];
      const std::string where = config.string() + " (chat_template";
      if (ct.is_string()) t.add("default", ct.get<std::string>(), where + ")");
      else if (ct.is_array()) {
        for (auto& e : ct) {
          check(e.is_object() && e.contains("name") && e["name"].is_string() && e.contains("template") && e["template"].is_string(),
                config.string(), ": chat_template: each entry must be {\"name\": ..., \"template\": ...}");
          t.add(e["name"].get<std::string>(), e["template"].get<std::string>(), where + " '" + e["name"].get<std::string>() + "')");
        }
      } else fail(config.string(), ": chat_template must be a string or a list of named templates");
    } else {
      return std::nullopt;
    }
    for (const char* k : {"bos_token", "eos_token", "unk_token", "sep_token", "pad_token", "cls_token", "mask_token"}) {
      if (!cfg.contains(k)) continue;
      const auto& v = cfg[k];
      if (v.is_string()) t.special_.set(k, jinja::value(v.get<std::string>()));
      else if (v.is_object() && v.contains("content") && v["content"].is_string()) t.special_.set(k, jinja::value(v["content"].get<std::string>()));
    }
    if (cfg.contains("extra_special_tokens") && cfg["extra_special_tokens"].is_object())
      for (auto it = cfg["extra_special_tokens"].begin(); it != cfg["extra_special_tokens"].end(); ++it)
        if (it.value().is_string()) t.special_.set(it.key(), jinja::value(it.value().get<std::string>()));
    return t;
  }

  std::string render(const chat_request& r, const jinja::limits& lim = {}) const {
    const compiled* c = pick(!r.tools.is_null());
    jinja::object vars = special_;
    for (auto it = r.variables.begin(); it != r.variables.end(); ++it) vars.set(it.key(), jinja::from_json(it.value()));
    vars.set("messages", prepare(r.messages, c->where));
    vars.set("tools", r.tools.is_null() ? jinja::value(nullptr) : jinja::from_json(r.tools));
    vars.set("documents", r.documents.is_null() ? jinja::value(nullptr) : jinja::from_json(r.documents));
    vars.set("add_generation_prompt", jinja::value(r.add_generation_prompt));
    return c->t.render(vars, lim);
  }

  const std::string& source(bool with_tools = false) const { return pick(with_tools)->source; }
  const jinja::object& special_tokens() const { return special_; }

 private:
  struct compiled {
    std::string name, source, where;
    jinja::compiled_template t;
  };
  std::vector<compiled> templates_;
  jinja::object special_;

  void add(std::string name, std::string source, std::string where) {
    jinja::compiled_template t(source, where);
    templates_.push_back({std::move(name), std::move(source), std::move(where), std::move(t)});
  }

  const compiled* pick(bool with_tools) const {
    auto find = [&](const char* n) -> const compiled* {
      for (auto& c : templates_) if (c.name == n) return &c;
      return nullptr;
    };
    if (templates_.size() == 1) return &templates_[0];
    if (with_tools) if (auto* c = find("tool_use")) return c;
    if (auto* c = find("default")) return c;
    check(!templates_.empty(), "no chat template");
    fail(templates_[0].where, ": there are several chat templates and none is named 'default'");
  }

  static jinja::value prepare(const nlohmann::ordered_json& messages, const std::string& where) {
    check(messages.is_array(), where, ": messages must be a list");
    check(!messages.empty(), "the conversation is empty: give at least one message");
    jinja::array out;
    for (auto& m : messages) {
      check(m.is_object(), "each message must be a JSON object, got ", m.dump());
      jinja::object o;
      for (auto it = m.begin(); it != m.end(); ++it)
        if (!it.value().is_null()) o.items.emplace_back(it.key(), jinja::from_json(it.value()));
      const jinja::value* reasoning = nullptr;
      for (const char* k : {"reasoning_content", "thinking", "reasoning"})
        if (!reasoning) reasoning = o.find(k);
      if (reasoning) {
        const jinja::value r = *reasoning;
        jinja::object a;
        a.set("thinking", r);
        for (auto& [k, v] : o.items) a.set(k, v);
        a.set("reasoning_content", r);
        o = std::move(a);
      }
      out.emplace_back(std::move(o));
    }
    return jinja::value(std::move(out));
  }
};

}  // namespace cactus::tokenizer
