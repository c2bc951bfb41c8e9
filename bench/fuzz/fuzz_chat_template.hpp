// Chat templates: lex, parse and render a template over a conversation with tools.
#pragma once
#include "cactus/jinja/template.hpp"
#include "fuzz_input.hpp"

inline int fuzz_chat_template(const std::uint8_t* data, std::size_t size) {
  static const cactus::jinja::object vars = [] {
    auto v = cactus::jinja::from_json(nlohmann::ordered_json::parse(R"({
      "messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi \u00e9 \ud83d\ude00"},
                   {"role": "assistant", "content": "<think>x</think>ok", "tool_calls": [{"type": "function", "function": {"name": "f", "arguments": {"a": 1.5, "b": [null, true]}}}]},
                   {"role": "tool", "content": "42"}],
      "tools": [{"type": "function", "function": {"name": "f", "parameters": {"type": "object"}}}],
      "add_generation_prompt": true, "bos_token": "<s>", "eos_token": "</s>", "enable_thinking": false})"));
    return v.obj();
  }();
  return cactus_fuzz::guarded([&] {
    const std::string_view source(reinterpret_cast<const char*>(data), size);
    cactus::jinja::limits lim;
    lim.max_output = 1 << 20;
    lim.max_iterations = 100000;
    cactus::jinja::compiled_template t(source, "fuzz.jinja");
    t.render(vars, lim);
  });
}
