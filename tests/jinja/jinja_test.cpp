// The Jinja engine on inline templates: whitespace control, scoping, Python's spellings of
// values, and errors that name the template line. chat_template_test.py holds the real chat
// templates (and 44 feature templates) to transformers byte for byte; this one runs on every
// target, aarch64 under qemu included, without Python. The expected strings are what jinja2
// 3.1.6 renders with transformers' settings (trim_blocks, lstrip_blocks).
#include <fstream>
#include <unistd.h>

#include <catch2/catch.hpp>

// Only the engine and the chat template: this test compiles in seconds (single_include's copy
// of these headers is compiled by every other test, through cactus.hpp).
#include "cactus/jinja/template.hpp"
#include "cactus/tokenizer/chat_template.hpp"

using namespace cactus;
using cactus::jinja::compiled_template;

static std::string render(const char* t, const char* vars_json = "{}") {
  auto v = jinja::from_json(nlohmann::ordered_json::parse(vars_json));
  return compiled_template(t, "inline").render(v.obj());
}

static std::string error_of(const char* t, const char* vars_json = "{}") {
  try {
    render(t, vars_json);
  } catch (const cactus::error& e) {
    return e.what();
  }
  return "no error";
}

TEST_CASE("trim_blocks, lstrip_blocks, - and + modifiers, the trailing newline") {
  REQUIRE(render("  {% if true %}\n    kept\n  {% endif %}\n  end\n{# c #}\nafter\n") == "    kept\n  end\nafter");
  REQUIRE(render("a  {%- if true -%}  b  {%- endif -%}  c") == "abc");
  REQUIRE(render("  x {%+ if true %}y{% endif %}") == "  x y");
  REQUIRE(render("{{ 'x' }}\n{{ 'y' }}\n") == "x\ny");
  REQUIRE(render("a\r\nb") == "a\nb");
}

TEST_CASE("loops, loop.*, scoping and namespaces") {
  REQUIRE(render("{% for i in range(3) %}{{ loop.index }}{{ loop.last }};{% endfor %}") == "1False;2False;3True;");
  REQUIRE(render("{% for i in [1,2,3,4,5] if i is odd %}{{ i }}{{ loop.length }}{% endfor %}") == "133353");
  REQUIRE(render("{% set x = 1 %}{% for i in range(2) %}{% set x = x + 10 %}{{ x }}{% endfor %}{{ x }}") == "11111");
  REQUIRE(render("{% set ns = namespace(n=0) %}{% for i in range(4) %}{% set ns.n = ns.n + i %}{% endfor %}{{ ns.n }}") == "6");
  REQUIRE(render("{% for i in range(9) %}{% if i == 1 %}{% continue %}{% endif %}{% if i == 3 %}{% break %}{% endif %}{{ i }}{% endfor %}") == "02");
  REQUIRE(render("{% macro m(a, b='B') %}{{ a }}{{ b }}{% endmacro %}{{ m(1) }}{{ m(b=2, a=3) }}") == "1B32");
}

TEST_CASE("values are printed as Python prints them") {
  REQUIRE(render("{{ none }} {{ true }} {{ 1.0 }} {{ 1e20 }} {{ 1e-5 }} {{ 7 / 2 }} {{ -7 // 2 }} {{ -7 % 3 }}") == "None True 1.0 1e+20 1e-05 3.5 -4 2");
  REQUIRE(render("{{ ['a', \"it's\", 1, none] }} {{ (1,) }} {{ {'k': [1.5]} }}") == "['a', \"it's\", 1, None] (1,) {'k': [1.5]}");
  REQUIRE(render("{{ v | tojson }}", R"({"v": {"b": 1, "a": [1.0, null, "é\n"]}})") == "{\"b\": 1, \"a\": [1.0, null, \"é\\n\"]}");
  REQUIRE(render("{{ v | tojson(indent=2) }}", R"({"v": {"a": [1]}})") == "{\n  \"a\": [\n    1\n  ]\n}");
  REQUIRE(render("{{ 'ß' | upper }} {{ 'héllo'[1] }} {{ 'héllo' | length }} {{ 'abc'[::-1] }}") == "SS é 5 cba");
}

TEST_CASE("undefined values: empty when printed, false when tested, an error when used") {
  REQUIRE(render("[{{ x }}]{{ x is defined }}{{ x | length }}{% for i in x %}no{% endfor %}") == "[]False0");
  REQUIRE(render("{{ d.missing is defined }} {{ none.x is defined }}", R"({"d": {}})") == "False False");
  REQUIRE(error_of("a\n{{ x.y }}") == "inline: template line 2: 'x' is undefined (its attribute 'y' was read)");
  REQUIRE(error_of("{{ [1].startswith('a') }}").find("'list object' has no attribute 'startswith'") != std::string::npos);
}

TEST_CASE("errors name the template line; hostile templates end with an error") {
  REQUIRE(error_of("{% if x %}\n\nno end") == "inline: template line 3: the template ends inside a block: expected '{% endif %}'");
  REQUIRE(error_of("\n{% include 'a' %}") == "inline: template line 2: the '{% include %}' statement is not supported");
  REQUIRE(error_of("{{ x | nope }}") == "inline: template line 1: the filter 'nope' is not supported");
  REQUIRE(error_of("\n\n{{ raise_exception('bad roles') }}") == "inline: template line 3: the template raised an error: bad roles");
  REQUIRE(error_of("{{ 'a' ~ }}").find("template line 1") != std::string::npos);
  REQUIRE(error_of("{{ 'unclosed }}").find("the string is not closed") != std::string::npos);
  REQUIRE(error_of(std::string(5000, '(').c_str()).find("template line 1") == std::string::npos);  // plain text: no tag
  std::string deep = "{{ " + std::string(3000, '(') + "1" + std::string(3000, ')') + " }}";
  REQUIRE(error_of(deep.c_str()).find("nest deeper than 200 levels") != std::string::npos);
  REQUIRE(error_of("{% for i in range(10**9) %}{% endfor %}").find("range() of more than 10^6 items") != std::string::npos);
  REQUIRE(error_of("{% macro f() %}{{ f() }}{% endmacro %}{{ f() }}").find("calls nest deeper than 64 levels") != std::string::npos);
  REQUIRE(error_of("{{ 'x' * 1000000000 }}").find("10^8") != std::string::npos);
}

TEST_CASE("the chat template of a tokenizer_config.json, with transformers' message preparation") {
  namespace fs = std::filesystem;
  // one directory per process: the aarch64 suite runs this test under several emulated CPUs at once
  const fs::path dir = fs::temp_directory_path() / ("cactus_jinja_test_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  {
    std::ofstream f(dir / "tokenizer_config.json");
    f << R"({"bos_token": {"content": "<s>"}, "chat_template": "{{ bos_token }}{% for m in messages %}{{ m.role }}:{{ m.content }}|{{ m.reasoning_content }}|{{ m.tool_calls is defined }};{% endfor %}{% if add_generation_prompt %}A:{% endif %}"})";
  }
  auto t = tokenizer::chat_template::open(dir);
  REQUIRE(t.has_value());
  tokenizer::chat_request r = tokenizer::chat_request::from_json(nlohmann::ordered_json::parse(
      R"({"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "yo", "thinking": "t", "tool_calls": null}]})"), "inline");
  REQUIRE(t->render(r) == "<s>user:hi||False;assistant:yo|t|False;A:");
  fs::remove_all(dir);
  REQUIRE_FALSE(tokenizer::chat_template::open(dir).has_value());
}
